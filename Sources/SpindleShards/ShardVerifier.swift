// `spindle shards verify`: re-reads every shard with its hashes checked, then proves the invariants the
// trainer relies on, sample by sample:
//
// - rows: exactly seq_len tokens, every id in the vocabulary; segment ids count 1, 2, … in contiguous
//   runs (so a causal mask "same segment id" never lets a token see another example) with padding (0)
//   only at the end, holding the pad id and no loss; positions restart at every segment start.
// - pretrain: a segment starts with <s> unless it continues a document at the row start, ends with
//   </s> unless it is cut at the row end; <s>/</s> appear nowhere else.
// - sft: every segment is one whole example: starts with <s>, ends with </s> (or is a truncated
//   example filling the row); the loss mask is 1 exactly on the assistant answers and their </s>. The
//   answers are found independently of the mask: each <s>…</s> pair holds one answer, which ends at
//   the </s> and (with the tokenizer) starts right after the pair's "[/INST]"; pairs whose text itself
//   spells "[/INST]" are ambiguous to this check and counted, not judged. GAtt shards train only the
//   last answer of a segment.
// - preference: prompt_len within both sequences, shared prompt prefix, both end with </s>, prompt
//   starts with <s> (and ends with "[/INST]"), labels valid.
// - index.json's recorded statistics match what the shards hold.
import SpindleIO

/// The outcome of verifying a shard directory.
public struct VerifyReport: Sendable {
    public var shards = 0
    public var samples = 0
    public var bytes = 0
    /// Answers checked against the mask, and answers the check could not judge (ambiguous text).
    public var answersChecked = 0
    public var answersAmbiguous = 0
    public var problemCount = 0
    /// The first problems found (at most `limit`).
    public var problems: [String] = []
    public var ok: Bool { problemCount == 0 }

    mutating func fail(_ message: String, limit: Int = 50) {
        problemCount += 1
        if problems.count < limit { problems.append(message) }
    }

    public var json: JSONValue {
        .object(["ok": .bool(ok), "shards": .int(Int64(shards)), "samples": .int(Int64(samples)),
                 "bytes": .int(Int64(bytes)), "answers_checked": .int(Int64(answersChecked)),
                 "answers_ambiguous": .int(Int64(answersAmbiguous)), "problem_count": .int(Int64(problemCount)),
                 "problems": .array(problems.map { .string($0) })])
    }
}

/// Verifies a Spindle shard directory.
public struct ShardVerifier {
    public let dataset: ShardDataset
    /// With the tokenizer the shards were packed with, answer starts and prompt ends are checked too.
    public let tokenizer: (any TokenEncoder)?
    let eInst: [Int32]
    let bInst: [Int32]

    public init(dataset: ShardDataset, tokenizer: (any TokenEncoder)? = nil) {
        self.dataset = dataset
        self.tokenizer = tokenizer
        // "[/INST]" is always preceded by a space in the template, which the dummy prefix reproduces.
        self.eInst = tokenizer?.encode(Llama2ChatTemplate.eInst) ?? []
        self.bInst = tokenizer?.encode(Llama2ChatTemplate.bInst) ?? []
    }

    /// For any MDS directory (no Spindle metadata): every file's size and hashes, its structure, and
    /// every column of every sample decodable.
    public static func verifyMDS(_ reader: MDSReader) -> VerifyReport {
        var report = VerifyReport()
        for s in reader.index.shards.indices {
            let info = reader.index.shards[s]
            do {
                let view = try reader.loadShard(s, verifyHashes: true)
                report.shards += 1
                report.bytes += info.zipData?.bytes ?? info.rawData.bytes
                for i in 0..<view.count {
                    let sample = try view.sample(i)
                    for (name, enc) in zip(view.columns.names, view.columns.encodings) {
                        switch enc {
                        case .ndarray(let d, _) where d?.integerRange != nil: _ = try sample.int32s(name)
                        case .str: _ = try sample.string(name)
                        case .int: _ = try sample.integer(name)
                        case .scalar(let d) where d.integerRange != nil: _ = try sample.integer(name)
                        default: _ = try sample.raw(name)
                        }
                    }
                    report.samples += 1
                }
            } catch {
                report.fail("\(error)")
            }
        }
        return report
    }

