// XXH64 (seed 0), the `xxh64` hash streaming accepts in index.json (`xxhash.xxh64(data).hexdigest()`):
// about ten times faster than SHA-256 for checking large shards.

/// XXH64 of a byte buffer.
public enum XXH64 {
    private static let p1: UInt64 = 11400714785074694791
    private static let p2: UInt64 = 14029467366897019727
    private static let p3: UInt64 = 1609587929392839161
    private static let p4: UInt64 = 9650029242287828579
    private static let p5: UInt64 = 2870177450012600261

    @inline(__always) private static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 - r)) }
    @inline(__always) private static func round(_ acc: UInt64, _ input: UInt64) -> UInt64 {
        rotl(acc &+ input &* p2, 31) &* p1
    }
    @inline(__always) private static func merge(_ acc: UInt64, _ val: UInt64) -> UInt64 {
        (acc ^ round(0, val)) &* p1 &+ p4
    }

    /// The 64-bit hash of `data` with seed 0.
    public static func hash(_ data: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        let n = data.count
        var i = 0
        var h: UInt64
        @inline(__always) func u64(_ o: Int) -> UInt64 { UInt64(littleEndian: data.loadUnaligned(fromByteOffset: o, as: UInt64.self)) }
        @inline(__always) func u32(_ o: Int) -> UInt64 { UInt64(UInt32(littleEndian: data.loadUnaligned(fromByteOffset: o, as: UInt32.self))) }
        if n >= 32 {
            var v1 = seed &+ p1 &+ p2, v2 = seed &+ p2, v3 = seed, v4 = seed &- p1
            while i + 32 <= n {
                v1 = round(v1, u64(i)); v2 = round(v2, u64(i + 8))
                v3 = round(v3, u64(i + 16)); v4 = round(v4, u64(i + 24))
                i += 32
            }
            h = rotl(v1, 1) &+ rotl(v2, 7) &+ rotl(v3, 12) &+ rotl(v4, 18)
            h = merge(h, v1); h = merge(h, v2); h = merge(h, v3); h = merge(h, v4)
        } else {
            h = seed &+ p5
        }
        h = h &+ UInt64(n)
        while i + 8 <= n {
            h ^= round(0, u64(i))
            h = rotl(h, 27) &* p1 &+ p4
            i += 8
        }
        if i + 4 <= n {
            h ^= u32(i) &* p1
            h = rotl(h, 23) &* p2 &+ p3
            i += 4
        }
        while i < n {
            h ^= UInt64(data[i]) &* p5
            h = rotl(h, 11) &* p1
            i += 1
        }
        h ^= h >> 33; h = h &* p2
        h ^= h >> 29; h = h &* p3
        h ^= h >> 32
        return h
    }

    /// The canonical (big-endian) hex digest, as `xxhash.xxh64(data).hexdigest()` prints it.
    public static func hex(_ data: UnsafeRawBufferPointer) -> String {
        let h = hash(data)
        return hexDigits((0..<8).map { UInt8(truncatingIfNeeded: h >> UInt64(56 - 8 * $0)) })
    }
}

/// The hash algorithms Spindle writes and checks (a subset of streaming's `get_hashes()`).
public enum ShardHash: String, CaseIterable, Sendable {
    case sha256, xxh64

    /// The hex digest streaming would record for `data`.
    public func hex(_ data: UnsafeRawBufferPointer) -> String {
        switch self {
        case .sha256: return SHA256.hex(data)
        case .xxh64: return XXH64.hex(data)
        }
    }
}
