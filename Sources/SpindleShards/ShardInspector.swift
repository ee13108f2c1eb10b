// `spindle shards inspect`: what a shard directory holds — counts, fill ratio, loss-mask coverage,
// length histograms, preference label distributions — and samples decoded as text with the trained
// (loss-mask 1) spans marked.
import SpindleIO

/// Summary of a shard directory.
public struct ShardInspection: Sendable {
    public var kind: ShardKind
    public var directory: String
    public var shards = 0
    public var samples = 0
    public var bytes = 0
    public var seqLen = 0
    public var tokenType = ""
    public var tokenizer: TokenizerStamp
    /// Real (non-padding) tokens, padding tokens, tokens with loss.
    public var tokens = 0
    public var padTokens = 0
    public var lossTokens = 0
    /// Examples (segments) in rows, or pairs/prompts.
    public var examples = 0
    /// Histogram of example lengths (segment lengths, or chosen/rejected lengths): bucket upper bound -> count.
    public var lengthHistogram: [(upTo: Int, count: Int)] = []
    public var degrees: [String: Int] = [:]
    public var aspects: [String: Int] = [:]
    public var safety: [String: Int] = [:]
    /// The packer's own record from index.json.
    public var packStats: [String: JSONValue] = [:]

    /// Real tokens over row capacity (rows only).
    public var fillRatio: Double { samples == 0 || seqLen == 0 ? 0 : Double(tokens) / Double(samples * seqLen) }
    /// Tokens with loss over real tokens.
    public var lossCoverage: Double { tokens == 0 ? 0 : Double(lossTokens) / Double(tokens) }

    static func buckets(upTo max: Int) -> [Int] {
        var b: [Int] = []
        var x = 16
        while x < max { b.append(x); x *= 2 }
        b.append(max)
        return b
    }

    /// Machine-readable form (`--json`); ratios rounded to 4 decimals.
    public var json: JSONValue {
        func round4(_ d: Double) -> JSONValue { .double((d * 10000).rounded() / 10000) }
        func counts(_ d: [String: Int]) -> JSONValue { .object(d.mapValues { .int(Int64($0)) }) }
        var o: [String: JSONValue] = [
            "directory": .string(directory), "kind": .string(kind.rawValue), "shards": .int(Int64(shards)),
            "samples": .int(Int64(samples)), "bytes": .int(Int64(bytes)), "seq_len": .int(Int64(seqLen)),
            "token_dtype": .string(tokenType), "tokens": .int(Int64(tokens)), "examples": .int(Int64(examples)),
            "tokenizer": .object(["fingerprint": .string(tokenizer.fingerprint), "vocab_size": .int(Int64(tokenizer.vocabSize))]),
            "length_histogram": .array(lengthHistogram.map { .object(["up_to": .int(Int64($0.upTo)), "count": .int(Int64($0.count))]) }),
            "pack_stats": .object(packStats),
        ]
        if kind == .pretrain || kind == .sft {
            o["pad_tokens"] = .int(Int64(padTokens))
            o["fill_ratio"] = round4(fillRatio)
            o["loss_tokens"] = .int(Int64(lossTokens))
            o["loss_coverage"] = round4(lossCoverage)
        }
        if kind == .preference {
            o["degree"] = counts(degrees)
            o["safety"] = counts(safety)
        }
        if kind == .preference || kind == .prompts { o["aspect"] = counts(aspects) }
        return .object(o)
    }

