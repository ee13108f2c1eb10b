import Testing
import SpindleIO
@testable import SpindleTokenizer

/// Pair counts in a plain array, ordered by count (higher first), then pair id (smaller first).
private struct CountTable: PairOrder {
    var counts: [Int64]
    var pairCount: Int { counts.count }
    func count(of pair: Int32) -> Int64 { counts[Int(pair)] }
    func better(_ x: PairHeap.Entry, _ y: PairHeap.Entry) -> Bool {
        x.count != y.count ? x.count > y.count : x.pair < y.pair
    }

    /// The oracle: a scan of every pair for the best one with a positive count.
    var best: (pair: Int32, count: Int64)? {
        var best: (pair: Int32, count: Int64)?
        for (p, c) in counts.enumerated() where c > 0 && c > (best?.count ?? 0) { best = (Int32(p), c) }
        return best
    }
}

@Suite struct PairHeapTests {
    /// The lazy heap against a full scan, as the merge loop uses it: the best pair is taken and its count
    /// drops to zero, other counts rise and fall (rises are reported, falls are not), and counts spread
    /// over four orders of magnitude so the floor is lowered several times. Ties are common.
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func popsWhatAFullScanFinds(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        var t = CountTable(counts: (0..<300).map { _ in
            Int64.random(in: 0...3, using: &rng) == 0 ? 0 : Int64(1) << Int64.random(in: 0...13, using: &rng) + Int64.random(in: 0...3, using: &rng)
        })
        var heap = PairHeap(t)
        var taken = 0
        for _ in 0..<3000 {
            let want = t.best
            let got = heap.popBest(t)
            #expect(got?.pair == want?.pair && got?.count == want?.count)
            guard let got else { break }
            taken += 1
            t.counts[Int(got.pair)] = 0
            for _ in 0..<Int.random(in: 0...6, using: &rng) {
                let q = Int.random(in: 0..<t.counts.count, using: &rng)
                let before = t.counts[q]
                t.counts[q] = max(0, before + Int64.random(in: -40...40, using: &rng))
                if t.counts[q] > before { heap.counted(Int32(q), from: before, to: t.counts[q], t) }
            }
        }
        #expect(taken > 200)
    }

    @Test func emptyAndAllZeroTablesHaveNoBest() {
        var none = PairHeap(CountTable(counts: []))
        #expect(none.popBest(CountTable(counts: [])) == nil)
        let zeros = CountTable(counts: [0, 0, 0])
        var heap = PairHeap(zeros)
        #expect(heap.popBest(zeros) == nil)
    }
}
