// Preference shards: one graded comparison a sample. The layout choice: a reward model scores each
// sequence at its last token and its loss compares the two scores of a pair, so the pair is the unit
// a batch needs; packing several pairs into one 4096-token row would save padding but needs per-segment
// pooling in every trainer that reads the shards. So: `chosen_ids` = prompt + chosen answer + `</s>`,
// `rejected_ids` = prompt + rejected answer + `</s>`, both variable length (never padded), sharing
// their first `prompt_len` tokens; plus `margin_degree`, `aspect`, `safety` and the record `id`.
//
// Mixes (Llama 2 §3.2.2): the helpfulness RM trains on all helpfulness pairs plus an equal number
// sampled from the safety pairs; the safety RM on all safety pairs plus helpfulness pairs making 10%
// of the mix (90/10). Sampling and the final order are seeded.
import SpindleIO

/// Which reward model's data mix to write.
public enum PreferenceMix: String, Sendable, CaseIterable {
    /// Every pair, in input order.
    case all
    /// All helpfulness pairs + an equal number sampled from safety pairs (50/50).
    case helpfulness
    /// All safety pairs + helpfulness pairs sampled to make 10% of the result (90/10).
    case safety

    /// Indices of the pairs in the mix, in a seeded shuffled order (input order for `.all`).
    public func select(aspects: [PreferenceAspect], seed: UInt64) -> [Int] {
        let help = aspects.indices.filter { aspects[$0] == .helpfulness }
        let safe = aspects.indices.filter { aspects[$0] == .safety }
        var rng = SeededRandom(seed: seed, stream: "preference-mix-\(rawValue)")
        var chosen: [Int]
        switch self {
        case .all: return Array(aspects.indices)
        case .helpfulness:
            chosen = help + rng.sample(min(help.count, safe.count), from: safe.count).map { safe[$0] }
        case .safety:
            // helpfulness share h with h / (s + h) = 0.1  =>  h = s / 9 (rounded).
            let want = min(help.count, (safe.count + 4) / 9)
            chosen = safe + rng.sample(want, from: help.count).map { help[$0] }
        }
        rng.shuffle(&chosen)
        return chosen
    }
}

/// Writes graded preference pairs, one a sample.
public final class PreferencePacker {
    let sink: ShardSink
    let template: Llama2ChatTemplate
    let seqLen: Int

    public private(set) var pairs = 0
    public private(set) var droppedOverlong = 0
    public private(set) var degreeCounts = [Int](repeating: 0, count: 4)
    public private(set) var aspectCounts: [String: Int] = [:]
    public private(set) var safetyCounts: [String: Int] = [:]
    public private(set) var tokens = 0

    public init(sink: ShardSink, encoder: any TokenEncoder) {
        self.sink = sink
        self.template = Llama2ChatTemplate(encoder: encoder)
        self.seqLen = sink.metadata.seqLen
    }

    /// A pair rendered to ids: prompt length, prompt + chosen + </s>, prompt + rejected + </s>.
    public struct Prepared: Sendable {
        public var promptLength: Int
        public var chosen: [Int32]
        public var rejected: [Int32]
    }

    /// Renders one pair (pure, so many threads may prepare while one adds).
    public func prepare(_ p: PreferenceExample) throws(ChatTemplateError) -> Prepared {
        let prompt = try template.renderPrompt(p.prompt)
        return Prepared(promptLength: prompt.count, chosen: template.renderResponse(prompt: prompt, answer: p.chosen),
                        rejected: template.renderResponse(prompt: prompt, answer: p.rejected))
    }

    /// Renders and writes one pair; pairs whose longer sequence exceeds seq_len are dropped (counted).
    public func add(_ p: PreferenceExample) throws {
        try add(p, prepared: try prepare(p))
    }

