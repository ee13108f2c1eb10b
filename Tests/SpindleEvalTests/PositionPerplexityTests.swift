// eval ppl --by-position: targets land in the bucket of their position, and a bucket's perplexity is
// exp of its mean negative log-likelihood.
import Foundation
import Testing
@testable import SpindleEval

@Suite struct PositionPerplexityTests {
    @Test func bucketsGroupTargetsByPosition() {
        var p = PositionPerplexity(context: 10, buckets: 3)   // width 4: positions 0-3, 4-7, 8-9
        #expect(p.width == 4)
        p.add((1...9).map { -Float($0) / 10 })                // entry i predicts position i + 1
        p.add([Float](repeating: -1, count: 9))
        let rows = p.rows
        #expect(rows.map(\.first) == [0, 4, 8] && rows.map(\.last) == [3, 7, 9])
        #expect(rows.map(\.targets) == [6, 8, 4], "position 0 is never a target")
        let loss0 = (0.1 + 0.2 + 0.3 + 3) / 6
        #expect(abs(rows[0].loss - loss0) < 1e-6 && abs(rows[0].perplexity - exp(loss0)) < 1e-5)
        #expect(p.windows == 2 && p.table.contains("windows 2 of 10 tokens"))
        #expect(PositionPerplexity.svg([("a", p)]).hasPrefix("<svg"))
    }
}
