// SpindleTokenizer: SentencePiece-compatible BPE — ModelProto reader/writer, normaliser, encoder/decoder
// with byte fallback, the BPE trainer and vocabulary merge. One file per concept.
