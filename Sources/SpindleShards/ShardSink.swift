/// Where packers put samples: an MDSWriter with the columns of one shard kind, and the metadata that
/// goes into index.json when it finishes.
import SpindleIO

public final class ShardSink {
    public let writer: MDSWriter
    public private(set) var metadata: ShardMetadata
    let tokenRange: ClosedRange<Int64>

    /// Output settings shared by every packer.
    public struct Options: Sendable {
        public var directory: String
        public var seqLen: Int = 4096
        /// nil: the smallest type that holds the vocabulary (uint16 for 32K).
        public var tokenType: MDSDType? = nil
        public var compression: ShardCompression? = nil
        public var hashes: [ShardHash] = [.sha256]
        public var sizeLimit: Int? = 1 << 26
        public var overwrite = false
        public var seed: UInt64 = 0

        public init(directory: String) { self.directory = directory }
    }

    public init(kind: ShardKind, encoder: any TokenEncoder, options: Options) throws(ShardError) {
        guard options.seqLen >= 8, options.seqLen <= 1 << 24 else {
            throw .invalidSample(reason: "--seq-len \(options.seqLen) is out of range (8 … 16777216)")
        }
        let tokenType = options.tokenType ?? tokenDType(forVocabSize: encoder.vocabSize)
        try ShardMetadata.checkVocabulary(encoder.vocabSize, fits: tokenType)
        self.tokenRange = 0...Int64(encoder.vocabSize - 1)
        self.metadata = ShardMetadata(kind: kind, tokenizer: TokenizerStamp(encoder), seqLen: options.seqLen,
                                      tokenType: tokenType, padID: 0, seed: options.seed,
                                      template: kind == .pretrain ? nil : "llama2-chat")
        self.writer = try MDSWriter(directory: options.directory, columns: kind.columns(seqLen: options.seqLen, tokenType: tokenType),
                                    compression: options.compression, hashes: options.hashes,
                                    sizeLimit: options.sizeLimit, overwrite: options.overwrite)
    }

    /// Writes one sample (values in name-sorted column order).
    func write(_ values: [MDSValue]) throws(ShardError) {
        try writer.write(values: values)
    }

    /// Throws if any id is outside the vocabulary (a tokenizer bug must not become a silent wrong row).
    func checkTokens(_ ids: [Int32], context: @autoclosure () -> String) throws(ShardError) {
        let hi = Int32(truncatingIfNeeded: tokenRange.upperBound)
        for id in ids where id < 0 || id > hi {
            throw .tokenOutOfRange(id: Int64(id), vocabSize: Int(tokenRange.upperBound + 1), context: context())
        }
    }

    /// Writes the last shard and index.json with the packing statistics.
    @discardableResult
    public func finish(stats: [String: JSONValue]) throws(ShardError) -> MDSIndex {
        metadata.stats = stats
        return try writer.finish(extra: ["spindle": metadata.json])
    }
}
