// What Spindle puts in a shard directory besides streaming's fields: the kind of shards, their columns,
// and the `"spindle"` object at the top level of index.json (tokenizer fingerprint, vocabulary size,
// sequence length, pad id, seed and packing statistics). Streaming ignores it; Spindle refuses to read
// shards whose tokenizer or kind does not match what the reader expects.
import SpindleIO

/// The kinds of shard directory `spindle pack` writes.
public enum ShardKind: String, Sendable, CaseIterable {
    /// Rows of exactly seq_len tokens: `input_ids`, `segment_ids`.
    case pretrain
    /// Rows of exactly seq_len tokens: `input_ids`, `loss_mask`, `segment_ids`.
    case sft
    /// One graded pair a sample: `chosen_ids`, `rejected_ids`, `prompt_len`, `margin_degree`, `aspect`, `safety`, `id`.
    case preference
    /// One prompt a sample for PPO and rejection sampling: `prompt_ids`, `aspect`, `id`.
    case prompts

    /// Segment ids fit uint16 unless a row could hold more than 65535 segments.
    public static func segmentType(seqLen: Int) -> MDSDType { seqLen <= 65535 ? .uint16 : .int32 }

    /// The MDS columns of this kind for a sequence length and token type.
    public func columns(seqLen: Int, tokenType: MDSDType) -> [String: MDSEncoding] {
        let row = MDSEncoding.ndarray(dtype: tokenType, shape: [seqLen])
        let seg = MDSEncoding.ndarray(dtype: Self.segmentType(seqLen: seqLen), shape: [seqLen])
        let variable = MDSEncoding.ndarray(dtype: tokenType, shape: nil)
        switch self {
        case .pretrain:
            return ["input_ids": row, "segment_ids": seg]
        case .sft:
            return ["input_ids": row, "loss_mask": .ndarray(dtype: .uint8, shape: [seqLen]), "segment_ids": seg]
        case .preference:
            return ["chosen_ids": variable, "rejected_ids": variable, "prompt_len": .scalar(.uint32),
                    "margin_degree": .scalar(.uint8), "aspect": .str, "safety": .str, "id": .str]
        case .prompts:
            return ["prompt_ids": variable, "aspect": .str, "id": .str]
        }
    }
}

/// The tokenizer a shard directory was packed with.
public struct TokenizerStamp: Equatable, Sendable {
    public var fingerprint: String
    public var vocabSize: Int
    public var bosID: Int32
    public var eosID: Int32

    public init(fingerprint: String, vocabSize: Int, bosID: Int32, eosID: Int32) {
        self.fingerprint = fingerprint
        self.vocabSize = vocabSize
        self.bosID = bosID
        self.eosID = eosID
    }

    public init(_ e: any TokenEncoder) {
        self.init(fingerprint: e.fingerprint, vocabSize: e.vocabSize, bosID: e.bosID, eosID: e.eosID)
    }
}

/// The top-level `"spindle"` object of index.json.
public struct ShardMetadata: Equatable, Sendable {
    public static let formatVersion = 1

    public var kind: ShardKind
    public var tokenizer: TokenizerStamp
    /// Row length for pretrain/sft; the longest allowed sequence for preference/prompts.
    public var seqLen: Int
    public var tokenType: MDSDType
    /// The id in padding positions (segment id 0 marks them; they never carry loss).
    public var padID: Int32
    public var seed: UInt64
    /// "llama2-chat" for sft/preference/prompts, absent for pretrain.
    public var template: String?
    /// Packing settings and counts, all integers or strings (e.g. "packing": "best-fit", "rows": 12).
    public var stats: [String: JSONValue]

    public init(kind: ShardKind, tokenizer: TokenizerStamp, seqLen: Int, tokenType: MDSDType, padID: Int32,
                seed: UInt64, template: String?, stats: [String: JSONValue] = [:]) {
        self.kind = kind
        self.tokenizer = tokenizer
        self.seqLen = seqLen
        self.tokenType = tokenType
        self.padID = padID
        self.seed = seed
        self.template = template
        self.stats = stats
    }

    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "format_version": .int(Int64(Self.formatVersion)),
            "kind": .string(kind.rawValue),
            "tokenizer": .object([
                "fingerprint": .string(tokenizer.fingerprint), "vocab_size": .int(Int64(tokenizer.vocabSize)),
                "bos_id": .int(Int64(tokenizer.bosID)), "eos_id": .int(Int64(tokenizer.eosID)),
            ]),
            "seq_len": .int(Int64(seqLen)),
            "token_dtype": .string(tokenType.rawValue),
            "pad_id": .int(Int64(padID)),
            "seed": .string(String(seed)),  // a string: JSON readers lose precision above 2^53
            "stats": .object(stats),
        ]
        if let template { o["template"] = .string(template) }
        return .object(o)
    }

    /// Reads the `"spindle"` object; `path` names index.json in errors.
    public static func from(_ v: JSONValue?, path: String) throws(ShardError) -> ShardMetadata {
        func bad(_ why: String) -> ShardError { .malformedIndex(path: path, reason: "\"spindle\": \(why)") }
        guard let v else { throw .notSpindleShards(path: path) }
        guard let o = v.objectValue else { throw .malformedIndex(path: path, reason: "\"spindle\" is not an object") }
        guard let fv = o["format_version"]?.int64Value else { throw bad("missing format_version") }
        guard fv == Int64(formatVersion) else {
            throw .unsupported(path: path, reason: "spindle shard format version \(fv); this Spindle reads version \(formatVersion)")
        }
        guard let k = o["kind"]?.stringValue, let kind = ShardKind(rawValue: k) else { throw bad("missing or unknown kind") }
        guard let t = o["tokenizer"], let fp = t["fingerprint"]?.stringValue, let vs = t["vocab_size"]?.int64Value,
              let bos = t["bos_id"]?.int64Value, let eos = t["eos_id"]?.int64Value, vs > 0,
              let bos32 = Int32(exactly: bos), let eos32 = Int32(exactly: eos)
        else { throw bad("tokenizer needs fingerprint, vocab_size, bos_id and eos_id") }
        guard let seqLen = o["seq_len"]?.int64Value, seqLen > 0, seqLen <= 1 << 24 else { throw bad("seq_len missing or out of range") }
        guard let td = o["token_dtype"]?.stringValue, let tokenType = MDSDType(rawValue: td), tokenType.integerRange != nil else {
            throw bad("token_dtype missing or not an integer type")
        }
        guard let pad = o["pad_id"]?.int64Value, let pad32 = Int32(exactly: pad) else { throw bad("pad_id missing") }
        guard let seedText = o["seed"]?.stringValue, let seed = UInt64(seedText) else { throw bad("seed missing") }
        return ShardMetadata(kind: kind, tokenizer: TokenizerStamp(fingerprint: fp, vocabSize: Int(vs), bosID: bos32, eosID: eos32),
                             seqLen: Int(seqLen), tokenType: tokenType, padID: pad32, seed: seed,
                             template: o["template"]?.stringValue, stats: o["stats"]?.objectValue ?? [:])
    }

    /// Throws unless `vocabSize` fits `tokenType`.
    public static func checkVocabulary(_ vocabSize: Int, fits tokenType: MDSDType) throws(ShardError) {
        guard let r = tokenType.integerRange, Int64(vocabSize - 1) <= r.upperBound else {
            throw .vocabularyTooLarge(vocabSize: vocabSize, dtype: tokenType.rawValue)
        }
    }
}
