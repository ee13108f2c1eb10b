// DPOReference.swift: the frozen reference's summed response log-probs, computed once per data set and
// kept beside the run (OUTPUT/reference_logps.json, one entry per pair index in shard order). The file
// is keyed by the SHA-256 of the shards' index.json (which records every shard file's size and hashes),
// the SHA-256 of the reference's model.safetensors, the row length and the pair count: a file whose key
// differs was made for other data or another reference, and is recomputed (or, on --resume, refused).
import Foundation
import SpindleIO

/// One pair's reference log-probs: Σ log π_ref over the response tokens of each answer, and their counts.
public struct DPOReferenceEntry: Sendable, Equatable {
    public var chosen: Double, rejected: Double
    public var chosenTokens: Int, rejectedTokens: Int
    public init(chosen: Double, rejected: Double, chosenTokens: Int, rejectedTokens: Int) {
        self.chosen = chosen; self.rejected = rejected; self.chosenTokens = chosenTokens; self.rejectedTokens = rejectedTokens
    }
}

/// What a stored reference file was computed from.
public struct DPOReferenceKey: Sendable, Equatable {
    public var shards: String        // SHA-256 of the training shards' index.json
    public var reference: String     // SHA-256 of the reference checkpoint's model.safetensors
    public var seqLen: Int
    public var pairs: Int
    public init(shards: String, reference: String, seqLen: Int, pairs: Int) {
        self.shards = shards; self.reference = reference; self.seqLen = seqLen; self.pairs = pairs
    }

    /// The key of shard directory `shards` scored by checkpoint `reference` in rows of `seqLen`.
    public static func of(shards: String, reference: String, seqLen: Int, pairs: Int) throws -> DPOReferenceKey {
        func digest(_ path: String) throws -> String {
            guard let d = FileManager.default.contents(atPath: path) else { throw TrainerError.io(file: path, message: "cannot read") }
            return SHA256.hexDigest(d)
        }
        return DPOReferenceKey(shards: try digest(shards + "/index.json"), reference: try digest(reference + "/model.safetensors"),
                               seqLen: seqLen, pairs: pairs)
    }

    /// The first field that differs from `other`, described.
    func difference(from other: DPOReferenceKey) -> String? {
        if shards != other.shards { return "the training shards changed (index.json \(other.shards.prefix(12))… → \(shards.prefix(12))…)" }
        if reference != other.reference { return "the reference checkpoint changed (model.safetensors \(other.reference.prefix(12))… → \(reference.prefix(12))…)" }
        if seqLen != other.seqLen { return "the row length changed (\(other.seqLen) → \(seqLen))" }
        if pairs != other.pairs { return "the pair count changed (\(other.pairs) → \(pairs))" }
        return nil
    }
}

public enum DPOReferenceFile {
    public static let name = "reference_logps.json"
    static let format = "spindle-dpo-reference-logps"

    /// Writes `entries` (pair index order) with their key, atomically.
    public static func save(_ entries: [DPOReferenceEntry], key: DPOReferenceKey, to path: String) throws {
        let doc = JSONValue.object([
            ("format", .string(format)), ("version", .int(1)),
            ("shards_index_sha256", .string(key.shards)), ("reference_sha256", .string(key.reference)),
            ("seq_len", .int(key.seqLen)), ("pairs", .int(key.pairs)),
            ("chosen", .array(entries.map { .double($0.chosen) })), ("rejected", .array(entries.map { .double($0.rejected) })),
            ("chosen_tokens", .array(entries.map { .int($0.chosenTokens) })),
            ("rejected_tokens", .array(entries.map { .int($0.rejectedTokens) })),
        ])
        try writeAtomically(Data(doc.fileText(.compact).utf8), to: path)
    }

    /// The file's key and entries; nil when there is no file. A malformed file is an error (65).
    public static func load(_ path: String) throws -> (key: DPOReferenceKey, entries: [DPOReferenceEntry])? {
        guard let o = try JSONFields.load(path, errors: .format) else { return nil }
        guard try o.string("format") == format else { throw TrainerError.format(file: path, message: "field 'format': not \(format)") }
        let key = DPOReferenceKey(shards: try o.required("shards_index_sha256", o.string), reference: try o.required("reference_sha256", o.string),
                                  seqLen: try o.required("seq_len", o.int), pairs: try o.required("pairs", o.int))
        func column(_ name: String) throws -> [JSONValue] {
            guard let a = o[name]?.arrayValue, a.count == key.pairs else {
                throw TrainerError.format(file: path, message: "field '\(name)': must be an array of \(key.pairs) numbers")
            }
            return a
        }
        let c = try column("chosen"), r = try column("rejected"), nc = try column("chosen_tokens"), nr = try column("rejected_tokens")
        var entries: [DPOReferenceEntry] = []
        entries.reserveCapacity(key.pairs)
        for i in 0..<key.pairs {
            guard let a = c[i].doubleValue, let b = r[i].doubleValue, a.isFinite, b.isFinite,
                  let x = nc[i].intValue, let y = nr[i].intValue, x > 0, y > 0 else {
                throw TrainerError.format(file: path, message: "pair \(i): log-probs must be finite numbers and token counts positive integers")
            }
            entries.append(DPOReferenceEntry(chosen: a, rejected: b, chosenTokens: x, rejectedTokens: y))
        }
        return (key, entries)
    }
}