    /// Checks everything; `progress` is called after each shard with (shards done, shard count).
    public func run(progress: ((Int, Int) -> Void)? = nil) -> VerifyReport {
        var report = VerifyReport()
        let meta = dataset.metadata
        var totals = (tokens: 0, loss: 0, pad: 0)
        var seenPrompts = Set<[Int32]>()
        for s in dataset.reader.index.shards.indices {
            let info = dataset.reader.index.shards[s]
            let view: MDSShardView
            do { view = try dataset.reader.loadShard(s, verifyHashes: true) } catch {
                report.fail("\(error)")
                continue
            }
            report.shards += 1
            report.bytes += info.zipData?.bytes ?? info.rawData.bytes
            for local in 0..<view.count {
                let global = dataset.reader.shardStarts[s] + local
                let where_ = "\(info.rawData.basename) sample \(local) (global \(global))"
                do {
                    switch meta.kind {
                    case .pretrain, .sft:
                        let row = try dataset.row(global)
                        checkRow(row, where_, &report, &totals)
                    case .preference:
                        checkPair(try dataset.pair(global), where_, &report)
                    case .prompts:
                        let p = try dataset.prompt(global)
                        checkPrompt(p.promptIDs, where_, &report)
                        if !seenPrompts.insert(p.promptIDs).inserted { report.fail("\(where_): duplicate prompt") }
                    }
                } catch {
                    report.fail("\(where_): \(error)")
                }
                report.samples += 1
            }
            progress?(s + 1, dataset.reader.index.shards.count)
        }
        checkStats(&report, totals)
        return report
    }

    // MARK: Rows

    func checkRow(_ row: PackedRow, _ at: String, _ r: inout VerifyReport, _ totals: inout (tokens: Int, loss: Int, pad: Int)) {
        let meta = dataset.metadata
        let n = meta.seqLen
        let bos = meta.tokenizer.bosID, eos = meta.tokenizer.eosID
        guard row.inputIDs.count == n, row.segmentIDs.count == n, row.lossMask.count == n else {
            r.fail("\(at): row length is not seq_len \(n)"); return
        }
        // Segment ids: 1, 2, … in contiguous runs, then only padding.
        var expectNext: Int32 = 1
        var inPadding = false
        for i in 0..<n {
            let s = row.segmentIDs[i]
            if s == 0 {
                inPadding = true
                if row.inputIDs[i] != meta.padID { r.fail("\(at): padding token \(i) is \(row.inputIDs[i]), not the pad id"); return }
                if row.lossMask[i] != 0 { r.fail("\(at): loss on padding token \(i)"); return }
                continue
            }
            if inPadding { r.fail("\(at): segment \(s) at token \(i) after padding — padding must come last"); return }
            if i == 0 || s != row.segmentIDs[i - 1] {
                guard s == expectNext else {
                    r.fail("\(at): token \(i) opens segment \(s), expected \(expectNext) — a segment id reused or skipped lets examples attend to each other")
                    return
                }
                expectNext += 1
            }
        }
        let segments = row.segments
        let positions = row.positions
        for seg in segments where positions[seg.lowerBound] != 0 || positions[seg.upperBound - 1] != Int32(seg.count - 1) {
            r.fail("\(at): positions do not restart at segment \(seg)"); return
        }
        totals.tokens += segments.reduce(0) { $0 + $1.count }
        totals.pad += n - (segments.last?.upperBound ?? 0)
        totals.loss += row.lossMask.reduce(0) { $0 + Int($1) }
        if meta.kind == .pretrain {
            for (k, seg) in segments.enumerated() {
                let ids = row.inputIDs[seg]
                let continuation = k == 0 && seg.lowerBound == 0 && ids.first != bos
                let cut = seg.upperBound == n && ids.last != eos
                if !continuation && ids.first != bos { r.fail("\(at): segment \(k + 1) does not start with <s>"); return }
                if !cut && ids.last != eos { r.fail("\(at): segment \(k + 1) does not end with </s>"); return }
                for i in seg where (row.inputIDs[i] == bos && i != seg.lowerBound) || (row.inputIDs[i] == eos && i != seg.upperBound - 1) {
                    r.fail("\(at): a special id inside a document at token \(i) — documents were concatenated without a boundary"); return
                }
            }
            return
        }
        for (k, seg) in segments.enumerated() { checkSFTSegment(row, seg, k + 1, at, &r) }
    }

