import Testing
import SpindleIO
@testable import SpindleStages
import SpindleTestSupport

/// Near-duplicate quality on edited real text (Wikipedia articles and C4 pages from ../shared/data):
/// each base document gets edited variants (word insertions, deletions, substitutions, sentence
/// reordering, added boilerplate, whitespace and case changes, look-alike letters), the true 5-gram
/// Jaccard of every variant against its base is computed exactly, and the one-shot index is scored.
@Suite struct NearDupQualityTests {
    static func bases(limit: Int) throws -> [String] {
        let data = TestPaths.shared + "/data"
        var out: [String] = []
        let wiki = String(decoding: try InputFile.readAll(path: data + "/pretrain/en/wiki_demo.txt"), as: UTF8.self)
        for line in wiki.split(separator: "\n") {
            let w = line.split(separator: " ")
            var k = 0
            while k + 300 <= w.count && out.count < limit / 2 {
                out.append(w[k..<(k + 300)].joined(separator: " ")); k += 300
            }
        }
        let c4 = try InputFile.readAll(path: data + "/pretrain/en/c4_demo.jsonl")
        for line in c4.split(separator: 0x0A) where out.count < limit {
            guard let t = try JSONLine(Array(line)).string("text") else { continue }
            let w = t.split(separator: " ")
            if w.count >= 150 { out.append(w.prefix(400).joined(separator: " ")) }
        }
        return out
    }

    static let boilerplate = ["Share this article on Facebook, Twitter and LinkedIn.", "All rights reserved. Terms of use and privacy policy apply.",
                              "Subscribe to our newsletter to receive the latest news and updates every week.", "Click here to read more stories like this one."]

    /// One edited variant of `t`; `kind` picks the edit, `rng` its details.
    static func edit(_ t: String, kind: Int, rng: inout SeededRandom) -> String {
        func pick(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        var w = t.split(separator: " ").map(String.init)
        let rates = [0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12, 0.2]
        switch kind {
        case 0, 1, 2:  // substitutions, insertions, deletions at a random rate
            let n = max(1, Int(Double(w.count) * rates[pick(rates.count)]))
            for j in 0..<n {
                let k = pick(w.count)
                if kind == 0 { w[k] = "subst\(j)z\(pick(1000))" }
                else if kind == 1 { w.insert("ins\(j)q\(pick(1000))", at: k) }
                else if w.count > 10 { w.remove(at: k) }
            }
            return w.joined(separator: " ")
        case 3:  // sentence reordering
            var s = t.split(separator: ".", omittingEmptySubsequences: true).map(String.init)
            for _ in 0..<(1 + pick(3)) where s.count > 2 { let a = pick(s.count - 1); s.swapAt(a, a + 1) }
            return s.joined(separator: ".")
        case 4:  // added boilerplate
            return t + " " + (0...pick(3)).map { _ in boilerplate[pick(boilerplate.count)] }.joined(separator: " ")
        case 5:  // whitespace and case
            return w.map { pick(4) == 0 ? $0.uppercased() : $0 }.joined(separator: pick(2) == 0 ? "  " : "\n")
        case 6:  // look-alike letters (Cyrillic for Latin)
            let map: [Character: Character] = ["a": "а", "e": "е", "o": "о", "p": "р", "c": "с"]
            return String(t.map { c in (map[c] != nil && pick(3) == 0) ? map[c]! : c })
        default:  // mixed: substitutions and a reordering
            return edit(edit(t, kind: 0, rng: &rng), kind: 3, rng: &rng)
        }
    }

    struct Figures: CustomStringConvertible {
        var positives = 0, found = 0, removed = 0, removedCorrect = 0, bases = 0, basesRemoved = 0
        var recall: Double { Double(found) / Double(max(1, positives)) }
        var precision: Double { Double(removedCorrect) / Double(max(1, removed)) }
        var wrongDistinct: Double { Double(basesRemoved) / Double(max(1, bases)) }
        var description: String {
            "recall@J>=0.85 \(fixed(recall, 4)) (\(found)/\(positives)), precision \(fixed(precision, 4)) (\(removedCorrect)/\(removed)), "
                + "distinct wrongly removed \(fixed(100 * wrongDistinct, 3))% (\(basesRemoved)/\(bases))"
        }
    }

    static func evaluate(verify: VerifyMode, limit: Int = 240, variants: Int = 4, margin: Double = NearDupIndex.defaultEstimateMargin) throws -> Figures {
        let base = try bases(limit: limit)
        var rng = SeededRandom(seed: 2024)
        var docs = base
        var origin: [Int] = Array(0..<base.count)
        for (i, t) in base.enumerated() {
            for _ in 0..<variants { docs.append(edit(t, kind: Int(rng.next() % 8), rng: &rng)); origin.append(i) }
        }
        let sh = Shingler(n: 5)
        let sets = docs.map { sh.shingleSet($0) }
        var pipe = MinHashPipeline()
        var idx = NearDupIndex(lsh: LSHParameters.optimal(threshold: 0.8, numPerm: 128), numPerm: 128, threshold: 0.8, verify: verify)
        idx.estimateMargin = margin
        for t in docs {
            let s = pipe.signature(of: t)
            s.withUnsafeBufferPointer { idx.add(signature: $0, shingles: pipe.shingles, length: t.utf8.count, score: 0) }
        }
        let removals = idx.clusters(keep: .first).removals
        var f = Figures()
        f.bases = base.count
        let removedSet = Set(removals.map(\.doc))
        for d in base.count..<docs.count where Shingler.jaccard(sets[d], sets[origin[d]]) >= 0.85 {
            f.positives += 1
            if removedSet.contains(d) { f.found += 1 }
        }
        for r in removals {
            f.removed += 1
            if Shingler.jaccard(sets[r.doc], sets[r.keptDoc]) >= 0.8 { f.removedCorrect += 1 }
            if r.doc < base.count { f.basesRemoved += 1 }
        }
        return f
    }

    @Test(.requires(.sharedData("pretrain/en/wiki_demo.txt"), .sharedData("pretrain/en/c4_demo.jsonl")), arguments: [VerifyMode.estimate, .exact])
    func editedRealText(verify: VerifyMode) throws {
        let f = try Self.evaluate(verify: verify)
        print("near-dup quality (verify \(verify.rawValue)): \(f)")
        #expect(f.bases >= 200 && f.positives >= 300)
        #expect(f.recall >= 0.95)
        #expect(f.precision >= 0.97)
        #expect(f.wrongDistinct <= 0.001)
    }
}
