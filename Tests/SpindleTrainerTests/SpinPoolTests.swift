// The decoding thread pool: every participant runs once per call, pieces tile the range.
import Testing
import Synchronization
@testable import SpindleTrainer

@Suite struct SpinPoolTests {
    @Test(arguments: [1, 2, 3])
    func everyParticipantRunsOncePerCall(threads: Int) {
        let pool = SpinPool(threads: threads)
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: threads)
        counts.initialize(repeating: 0, count: threads)
        defer { counts.deallocate() }
        for _ in 0..<2000 { pool.run { t in counts[t] += 1 } }   // each t writes only its own slot
        #expect((0..<threads).allSatisfy { counts[$0] == 2000 })
    }

    @Test(arguments: [(0, 2, 4), (7, 2, 4), (288, 2, 4), (32000, 3, 4), (13, 4, 1), (768, 2, 8)])
    func piecesTileTheRangeOnAlignedBoundaries(n: Int, of: Int, align: Int) {
        var next = 0
        for t in 0..<of {
            let p = SpinPool.piece(n, t, of, align: align)
            #expect(p.lowerBound == next || p.isEmpty)
            if !p.isEmpty { #expect(p.lowerBound % align == 0); next = p.upperBound }
        }
        #expect(next == n)
    }

    @Test func matVecMatchesScalarProduct() {
        // Column counts on both sides of the 32-wide unrolled loop, rows split anywhere.
        for n in [1, 31, 32, 33, 288, 300] {
            let rows = 9
            let w = (0..<(rows * n)).map { Float(($0 * 37) % 17) / 17 - 0.5 }
            let x = (0..<n).map { Float(($0 * 11) % 13) / 13 - 0.5 }
            var y = [Float](repeating: 1, count: rows)
            w.withUnsafeBufferPointer { wp in x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
                matVec(wp.baseAddress!, xp.baseAddress!, yp.baseAddress!, rows: 0..<4, n: n, accumulate: false)
                matVec(wp.baseAddress!, xp.baseAddress!, yp.baseAddress!, rows: 4..<rows, n: n, accumulate: true)
            } } }
            for r in 0..<rows {
                let ref = (0..<n).reduce(Float(0)) { $0 + w[r * n + $1] * x[$1] } + (r >= 4 ? 1 : 0)
                #expect(abs(y[r] - ref) < 1e-4, "n \(n) row \(r): \(y[r]) vs \(ref)")
            }
        }
    }
}

/// A pool dropped before its worker threads have even started must not touch freed memory (found
/// under load: workers captured the pool unowned and one started after its deinit).
@Suite struct SpinPoolLifetimeTests {
    @Test func poolsCreatedAndDroppedAtOnceAreSafe() {
        for i in 0..<300 {
            let pool = SpinPool(threads: 4)
            if i % 3 == 0 {
                let hits = Atomic<Int>(0)
                pool.run { _ in hits.add(1, ordering: .relaxed) }
                #expect(hits.load(ordering: .relaxed) == 4)
            }
        }
    }
}
