// SeededRandom.swift: the one seeded generator every module draws from.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SplitMix64 (Steele et al. 2014): 64-bit state, passes BigCrush, output fixed by the seed on every
/// platform (Swift's `SystemRandomNumberGenerator` is not seedable), and checkpointed by saving `state`.
/// Independent uses of one seed take named streams (`init(seed:stream:)`) so they do not correlate.
public struct SeededRandom: RandomNumberGenerator, Sendable, Equatable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// A generator for a named sub-stream: the FNV-1a hash of the name mixed into the seed.
    public init(seed: UInt64, stream: String) {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in stream.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        state = seed ^ h
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in `0..<n` (Lemire's multiply-shift with rejection; n > 0).
    public mutating func below(_ n: Int) -> Int {
        precondition(n > 0)
        let bound = UInt64(n)
        while true {
            let (hi, lo) = next().multipliedFullWidth(by: bound)
            if lo >= (0 &- bound) % bound { return Int(hi) }
        }
    }

    /// Uniform double in [0, 1) with 53 random bits.
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform float in [0, 1) with 24 random bits.
    public mutating func nextFloat() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// Standard normal (Box–Muller, one value per call).
    public mutating func nextGaussian() -> Float {
        let u1 = max(Double(next() >> 11) * 0x1p-53, 1e-300), u2 = Double(next() >> 11) * 0x1p-53
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }

    /// Fisher–Yates shuffle driven by this generator (platform-independent, unlike `shuffle(using:)`
    /// whose algorithm the standard library does not promise).
    public mutating func shuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            let j = below(i + 1)
            if i != j { a.swapAt(i, j) }
        }
    }

    /// `k` distinct indices from `0..<n`, in ascending order.
    public mutating func sample(_ k: Int, from n: Int) -> [Int] {
        guard k < n else { return Array(0..<n) }
        var a = Array(0..<n)
        for i in 0..<k { a.swapAt(i, i + below(n - i)) }
        return a[0..<k].sorted()
    }
}
