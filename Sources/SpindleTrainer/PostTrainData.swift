// PostTrainData.swift: the post-training stages' inputs from Spindle shards, and the tokenizer stamp
// a post-trained checkpoint carries (DIR/spindle_tokenizer.json) so every later stage can refuse
// shards or reward models made with another tokenizer.
import Foundation
import SpindleIO
import SpindleShards

/// SFT (or pretrain) shard rows as training rows.
public struct ShardBatchSource: TrainingBatchSource {
    public let dataset: ShardDataset
    public var seqLen: Int { dataset.metadata.seqLen }
    public var rowCount: Int { dataset.count }
    public var vocabBound: Int? { dataset.metadata.tokenizer.vocabSize }
    public init(_ dataset: ShardDataset) { self.dataset = dataset }
    public func row(_ index: Int) throws -> TrainingRow {
        let r = try dataset.row(index)
        return TrainingRow(tokens: r.inputIDs, segmentIds: r.segmentIDs, lossMask: r.lossMask)
    }
}

/// A prompt for sampling, with whether it is a safety prompt (Llama 2's IS_SAFETY(p)).
public struct SamplingPrompt: Sendable, Equatable {
    public var id: String
    public var tokens: [Int32]
    public var isSafety: Bool
    public init(id: String, tokens: [Int32], isSafety: Bool) { self.id = id; self.tokens = tokens; self.isSafety = isSafety }
}

public enum PostTrainData {
    /// Opens a shard directory of `kind`, checking it against the model's vocabulary and, when known,
    /// the tokenizer the model was trained with. Every shard file's size is checked now and its hashes
    /// as it is loaded (a corrupt shard stops training with exit 65 before any of its rows is used).
    public static func open(_ dir: String, kind: ShardKind, model: LlamaConfig, stamp: TokenizerStamp?) throws -> ShardDataset {
        let ds: ShardDataset
        do { ds = try ShardDataset(directory: dir, kind: kind, tokenizer: stamp, verifyHashes: true) } catch {
            // The shard error names the directory itself; don't say it twice.
            throw TrainerError.data(file: dir, line: nil, message: "\(error)".replacingOccurrences(of: dir + ": ", with: ""))
        }
        let v = ds.metadata.tokenizer.vocabSize
        guard v == model.vocabSize else {
            throw TrainerError.data(file: dir, line: nil, message: "shards were packed with a tokenizer of \(v) tokens, the model has a vocabulary of \(model.vocabSize): another tokenizer?")
        }
        guard ds.count > 0 else { throw TrainerError.data(file: dir, line: nil, message: "no samples") }
        let unhashed = ds.reader.unhashedShards
        if !unhashed.isEmpty {
            StandardError.line("spindle: warning: \(dir): \(unhashed.count) of \(ds.reader.index.shards.count) shard file(s) have no "
                + "sha256 or xxh64 hash in index.json (\(unhashed.prefix(3).joined(separator: ", "))\(unhashed.count > 3 ? ", …" : "")): "
                + "their sizes and structure are checked, their bytes cannot be")
        }
        return ds
    }

    /// `open` when `path` is a shard directory, nil when it is a file.
    public static func openIfShards(_ path: String, kind: ShardKind, model: LlamaConfig, stamp: TokenizerStamp?) throws -> ShardDataset? {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else { return nil }
        return try open(path, kind: kind, model: model, stamp: stamp)
    }

    /// Every pair of preference shards, in shard order.
    public static func pairs(_ ds: ShardDataset) throws -> [PreferenceTokens] {
        try (0..<ds.count).map { i in
            let p = try ds.pair(i)
            return PreferenceTokens(chosen: p.chosenIDs, rejected: p.rejectedIDs, degree: p.degree.rawValue, aspect: p.aspect,
                                    promptLength: p.promptLength)
        }
    }

    /// Every prompt of prompts-only shards, in shard order.
    public static func prompts(_ ds: ShardDataset) throws -> [SamplingPrompt] {
        try (0..<ds.count).map { i in
            let p = try ds.prompt(i)
            return SamplingPrompt(id: p.id, tokens: p.promptIDs, isSafety: p.aspect == "safety")
        }
    }

    // MARK: tokenizer stamp

    static let stampFile = "spindle_tokenizer.json"

    /// Writes the stamp of the shards a checkpoint was trained on.
    public static func writeStamp(_ s: TokenizerStamp, to dir: String) throws {
        let json = JSONValue.object([("fingerprint", .string(s.fingerprint)), ("vocab_size", .int(s.vocabSize)),
                                     ("bos_id", .int(s.bosID)), ("eos_id", .int(s.eosID))]).fileText(.memberPerLine)
        try writeAtomically(Data(json.utf8), to: dir + "/" + stampFile)
    }

    /// The stamp saved with a checkpoint, or nil (a pretrained checkpoint from elsewhere).
    public static func readStamp(_ dir: String) throws -> TokenizerStamp? {
        let path = dir + "/" + stampFile
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let o = try JSONFields(parsing: data, file: path, errors: .format)
        return TokenizerStamp(fingerprint: try o.required("fingerprint", o.string), vocabSize: try o.required("vocab_size", o.int),
                              bosID: Int32(clamping: try o.int("bos_id") ?? 1), eosID: Int32(clamping: try o.int("eos_id") ?? 2))
    }

    /// Checks that two checkpoints agree on the tokenizer (when both know it) and vocabulary;
    /// `sameWidth` also requires the same dim (a value head initialised from a reward model).
    public static func checkCompatible(_ a: (dir: String, config: LlamaConfig, stamp: TokenizerStamp?),
                                       _ b: (dir: String, config: LlamaConfig, stamp: TokenizerStamp?), sameWidth: Bool) throws {
        if a.config.vocabSize != b.config.vocabSize {
            throw TrainerError.config(field: "vocab_size", message: "\(b.dir) has a vocabulary of \(b.config.vocabSize), \(a.dir) of \(a.config.vocabSize): they cannot score the same tokens")
        }
        if let sa = a.stamp, let sb = b.stamp, sa.fingerprint != sb.fingerprint {
            throw TrainerError.config(field: "tokenizer", message: "\(b.dir) was trained with tokenizer \(sb.fingerprint.prefix(16))…, \(a.dir) with \(sa.fingerprint.prefix(16))…")
        }
        if sameWidth && a.config.dim != b.config.dim {
            throw TrainerError.config(field: "hidden_size", message: "\(b.dir) has width \(b.config.dim), \(a.dir) has \(a.config.dim)")
        }
    }
}
