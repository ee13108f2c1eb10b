/// SplitMix64: a tiny, fast generator whose output is fixed by its seed on every platform, so shuffles
/// and mixes are byte-reproducible (Swift's SystemRandomNumberGenerator is not seedable).
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// A generator for a named sub-stream, so independent uses of one seed do not correlate.
    public init(seed: UInt64, stream: String) {
        var h: UInt64 = 0xcbf29ce484222325  // FNV-1a of the stream name, mixed into the seed
        for b in stream.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        state = seed ^ h
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
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
