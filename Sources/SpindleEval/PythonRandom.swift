// PythonRandom.swift: CPython's `random.Random(seed)` (MT19937 seeded by init_by_array with the seed's
// 32-bit words) and the parts of it lm-evaluation-harness's few-shot sampler calls: `getrandbits`,
// `_randbelow` and `sample`, so a seeded few-shot draw picks the harness's exemplars in its order.

public struct PythonRandom: Sendable {
    private var mt = [UInt32](repeating: 0, count: 624)
    private var index = 624

    /// `random.Random(seed)` for a non-negative integer seed.
    public init(seed: UInt64) {
        var key: [UInt32] = []
        var s = seed
        while s > 0 { key.append(UInt32(truncatingIfNeeded: s)); s >>= 32 }
        if key.isEmpty { key = [0] }
        initGenrand(19_650_218)
        var i = 1, j = 0
        for _ in 0..<max(624, key.count) {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) &* 1_664_525)) &+ key[j] &+ UInt32(j)
            i += 1; j += 1
            if i >= 624 { mt[0] = mt[623]; i = 1 }
            if j >= key.count { j = 0 }
        }
        for _ in 0..<623 {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) &* 1_566_083_941)) &- UInt32(i)
            i += 1
            if i >= 624 { mt[0] = mt[623]; i = 1 }
        }
        mt[0] = 0x8000_0000
    }

    private mutating func initGenrand(_ s: UInt32) {
        mt[0] = s
        for i in 1..<624 { mt[i] = 1_812_433_253 &* (mt[i - 1] ^ (mt[i - 1] >> 30)) &+ UInt32(i) }
        index = 624
    }

    public mutating func nextUInt32() -> UInt32 {
        if index >= 624 {
            for k in 0..<624 {
                let y = (mt[k] & 0x8000_0000) | (mt[(k + 1) % 624] & 0x7fff_ffff)
                mt[k] = mt[(k + 397) % 624] ^ (y >> 1) ^ (y & 1 == 0 ? 0 : 0x9908_b0df)
            }
            index = 0
        }
        var y = mt[index]; index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9d2c_5680
        y ^= (y << 15) & 0xefc6_0000
        y ^= y >> 18
        return y
    }

    /// `getrandbits(k)` for 1 ≤ k ≤ 32.
    public mutating func getrandbits(_ k: Int) -> UInt32 { nextUInt32() >> UInt32(32 - k) }

    /// `_randbelow(n)`: rejection sampling on n.bit_length() bits (n < 2³²).
    public mutating func randbelow(_ n: Int) -> Int {
        let k = Int.bitWidth - n.leadingZeroBitCount
        var r = Int(getrandbits(k))
        while r >= n { r = Int(getrandbits(k)) }
        return r
    }

    /// `sample(range(n), k)`: indices of k distinct elements of a population of n, in CPython's order
    /// (a shrinking pool for small populations, rejection from a set otherwise).
    public mutating func sample(populationSize n: Int, count k: Int) -> [Int] {
        precondition(k >= 0 && k <= n, "sample larger than population")
        var setsize = 21
        if k > 5 {   // 4 ** ceil(log(3k, 4))
            var p = 1
            while p < 3 * k { p *= 4 }
            setsize += p
        }
        var result: [Int] = []
        if n <= setsize {
            var pool = Array(0..<n)
            for i in 0..<k {
                let j = randbelow(n - i)
                result.append(pool[j])
                pool[j] = pool[n - i - 1]
            }
        } else {
            var selected = Set<Int>()
            for _ in 0..<k {
                var j = randbelow(n)
                while selected.contains(j) { j = randbelow(n) }
                selected.insert(j); result.append(j)
            }
        }
        return result
    }
}
