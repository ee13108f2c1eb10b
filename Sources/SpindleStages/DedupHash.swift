import SpindleIO
// Fast non-cryptographic hashes for dedup: XXH64 (Collet's xxHash, 64-bit variant, bit-exact with the
// reference) and a 128-bit digest made of two XXH64 runs under independent seeds.

/// A 128-bit document digest (two independent 64-bit halves).
public struct Hash128: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64
    public init(high: UInt64, low: UInt64) { self.high = high; self.low = low }
    public static func < (a: Hash128, b: Hash128) -> Bool { (a.high, a.low) < (b.high, b.low) }
    /// 32 lower-case hex digits, high half first.
    public var description: String { hex64(high) + hex64(low) }
}

@inline(__always) func hex64(_ v: UInt64) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: 16 - s.count) + s
}

/// XXH64 over a contiguous byte buffer. Matches `xxhash.xxh64_intdigest(data, seed)`.
/// 128-bit digest: XXH64 under seed 0 (high) and seed 0x9E3779B97F4A7C15 (low).
public enum SpindleHash128 {
    public static let secondSeed: UInt64 = 0x9E37_79B9_7F4A_7C15
    public static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Hash128 {
        Hash128(high: XXH64.hash(bytes, seed: 0), low: XXH64.hash(bytes, seed: secondSeed))
    }
    public static func hash(_ bytes: [UInt8]) -> Hash128 { bytes.withUnsafeBufferPointer { hash($0) } }
}

/// Murmur3's 64-bit finaliser: a cheap bijective mix for combining word hashes.
@inline(__always) public func mix64(_ x: UInt64) -> UInt64 {
    var z = x
    z = (z ^ (z >> 33)) &* 0xFF51_AFD7_ED55_8CCD
    z = (z ^ (z >> 33)) &* 0xC4CE_B9FE_1A85_EC53
    return z ^ (z >> 33)
}