    /// One SFT example: <s>[INST] … [/INST] answer </s> pairs; the mask equals the answers.
    func checkSFTSegment(_ row: PackedRow, _ seg: Range<Int>, _ number: Int, _ at: String, _ r: inout VerifyReport) {
        let meta = dataset.metadata
        let bos = meta.tokenizer.bosID, eos = meta.tokenizer.eosID
        let ids = row.inputIDs, mask = row.lossMask
        let gatt = meta.stats["gatt"]?.boolValue ?? false
        guard ids[seg.lowerBound] == bos else { r.fail("\(at): segment \(number) does not start with <s>"); return }
        let truncated = ids[seg.upperBound - 1] != eos
        if truncated && seg.upperBound != meta.seqLen {
            r.fail("\(at): segment \(number) does not end with </s> and is not a truncated example filling the row"); return
        }
        // Pairs: [<s> … </s>) boundaries found from the special ids (which text never produces).
        var pairs: [Range<Int>] = []
        var start = seg.lowerBound
        for i in seg where ids[i] == eos || i == seg.upperBound - 1 {
            pairs.append(start..<(i + 1))
            start = i + 1
        }
        var answerStarts: [Int?] = []
        var ambiguous = false
        for (p, pair) in pairs.enumerated() {
            guard ids[pair.lowerBound] == bos, !ids[(pair.lowerBound + 1)..<pair.upperBound].contains(bos) else {
                r.fail("\(at): segment \(number) pair \(p + 1) is not <s> … </s>"); return
            }
            if !eInst.isEmpty {
                // The answer starts right after the pair's only "[/INST]".
                if !bInst.isEmpty && !startsWith(ids, pair.lowerBound + 1, bInst) {
                    r.fail("\(at): segment \(number) pair \(p + 1) does not start with [INST]"); return
                }
                let hits = occurrences(of: eInst, in: ids, pair)
                if hits.isEmpty { r.fail("\(at): segment \(number) pair \(p + 1) has no [/INST]"); return }
                if hits.count == 1 {
                    answerStarts.append(hits[0] + eInst.count)
                } else {
                    // The text spells "[/INST]" too: the answer must still start right after one of them.
                    ambiguous = true
                    let run = (pair.lowerBound..<pair.upperBound).first { mask[$0] == 1 }
                    answerStarts.append(hits.map { $0 + eInst.count }.first { $0 == run } ?? hits[0] + eInst.count)
                }
            } else {
                // Without the tokenizer: the mask's own run start (its end and uniqueness are still checked).
                answerStarts.append((pair.lowerBound..<pair.upperBound).first { mask[$0] == 1 })
            }
        }
        if ambiguous { r.answersAmbiguous += 1 }
        if eInst.isEmpty, let p = answerStarts.indices.first(where: { answerStarts[$0] == nil && (!gatt || $0 == pairs.count - 1) }) {
            r.fail("\(at): segment \(number) pair \(p + 1): the answer carries no loss"); return
        }
        r.answersChecked += pairs.count
        func expected(lastOnly: Bool) -> [UInt8] {
            var e = [UInt8](repeating: 0, count: seg.count)
            for (p, pair) in pairs.enumerated() where !lastOnly || p == pairs.count - 1 {
                if let a = answerStarts[p] { for i in a..<pair.upperBound { e[i - seg.lowerBound] = 1 } }
            }
            return e
        }
        let actual = Array(mask[seg])
        let all = expected(lastOnly: false)
        // GAtt shards train only the last answer of dialogues that had a system instruction.
        if actual == all || (gatt && actual == expected(lastOnly: true)) { return }
        let first = zip(actual, all).enumerated().first { $0.element.0 != $0.element.1 }!.offset
        r.fail("\(at): segment \(number): loss mask differs from the assistant answers at token \(seg.lowerBound + first) "
               + "(mask \(actual[first]), answer \(all[first]))")
    }

