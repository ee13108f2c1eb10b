import SpindleIO
import Testing
@testable import SpindleShards

@Suite("Bin packing")
struct BinPackingTests {
    static func randomLengths(_ n: Int, capacity: Int, seed: UInt64) -> [Int] {
        var rng = TestRNG(seed)
        return (0..<n).map { _ in
            // Skewed towards short items, like SFT examples, with some near the capacity.
            let r = rng.int(100)
            return r < 70 ? 1 + rng.int(max(1, capacity / 8)) : r < 95 ? 1 + rng.int(max(1, capacity / 2)) : 1 + rng.int(capacity)
        }
    }

    /// The fast best-fit decreasing equals the naive oracle bin for bin.
    @Test(arguments: [(0, 64, 1), (1, 64, 2), (50, 64, 3), (500, 100, 4), (2000, 4096, 5), (3000, 127, 6), (1000, 1, 7)])
    func fastMatchesNaive(n: Int, capacity: Int, seed: UInt64) {
        let lengths = Self.randomLengths(n, capacity: capacity, seed: seed)
        #expect(BinPacking.bestFitDecreasing(lengths, capacity: capacity)
                == BinPacking.bestFitDecreasingNaive(lengths, capacity: capacity))
    }

    @Test(arguments: [PackingStrategy.bestFit, .greedy])
    func everyItemOnceAndBinsFit(strategy: PackingStrategy) {
        let lengths = Self.randomLengths(3000, capacity: 4096, seed: 9)
        let bins = BinPacking.pack(lengths, capacity: 4096, strategy: strategy)
        #expect(bins.flatMap { $0 }.sorted() == Array(lengths.indices))
        for b in bins { #expect(b.reduce(0) { $0 + lengths[$1] } <= 4096) }
    }

    @Test func bestFitBeatsGreedy() {
        let lengths = Self.randomLengths(3000, capacity: 4096, seed: 11)
        let bfd = BinPacking.bestFitDecreasing(lengths, capacity: 4096).count
        let nf = BinPacking.nextFit(lengths, capacity: 4096).count
        let lowerBound = (lengths.reduce(0, +) + 4095) / 4096
        #expect(bfd < nf)
        #expect(bfd <= lowerBound + lowerBound / 50 + 1)
    }

    @Test func knownSmallCase() {
        // capacity 10: decreasing 7,5,4,3,1 -> [7,3], [5,4,1]
        #expect(BinPacking.bestFitDecreasing([3, 7, 1, 5, 4], capacity: 10) == [[1, 0], [3, 4, 2]])
        #expect(BinPacking.nextFit([3, 7, 1, 5, 4], capacity: 10) == [[0, 1], [2, 3, 4]])
    }
}

@Suite("Parallel map")
struct ParallelMapTests {
    @Test(arguments: [1, 2, 3, 8])
    func keepsInputOrder(threads: Int) {
        let items = Array(0..<1000)
        let e = FakeEncoder()
        let texts = items.map { "item \($0) " + String(repeating: "x", count: $0 % 37) }
        #expect(Parallel(threads: threads).map(texts) { e.encode($0) } == texts.map { e.encode($0) })
        #expect(Parallel(threads: threads).map([Int]()) { $0 } == [])
    }
}
