// SFT rows: dialogues rendered in the Llama 2 chat format with loss masks from their roles, packed
// whole into rows of exactly seq_len tokens (best-fit decreasing by default), each example its own
// segment (1, 2, … within a row; 0 = padding, mask 0). No example is ever split across rows.
// Overlong examples are truncated (whole trailing turns first, then the last answer's tail) or dropped.
import SpindleIO

/// Packs rendered SFT examples into fixed-length rows with loss masks and segment ids.
public final class SFTPacker {
    public enum Overlong: String, Sendable, CaseIterable {
        case truncate, drop
    }

    public struct Options: Sendable {
        public var strategy = PackingStrategy.bestFit
        public var overlong = Overlong.truncate
        /// Ghost Attention replay for dialogues with a system message and several answers.
        public var gatt = false
        /// Examples packed together (memory bound); 0 packs everything at once.
        public var window = 0
        /// Shuffle rows (seeded) before writing them; best-fit otherwise writes the longest first.
        public var shuffleRows = true
        public init() {}
    }

    let sink: ShardSink
    let template: Llama2ChatTemplate
    let options: Options
    let seqLen: Int
    var rng: SeededRandom
    private var pending: [RenderedChat] = []

    public private(set) var examples = 0
    public private(set) var rendered = 0
    public private(set) var truncated = 0
    public private(set) var droppedOverlong = 0
    public private(set) var rows = 0
    public private(set) var tokens = 0
    public private(set) var lossTokens = 0
    public private(set) var padTokens = 0

    public init(sink: ShardSink, encoder: any TokenEncoder, options: Options = Options()) {
        self.sink = sink
        self.template = Llama2ChatTemplate(encoder: encoder)
        self.options = options
        self.seqLen = sink.metadata.seqLen
        self.rng = SeededRandom(seed: sink.metadata.seed, stream: "sft-rows")
    }

    /// Renders and queues one dialogue (several examples under GAtt replay).
    public func add(_ dialogue: Dialogue) throws {
        try add(prepared: try prepare(dialogue), id: dialogue.id)
    }

    /// Renders a dialogue without queueing it: pure, so many threads may prepare while one adds.
    public func prepare(_ dialogue: Dialogue) throws(ChatTemplateError) -> [RenderedChat] {
        options.gatt ? try template.renderGAtt(dialogue.messages) : [try template.render(dialogue.messages)]
    }

    /// Queues the examples `prepare` made from one dialogue.
    public func add(prepared chats: [RenderedChat], id: String) throws(ShardError) {
        examples += 1
        for c in chats {
            try sink.checkTokens(c.ids, context: "example \(id)")
            try add(rendered: c)
        }
    }

    /// Queues one rendered example (applying the overlong policy).
    public func add(rendered c: RenderedChat) throws(ShardError) {
        rendered += 1
        var c = c
        if c.ids.count > seqLen {
            guard options.overlong == .truncate, let t = Self.truncate(c, to: seqLen) else {
                droppedOverlong += 1
                return
            }
            truncated += 1
            c = t
        }
        pending.append(c)
        if options.window > 0 && pending.count >= options.window { try flushWindow() }
    }

    /// Cuts an example to `limit` tokens: whole trailing turns first; if the first turn alone is too
    /// long, its answer's tail. Nil when no trained token would survive.
    static func truncate(_ c: RenderedChat, to limit: Int) -> RenderedChat? {
        // The longest prefix ending at an answer's end that fits.
        if let span = c.answerSpans.last(where: { $0.upperBound <= limit }) {
            let end = span.upperBound
            let kept = c.answerSpans.filter { $0.upperBound <= end }
            let r = RenderedChat(ids: Array(c.ids[0..<end]), mask: Array(c.mask[0..<end]), answerSpans: kept)
            if r.mask.contains(1) { return r }
        }
        let clipped = c.answerSpans.compactMap { $0.lowerBound < limit ? $0.lowerBound..<min($0.upperBound, limit) : nil }
        let r = RenderedChat(ids: Array(c.ids[0..<limit]), mask: Array(c.mask[0..<limit]), answerSpans: clipped)
        return r.mask.contains(1) ? r : nil
    }

    private func flushWindow() throws(ShardError) {
        guard !pending.isEmpty else { return }
        let bins = BinPacking.pack(pending.map(\.ids.count), capacity: seqLen, strategy: options.strategy)
        var order = Array(bins.indices)
        if options.shuffleRows { rng.shuffle(&order) }
        var ids: [Int32] = [], mask: [UInt8] = [], segs: [Int32] = []
        ids.reserveCapacity(seqLen); mask.reserveCapacity(seqLen); segs.reserveCapacity(seqLen)
        for b in order {
            ids.removeAll(keepingCapacity: true); mask.removeAll(keepingCapacity: true); segs.removeAll(keepingCapacity: true)
            for (k, item) in bins[b].enumerated() {
                let c = pending[item]
                ids.append(contentsOf: c.ids)
                mask.append(contentsOf: c.mask)
                segs.append(contentsOf: repeatElement(Int32(k + 1), count: c.ids.count))
            }
            tokens += ids.count
            lossTokens += mask.reduce(0) { $0 + Int($1) }
            let pad = seqLen - ids.count
            padTokens += pad
            ids.append(contentsOf: repeatElement(sink.metadata.padID, count: pad))
            mask.append(contentsOf: repeatElement(0, count: pad))
            segs.append(contentsOf: repeatElement(0, count: pad))
            // Columns sorted by name: input_ids, loss_mask, segment_ids.
            try sink.write([.integers(ids), .uint8s(mask), .integers(segs)])
            rows += 1
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// Packs what is queued and writes index.json; returns the statistics recorded there.
    @discardableResult
    public func finish(extraStats: [String: JSONValue] = [:]) throws(ShardError) -> [String: JSONValue] {
        try flushWindow()
        var stats: [String: JSONValue] = [
            "examples": .int(Int64(examples)), "rendered_examples": .int(Int64(rendered)),
            "packed_examples": .int(Int64(rendered - droppedOverlong)),
            "truncated": .int(Int64(truncated)), "dropped_overlong": .int(Int64(droppedOverlong)),
            "rows": .int(Int64(rows)), "tokens": .int(Int64(tokens)), "loss_tokens": .int(Int64(lossTokens)),
            "pad_tokens": .int(Int64(padTokens)),
            "packing": .string(options.strategy.rawValue), "overlong": .string(options.overlong.rawValue),
            "gatt": .bool(options.gatt), "window": .int(Int64(options.window)),
        ]
        for (k, v) in extraStats { stats[k] = v }
        try sink.finish(stats: stats)
        return stats
    }

    /// Real tokens over row capacity.
    public var fillRatio: Double { rows == 0 ? 0 : Double(tokens) / Double(rows * seqLen) }
}
