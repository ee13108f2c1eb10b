import SpindleTokenizer

/// Spindle's SentencePiece model is what `spindle pack` tokenises with: its `encode` has EncodeAsIds
/// semantics (dummy prefix, no BOS/EOS, control pieces never produced from text) and it is thread-safe;
/// its fingerprint is the SHA-256 of the .model file.
extension SentencePieceModel: TokenEncoder {
    public func encode(_ text: String) -> [Int32] {
        encode(text, addBOS: false, addEOS: false)
    }

    public func displayText(_ ids: [Int32]) -> String {
        (try? decode(ids)) ?? "<ids outside the vocabulary>"
    }
}
