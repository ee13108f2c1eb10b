import Foundation
import SpindleIO
@testable import SpindleShards

/// Test inputs draw from the library's one generator; `int(n)` is the modulo draw these tests were written with.
typealias TestRNG = SeededRandom

extension SeededRandom {
    init(_ seed: UInt64) { self.init(seed: seed) }
    mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