    // MARK: Preference and prompts

    func checkPrompt(_ ids: [Int32], _ at: String, _ r: inout VerifyReport) {
        let meta = dataset.metadata
        guard ids.first == meta.tokenizer.bosID else { r.fail("\(at): prompt does not start with <s>"); return }
        guard ids.count <= meta.seqLen else { r.fail("\(at): prompt longer than seq_len"); return }
        if !eInst.isEmpty, !(ids.count >= eInst.count && Array(ids.suffix(eInst.count)) == eInst) {
            r.fail("\(at): prompt does not end with [/INST]")
        }
    }

    func checkPair(_ p: PreferenceRow, _ at: String, _ r: inout VerifyReport) {
        let meta = dataset.metadata
        let eos = meta.tokenizer.eosID
        let pl = p.promptLength
        guard pl >= 1, pl < p.chosenIDs.count, pl < p.rejectedIDs.count else {
            r.fail("\(at): prompt_len \(pl) is not inside both sequences (\(p.chosenIDs.count), \(p.rejectedIDs.count))"); return
        }
        guard p.chosenIDs[0..<pl] == p.rejectedIDs[0..<pl] else { r.fail("\(at): chosen and rejected do not share the prompt"); return }
        checkPrompt(Array(p.chosenIDs[0..<pl]), at, &r)
        for (name, seq) in [("chosen", p.chosenIDs), ("rejected", p.rejectedIDs)] {
            if seq.last != eos { r.fail("\(at): \(name) does not end with </s>") }
            if seq[pl..<(seq.count - 1)].contains(where: { $0 == eos || $0 == meta.tokenizer.bosID }) {
                r.fail("\(at): \(name) answer contains a special id")
            }
            if seq.count > meta.seqLen { r.fail("\(at): \(name) longer than seq_len") }
        }
        if PreferenceAspect(rawValue: p.aspect) == nil { r.fail("\(at): aspect \"\(p.aspect)\" is not helpfulness or safety") }
        if !p.safety.isEmpty && SafetyLabel(rawValue: p.safety) == nil { r.fail("\(at): unknown safety label \"\(p.safety)\"") }
    }

    // MARK: Statistics

    func checkStats(_ r: inout VerifyReport, _ totals: (tokens: Int, loss: Int, pad: Int)) {
        let stats = dataset.metadata.stats
        func expect(_ key: String, _ actual: Int) {
            if let v = stats[key]?.int64Value, v != Int64(actual) {
                r.fail("index.json records \(key) = \(v), the shards hold \(actual)")
            }
        }
        switch dataset.metadata.kind {
        case .pretrain:
            expect("rows", dataset.count); expect("tokens", totals.tokens); expect("pad_tokens", totals.pad)
        case .sft:
            expect("rows", dataset.count); expect("tokens", totals.tokens); expect("loss_tokens", totals.loss)
            expect("pad_tokens", totals.pad)
        case .preference: expect("pairs", dataset.count)
        case .prompts: expect("prompts", dataset.count)
        }
    }

    // MARK: Helpers

    func occurrences(of needle: [Int32], in ids: [Int32], _ range: Range<Int>) -> [Int] {
        guard !needle.isEmpty, range.count >= needle.count else { return [] }
        var out: [Int] = []
        for i in range.lowerBound...(range.upperBound - needle.count) where startsWith(ids, i, needle) { out.append(i) }
        return out
    }

    func startsWith(_ ids: [Int32], _ at: Int, _ needle: [Int32]) -> Bool {
        guard at + needle.count <= ids.count else { return false }
        for k in 0..<needle.count where ids[at + k] != needle[k] { return false }
        return true
    }
}