    /// Human-readable summary.
    public var text: String {
        func pct(_ d: Double) -> String { String(Double(Int((d * 1000).rounded())) / 10) + "%" }
        func dist(_ d: [String: Int]) -> String {
            let total = max(1, d.values.reduce(0, +))
            return d.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value) (\(pct(Double($0.value) / Double(total))))" }.joined(separator: ", ")
        }
        var lines: [String] = []
        lines.append("\(directory): \(kind.rawValue) shards, \(shards) file(s), \(bytes) bytes")
        lines.append("tokenizer \(tokenizer.fingerprint) (vocabulary \(tokenizer.vocabSize), \(tokenType) tokens), seq_len \(seqLen)")
        switch kind {
        case .pretrain, .sft:
            lines.append("rows \(samples), examples \(examples) (\(samples == 0 ? 0 : examples / max(1, samples)) per row on average)")
            lines.append("tokens \(tokens), padding \(padTokens), fill ratio \(pct(fillRatio))")
            lines.append("loss tokens \(lossTokens), loss-mask coverage \(pct(lossCoverage)) of real tokens")
        case .preference:
            lines.append("pairs \(samples), tokens \(tokens) (chosen + rejected)")
            lines.append("degree: \(dist(degrees))")
            lines.append("aspect: \(dist(aspects))")
            lines.append("safety: \(dist(safety))")
        case .prompts:
            lines.append("prompts \(samples), tokens \(tokens)")
            lines.append("aspect: \(dist(aspects))")
        }
        if !packStats.isEmpty {
            let shown = packStats.sorted { $0.key < $1.key }.compactMap { k, v -> String? in
                switch v {
                case .number(let text) where v.int64Value != nil: return "\(k) \(text)"
                case .string(let s): return "\(k) \(s)"
                case .bool(let b): return "\(k) \(b)"
                default: return nil
                }
            }
            lines.append("packed: " + shown.joined(separator: ", "))
        }
        lines.append(kind == .preference ? "sequence lengths (chosen and rejected):" : (kind == .prompts ? "prompt lengths:" : "example (segment) lengths:"))
        let peak = max(1, lengthHistogram.map(\.count).max() ?? 1)
        var lower = 1
        for (upTo, count) in lengthHistogram {
            let bar = String(repeating: "#", count: count == 0 ? 0 : max(1, count * 40 / peak))
            let label = "\(lower)-\(upTo)"
            lines.append("  " + String(repeating: " ", count: max(0, 11 - label.count)) + label + " " + String(count).leftPadded(8) + " " + bar)
            lower = upTo + 1
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}

public enum ShardInspector {
    /// Any MDS directory (e.g. one streaming's MDSWriter wrote): shards, samples, bytes and columns.
    public static func describe(_ reader: MDSReader) -> (text: String, json: JSONValue) {
        let bytes = reader.index.shards.reduce(0) { $0 + ($1.zipData?.bytes ?? $1.rawData.bytes) }
        let cols = zip(reader.columns.names, reader.columns.encodings).map { "\($0.0) (\($0.1))" }
        let compression = reader.index.shards.first?.compression ?? "none"
        let text = "\(reader.directory): MDS data set (not written by spindle pack), \(reader.index.shards.count) shard file(s), "
            + "\(bytes) bytes, \(reader.count) samples, compression \(compression)\ncolumns: \(cols.joined(separator: ", "))"
        let json = JSONValue.object([
            "directory": .string(reader.directory), "kind": .string("mds"), "shards": .int(Int64(reader.index.shards.count)),
            "samples": .int(Int64(reader.count)), "bytes": .int(Int64(bytes)),
            "columns": .object(reader.columns.dictionary.mapValues { .string($0.description) }),
        ])
        return (text, json)
    }

    /// Reads every sample of `dataset` and summarises it.
    public static func inspect(_ dataset: ShardDataset) throws(ShardError) -> ShardInspection {
        let meta = dataset.metadata
        var out = ShardInspection(kind: meta.kind, directory: dataset.directory, tokenizer: meta.tokenizer)
        out.shards = dataset.reader.index.shards.count
        out.samples = dataset.count
        out.bytes = dataset.reader.index.shards.reduce(0) { $0 + ($1.zipData?.bytes ?? $1.rawData.bytes) }
        out.seqLen = meta.seqLen
        out.tokenType = meta.tokenType.rawValue
        out.packStats = meta.stats
        let bounds = ShardInspection.buckets(upTo: meta.seqLen)
        var hist = [Int](repeating: 0, count: bounds.count)
        func count(_ n: Int) {
            let b = bounds.firstIndex { n <= $0 } ?? bounds.count - 1
            hist[b] += 1
        }
        for i in 0..<dataset.count {
            switch meta.kind {
            case .pretrain, .sft:
                let row = try dataset.row(i)
                let segs = row.segments
                out.examples += segs.count
                for s in segs { count(s.count) }
                let real = segs.reduce(0) { $0 + $1.count }
                out.tokens += real
                out.padTokens += meta.seqLen - real
                out.lossTokens += meta.kind == .sft ? row.lossMask.reduce(0) { $0 + Int($1) } : real
            case .preference:
                let p = try dataset.pair(i)
                out.examples += 1
                out.tokens += p.chosenIDs.count + p.rejectedIDs.count
                count(p.chosenIDs.count)
                count(p.rejectedIDs.count)
                out.degrees[p.degree.label, default: 0] += 1
                out.aspects[p.aspect, default: 0] += 1
                out.safety[p.safety.isEmpty ? "none" : p.safety, default: 0] += 1
            case .prompts:
                let p = try dataset.prompt(i)
                out.examples += 1
                out.tokens += p.promptIDs.count
                count(p.promptIDs.count)
                out.aspects[p.aspect.isEmpty ? "none" : p.aspect, default: 0] += 1
            }
        }
        out.lengthHistogram = Array(zip(bounds, hist)).map { (upTo: $0.0, count: $0.1) }
        return out
    }

