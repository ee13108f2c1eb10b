// SpindleShards: MosaicML-streaming MDS shards — writer/reader, the Llama 2 chat template, and the
// pretrain, SFT and preference packers, with inspection and verification.
