import SpindleIO
import SpindleTokenizer

/// The settings every `spindle pack` run shares, as the command line gives them: the tokenizer, the
/// shard directory and its layout, the input files and what to do with bad records. `open` gives the
/// `PackRun` that packs them.
public struct PackSettings: Sendable {
    /// The SentencePiece .model to tokenise with (its SHA-256 is recorded in index.json).
    public var tokenizer: String
    /// The shard directory (created; one holding index.json is refused unless `overwrite`).
    public var output: String
    /// Row length in tokens (pretrain, sft); the longest sequence kept (preference).
    public var seqLen = 4096
    /// Seed for shuffles and mixes.
    public var seed: UInt64 = 0
    /// `zstd` or `zstd:LEVEL` (1-22); nil writes uncompressed shards.
    public var compression: String? = nil
    /// Start a new shard before one exceeds this many bytes (uncompressed).
    public var shardSize = 1 << 26
    /// Hashes recorded for each shard file: `sha256`, `xxh64` or both, comma-separated.
    public var hashes = "sha256"
    /// `uint16` or `int32`; nil: the smallest type that fits the vocabulary.
    public var tokenDType: String? = nil
    /// Tokenising threads.
    public var threads = 2
    /// Replace an existing shard directory.
    public var overwrite = false
    /// Input JSONL files (stdin when empty).
    public var files: [String] = []
    public var policy: ErrorPolicy = .fail
    /// With `policy` skip: keep every skipped line in this file.
    public var rejects: String? = nil
    /// Show progress on stderr even when it is not a terminal.
    public var progress = false

    public init(tokenizer: String, output: String) {
        self.tokenizer = tokenizer
        self.output = output
    }

    /// What is wrong with the settings (a usage error), or nil.
    public var problem: String? {
        guard seqLen >= 8 && seqLen <= 1 << 24 else { return "--seq-len must be between 8 and 16777216" }
        if let c = compression, ShardCompression(c) == nil { return "--compression must be zstd or zstd:LEVEL (1-22)" }
        if hashes.split(separator: ",").contains(where: { ShardHash(rawValue: String($0)) == nil }) {
            return "--hashes takes sha256 and/or xxh64"
        }
        if let d = tokenDType, d != "uint16" && d != "int32" { return "--token-dtype must be uint16 or int32" }
        guard threads >= 1 else { return "--threads must be at least 1" }
        guard shardSize >= 1024 else { return "--shard-size must be at least 1024 bytes" }
        return nil
    }

    /// The shard sink's options.
    public var sinkOptions: ShardSink.Options {
        var o = ShardSink.Options(directory: output)
        o.seqLen = seqLen
        o.seed = seed
        o.compression = compression.flatMap(ShardCompression.init)
        o.hashes = hashes.split(separator: ",").compactMap { ShardHash(rawValue: String($0)) }
        o.sizeLimit = shardSize
        o.tokenType = tokenDType.flatMap(MDSDType.init(rawValue:))
        o.overwrite = overwrite
        return o
    }

    /// The shared settings as recorded in manifest.json and shown by `--print-config`.
    public var json: [(String, JSONValue)] {
        [("tokenizer", .string(tokenizer)), ("output", .string(output)), ("seq_len", .number(String(seqLen))),
         ("seed", .number(String(seed))), ("compression", compression.map { .string($0) } ?? .null),
         ("shard_size", .number(String(shardSize))), ("hashes", .string(hashes)),
         ("token_dtype", tokenDType.map { .string($0) } ?? .null)]
    }

    /// Opens the tokenizer and the input: the run `command` ("pack sft") packs them.
    public func open(command: String) throws -> PackRun {
        let model = try SentencePieceModel(contentsOf: tokenizer)
        let records = try RecordInput(paths: files, policy: policy, rejectsPath: rejects, progressLabel: command, forceProgress: progress)
        var run = PackRun(encoder: model, sink: sinkOptions, input: records, command: command)
        run.threads = threads
        run.policy = policy
        return run
    }
}