    /// Opening and closing marks around trained (loss-mask 1) spans in decoded text.
    public static let trainedOpen = "⟦", trainedClose = "⟧"

    /// Text of `ids` with <s>, </s> shown, and trained spans (mask 1) wrapped in ⟦ ⟧.
    public static func render(_ ids: ArraySlice<Int32>, mask: ArraySlice<UInt8>?, encoder: any TokenEncoder, bos: Int32, eos: Int32) -> String {
        var out = ""
        var run: [Int32] = []
        var runTrained = false
        func flush() {
            guard !run.isEmpty else { return }
            out += encoder.displayText(run)
            run.removeAll()
        }
        var i = ids.startIndex
        while i < ids.endIndex {
            let trained = (mask?[mask!.startIndex + (i - ids.startIndex)] ?? 0) == 1
            if trained != runTrained {
                flush()
                out += trained ? trainedOpen : trainedClose
                runTrained = trained
            }
            let id = ids[i]
            if id == bos || id == eos {
                flush()
                out += id == bos ? "<s>" : "</s>"
            } else {
                run.append(id)
            }
            i += 1
        }
        flush()
        if runTrained { out += trainedClose }
        return out
    }

    /// Sample `i` as text: rows segment by segment (padding summarised), pairs as prompt / chosen / rejected.
    public static func decode(_ dataset: ShardDataset, sample i: Int, encoder: any TokenEncoder) throws(ShardError) -> String {
        let meta = dataset.metadata
        let bos = meta.tokenizer.bosID, eos = meta.tokenizer.eosID
        switch meta.kind {
        case .pretrain, .sft:
            let row = try dataset.row(i)
            var lines = ["── row \(i) ──"]
            for (k, s) in row.segments.enumerated() {
                let mask: ArraySlice<UInt8>? = meta.kind == .sft ? row.lossMask[s] : nil
                lines.append("[segment \(k + 1): tokens \(s.lowerBound)..<\(s.upperBound)] "
                             + render(row.inputIDs[s], mask: mask, encoder: encoder, bos: bos, eos: eos))
            }
            let pad = meta.seqLen - (row.segments.last?.upperBound ?? 0)
            if pad > 0 { lines.append("[padding: \(pad) tokens]") }
            return lines.joined(separator: "\n")
        case .preference:
            let p = try dataset.pair(i)
            let prompt = render(p.chosenIDs[0..<p.promptLength], mask: nil, encoder: encoder, bos: bos, eos: eos)
            let c = render(p.chosenIDs[p.promptLength...], mask: nil, encoder: encoder, bos: bos, eos: eos)
            let r = render(p.rejectedIDs[p.promptLength...], mask: nil, encoder: encoder, bos: bos, eos: eos)
            return "── pair \(i) \(p.id): \(p.degree.label), \(p.aspect)\(p.safety.isEmpty ? "" : ", " + p.safety) ──\n"
                + "[prompt] \(prompt)\n[chosen] \(c)\n[rejected] \(r)"
        case .prompts:
            let p = try dataset.prompt(i)
            return "── prompt \(i) \(p.id)\(p.aspect.isEmpty ? "" : " (" + p.aspect + ")") ──\n"
                + render(p.promptIDs[...], mask: nil, encoder: encoder, bos: bos, eos: eos)
        }
    }
}