    /// Writes one pair from its `prepare`d ids.
    public func add(_ p: PreferenceExample, prepared: Prepared) throws(ShardError) {
        let chosen = prepared.chosen, rejected = prepared.rejected
        let promptLength = prepared.promptLength
        guard max(chosen.count, rejected.count) <= seqLen else { droppedOverlong += 1; return }
        try sink.checkTokens(chosen, context: "pair \(p.id)")
        try sink.checkTokens(rejected, context: "pair \(p.id)")
        // Columns sorted by name: aspect, chosen_ids, id, margin_degree, prompt_len, rejected_ids, safety.
        try sink.write([.string(p.aspect.rawValue), .integers(chosen), .string(p.id), .integer(Int64(PreferenceDegree(p.degree).rawValue)),
                        .integer(Int64(promptLength)), .integers(rejected), .string(p.safety?.rawValue ?? "")])
        pairs += 1
        tokens += chosen.count + rejected.count
        degreeCounts[PreferenceDegree(p.degree).rawValue] += 1
        aspectCounts[p.aspect.rawValue, default: 0] += 1
        safetyCounts[p.safety?.rawValue ?? "none", default: 0] += 1
    }

    @discardableResult
    public func finish(extraStats: [String: JSONValue] = [:]) throws(ShardError) -> [String: JSONValue] {
        var stats: [String: JSONValue] = [
            "pairs": .int(Int64(pairs)), "dropped_overlong": .int(Int64(droppedOverlong)), "tokens": .int(Int64(tokens)),
            "degree": .object(Dictionary(uniqueKeysWithValues: PreferenceDegree.allCases.map { ($0.label, JSONValue.int(Int64(degreeCounts[$0.rawValue]))) })),
            "aspect": .object(aspectCounts.mapValues { .int(Int64($0)) }),
            "safety": .object(safetyCounts.mapValues { .int(Int64($0)) }),
        ]
        for (k, v) in extraStats { stats[k] = v }
        try sink.finish(stats: stats)
        return stats
    }
}

/// Writes prompts only (for PPO and rejection sampling), each distinct prompt once.
public final class PromptPacker {
    let sink: ShardSink
    let template: Llama2ChatTemplate
    private var seen = Set<[Int32]>()

    public private(set) var prompts = 0
    public private(set) var duplicates = 0
    public private(set) var droppedOverlong = 0
    public private(set) var aspectCounts: [String: Int] = [:]

    public init(sink: ShardSink, encoder: any TokenEncoder) {
        self.sink = sink
        self.template = Llama2ChatTemplate(encoder: encoder)
    }

    /// Renders a prompt (pure).
    public func prepare(_ messages: [ChatMessage]) throws(ChatTemplateError) -> [Int32] {
        try template.renderPrompt(messages)
    }

    /// Renders and writes a prompt (a conversation ending with a user turn) unless already written.
    public func add(id: String, prompt messages: [ChatMessage], aspect: PreferenceAspect?) throws {
        try add(id: id, prepared: try prepare(messages), aspect: aspect)
    }

    /// Writes a `prepare`d prompt unless the same ids were already written.
    public func add(id: String, prepared ids: [Int32], aspect: PreferenceAspect?) throws(ShardError) {
        guard ids.count <= sink.metadata.seqLen else { droppedOverlong += 1; return }
        guard seen.insert(ids).inserted else { duplicates += 1; return }
        try sink.checkTokens(ids, context: "prompt \(id)")
        // Columns sorted by name: aspect, id, prompt_ids.
        try sink.write([.string(aspect?.rawValue ?? ""), .string(id), .integers(ids)])
        prompts += 1
        aspectCounts[aspect?.rawValue ?? "none", default: 0] += 1
    }

    @discardableResult
    public func finish(extraStats: [String: JSONValue] = [:]) throws(ShardError) -> [String: JSONValue] {
        var stats: [String: JSONValue] = [
            "prompts": .int(Int64(prompts)), "duplicates": .int(Int64(duplicates)),
            "dropped_overlong": .int(Int64(droppedOverlong)),
            "aspect": .object(aspectCounts.mapValues { .int(Int64($0)) }),
        ]
        for (k, v) in extraStats { stats[k] = v }
        try sink.finish(stats: stats)
        return stats
    }
}
