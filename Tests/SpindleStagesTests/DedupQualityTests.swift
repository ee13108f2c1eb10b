import Testing
import SpindleIO
@testable import SpindleStages
import SpindleTestSupport

/// Near-duplicate quality on edited real text (Wikipedia articles and C4 pages from ../shared/data): each
/// base document grows edited variants, each made from a random earlier member so that chains exist (word
/// insertions, deletions, substitutions, sentence reordering, added boilerplate, whitespace and case
/// changes, look-alike letters); true 5-gram Jaccard within each cluster is computed exactly and the
/// one-shot index is scored with the definitions of docs/STAGES.md.
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

    /// The definitions: a removal is correct iff some KEPT member of its true cluster has true
    /// Jaccard >= t; recall's denominator is each cluster's size minus the minimum dominating set of its
    /// true >= t graph (brute force: clusters have 1 + variants members).
    struct Figures: CustomStringConvertible {
        var removed = 0, correct = 0, possible = 0, badWitness = 0, documents = 0
        var recall: Double { Double(correct) / Double(max(1, possible)) }
        var precision: Double { Double(correct) / Double(max(1, removed)) }
        var wrongFraction: Double { Double(removed - correct) / Double(max(1, documents)) }
        var description: String {
            "precision \(fixed(precision, 4)) (\(correct)/\(removed)), recall \(fixed(recall, 4)) (\(correct)/\(possible)), "
                + "wrongly removed \(fixed(100 * wrongFraction, 3))% of \(documents), witnesses under t \(badWitness)"
        }
    }

    static func minimumDominatingSet(_ adj: [[Bool]]) -> Int {
        let n = adj.count
        var best = n
        for mask in 1..<(1 << n) where mask.nonzeroBitCount < best {
            if (0..<n).allSatisfy({ v in (0..<n).contains { mask & (1 << $0) != 0 && ($0 == v || adj[$0][v]) } }) { best = mask.nonzeroBitCount }
        }
        return best
    }

    /// Each base grows `variants` copies, each an edit of a random earlier member (copies of copies: chains).
    static func evaluate(verify: VerifyMode, select: SelectMode = .greedy, limit: Int = 240, variants: Int = 4) throws -> Figures {
        let base = try bases(limit: limit)
        var rng = SeededRandom(seed: 2024)
        var docs: [String] = [], cluster: [Int] = []
        for (i, t) in base.enumerated() {
            var members = [t]
            for _ in 0..<variants { members.append(edit(members[Int(rng.next() % UInt64(members.count))], kind: Int(rng.next() % 8), rng: &rng)) }
            docs += members; cluster += Array(repeating: i, count: members.count)
        }
        let sh = Shingler(n: 5)
        let sets = docs.map { sh.shingleSet($0) }
        var pipe = MinHashPipeline()
        var idx = NearDupIndex(lsh: LSHParameters.optimal(threshold: 0.8, numPerm: 128), numPerm: 128, threshold: 0.8, verify: verify)
        for t in docs {
            let s = pipe.signature(of: t)
            s.withUnsafeBufferPointer { idx.add(signature: $0, shingles: pipe.shingles, length: t.utf8.count, score: 0) }
        }
        let removals = idx.clusters(keep: .first, select: select).removals
        let removedSet = Set(removals.map(\.doc))
        var f = Figures()
        f.documents = docs.count
        let size = variants + 1
        for c in 0..<base.count {
            let m = Array((c * size)..<((c + 1) * size))
            let adj = m.map { x in m.map { y in x != y && Shingler.jaccard(sets[x], sets[y]) >= 0.8 } }
            f.possible += size - minimumDominatingSet(adj)
        }
        for r in removals {
            f.removed += 1
            let m = (cluster[r.doc] * size)..<((cluster[r.doc] + 1) * size)
            if m.contains(where: { $0 != r.doc && !removedSet.contains($0) && Shingler.jaccard(sets[r.doc], sets[$0]) >= 0.8 }) { f.correct += 1 }
            if Shingler.jaccard(sets[r.doc], sets[r.keptDoc]) < 0.8 { f.badWitness += 1 }
        }
        return f
    }

    @Test(.requires(.sharedData("pretrain/en/wiki_demo.txt"), .sharedData("pretrain/en/c4_demo.jsonl")),
          arguments: VerifyMode.allCases, SelectMode.allCases)
    func editedRealText(verify: VerifyMode, select: SelectMode) throws {
        let f = try Self.evaluate(verify: verify, select: select)
        print("near-dup quality (verify \(verify.rawValue), select \(select.rawValue)): \(f)")
        #expect(f.documents >= 1000 && f.possible >= 300)
        if verify == .hybrid {
            // The default: exact inside the +-3 sigma band, so only a pair decided on the wrong side by a
            // 3-sigma estimate can be wrong.
            #expect(f.precision >= 0.99)
            #expect(f.recall >= (select == .greedy ? 0.95 : 0.80))
        } else if verify == .exact {
            // The guarantee: exact verification never names a witness under the threshold.
            #expect(f.badWitness == 0 && f.precision == 1)
            #expect(f.recall >= (select == .greedy ? 0.95 : 0.80))
        } else {
            #expect(f.precision >= 0.95)
            #expect(f.recall >= (select == .greedy ? 0.90 : 0.75))
        }
        #expect(f.wrongFraction <= (verify == .exact ? 0 : verify == .hybrid ? 0.005 : 0.02))
    }
}
