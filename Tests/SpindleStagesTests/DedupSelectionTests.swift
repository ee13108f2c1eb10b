import Testing
import SpindleIO
@testable import SpindleStages
import SpindleTestSupport

/// The kept set on hand-made graphs: chains, stars, ties and the keep rule.
@Suite struct DedupSelectionTests {
    func select(_ n: Int, _ edges: [(Int, Int)], _ mode: SelectMode, keep: KeepRule = .first,
                length: [Int]? = nil, score: [Double]? = nil) -> [Removal] {
        let g = SimilarityGraph(count: n, edges: edges.map { VerifiedEdge($0.0, $0.1, 0.75 + Double($0.0 + $0.1) / 64) })
        return selectKeepers(g, select: mode, keep: keep, length: length ?? Array(repeating: 1, count: n),
                             score: score ?? Array(repeating: 0, count: n))
    }

    @Test func chainKeepsTheMiddleAndNeverRemovesThroughARemovedDocument() {
        // A~B, B~C, A!~C: union-find kept A and dropped C although nothing like C survived.
        let r = select(3, [(0, 1), (1, 2)], .greedy)
        #expect(r == [Removal(doc: 0, keptDoc: 1, similarity: 0.765625), Removal(doc: 2, keptDoc: 1, similarity: 0.796875)])
        // First-seen: A is kept, B is removed (A is kept and similar), C has only the removed B: kept.
        #expect(select(3, [(0, 1), (1, 2)], .firstSeen) == [Removal(doc: 1, keptDoc: 0, similarity: 0.765625)])
    }

    @Test func longChainNeedsEveryThirdDocument() {
        // Path of 7: a dominating set needs 3 (1, 4, and 5 or 6); first-seen keeps 0, 2, 4, 6.
        let path = (0..<6).map { ($0, $0 + 1) }
        let g = select(7, path, .greedy)
        #expect(g.count == 4)
        let kept = Set(0..<7).subtracting(g.map(\.doc))
        #expect(g.allSatisfy { kept.contains($0.keptDoc) && abs($0.doc - $0.keptDoc) == 1 })
        #expect(select(7, path, .firstSeen).map(\.doc) == [1, 3, 5])
    }

    @Test func witnessIsTheMostSimilarKeptNeighbour() {
        // Star centres 0 and 4 both cover 2; similarity 0.75 + (a+b)/64 picks centre 4 as 2's witness.
        let r = select(7, [(0, 1), (0, 2), (0, 3), (4, 2), (4, 5), (4, 6)], .greedy)
        #expect(Set(r.map(\.keptDoc)) == [0, 4])
        #expect(r.first { $0.doc == 2 } == Removal(doc: 2, keptDoc: 4, similarity: 0.84375))
    }

    @Test func tiesFollowTheKeepRule() {
        // A pair: equal coverage; first keeps 0, longest keeps the longer, FIELD the larger value.
        #expect(select(2, [(0, 1)], .greedy).map(\.doc) == [1])
        #expect(select(2, [(0, 1)], .greedy, keep: .longest, length: [5, 9]).map(\.doc) == [0])
        #expect(select(2, [(0, 1)], .greedy, keep: .field("q"), score: [3, -.infinity]).map(\.doc) == [1])
        // Coverage beats the keep rule: the middle of a chain wins over a longer end.
        #expect(select(3, [(0, 1), (1, 2)], .greedy, keep: .longest, length: [100, 1, 100]).map(\.doc) == [0, 2])
    }

    @Test func repeatedEdgesCountOnceAndIsolatedDocumentsStay() {
        let g = SimilarityGraph(count: 4, edges: [VerifiedEdge(2, 0, 0.9), VerifiedEdge(0, 2, 0.9), VerifiedEdge(1, 2, 0.85)])
        #expect(g.edgeCount == 2 && g.degree(3) == 0)
        #expect(g.similarity(2, 1) == 0.85 && g.similarity(0, 1) == nil)
        #expect(selectKeepers(g, select: .greedy, keep: .first, length: [1, 1, 1, 1], score: [0, 0, 0, 0]).map(\.doc) == [0, 1])
    }

    /// Smallest dominating set by brute force (n <= 12).
    func minimumDominatingSet(_ n: Int, _ adj: (Int, Int) -> Bool) -> Int {
        var best = n
        for mask in 1..<(1 << n) where mask.nonzeroBitCount < best {
            let dominated = (0..<n).allSatisfy { v in (0..<n).contains { mask & (1 << $0) != 0 && ($0 == v || adj($0, v)) } }
            if dominated { best = mask.nonzeroBitCount }
        }
        return best
    }

    /// Property: on random graphs, every removal's witness is kept and adjacent; first-seen keeps exactly
    /// the documents with no earlier kept neighbour; greedy keeps within its ln(max degree + 1) + 1 bound
    /// of the minimum dominating set.
    @Test func guaranteeOnRandomGraphs() {
        var rng = SeededRandom(seed: 5)
        for _ in 0..<150 {
            let n = 2 + Int(rng.next() % 11)
            var edges: [(Int, Int)] = []
            for a in 0..<n { for b in (a + 1)..<n where rng.next() % 4 == 0 { edges.append((a, b)) } }
            let adjacent = Set(edges.map { "\($0.0)-\($0.1)" })
            func adj(_ a: Int, _ b: Int) -> Bool { adjacent.contains("\(min(a, b))-\(max(a, b))") }
            for mode in SelectMode.allCases {
                let r = select(n, edges, mode)
                let removed = Set(r.map(\.doc))
                #expect(r.allSatisfy { !removed.contains($0.keptDoc) && adj($0.doc, $0.keptDoc) })
                if mode == .firstSeen {
                    #expect(r.allSatisfy { $0.keptDoc < $0.doc })
                    for d in 0..<n {
                        let hasEarlierKept = (0..<d).contains { !removed.contains($0) && adj($0, d) }
                        #expect(removed.contains(d) == hasEarlierKept)
                    }
                } else {
                    let maxDegree = (0..<n).map { v in (0..<n).filter { adj(v, $0) }.count }.max() ?? 0
                    var harmonic = 0.0
                    for k in 1...(maxDegree + 1) { harmonic += 1 / Double(k) }
                    let mds = minimumDominatingSet(n, adj)
                    #expect(Double(n - r.count) <= harmonic * Double(mds) + 1e-9)
                }
            }
        }
    }
}
