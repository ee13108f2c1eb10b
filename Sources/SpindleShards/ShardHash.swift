// The shard hashes streaming accepts in index.json; XXH64 and SHA-256 themselves live in SpindleIO.
// Shards are hashed while they are read (chunk by chunk, as the bytes arrive), so checking them costs
// no extra pass over the file or over memory: `ShardDigests` holds the running hashes of one file.
import SpindleIO

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

/// The running hashes of one shard file against the digests index.json records for it (`field` is
/// "raw_data" or "zip_data"). Algorithms Spindle does not know are not ours to check and are skipped.
struct ShardDigests {
    let path: String
    let field: String
    private let expected: [(ShardHash, String)]
    private var sha: SHA256?
    private var xxh: XXH64Stream?

    /// With `enabled` false nothing is hashed and `check()` passes.
    init(_ info: MDSFileInfo, field: String, path: String, enabled: Bool) {
        self.path = path
        self.field = field
        let known = info.hashes.sorted { $0.key < $1.key }.compactMap { kv in ShardHash(rawValue: kv.key).map { ($0, kv.value) } }
        expected = enabled ? known : []
        if expected.contains(where: { $0.0 == .sha256 }) { sha = SHA256() }
        if expected.contains(where: { $0.0 == .xxh64 }) { xxh = XXH64Stream() }
    }

    /// True when index.json records no hash this reader can check (nothing will be verified).
    static func unchecked(_ info: MDSFileInfo) -> Bool { !info.hashes.keys.contains { ShardHash(rawValue: $0) != nil } }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        sha?.update(bytes)
        xxh?.update(bytes)
    }

    /// Throws `hashMismatch` for the first algorithm (by name) whose digest differs.
    mutating func check() throws(ShardError) {
        for (algo, recorded) in expected {
            let actual: String
            switch algo {
            case .sha256: actual = SHA256.hexString(sha!.finalize())
            case .xxh64: actual = xxh!.hex
            }
            guard actual == recorded.lowercased() else {
                throw .hashMismatch(path: path, field: field, algorithm: algo.rawValue, expected: recorded, actual: actual)
            }
        }
    }
}

/// XXH64 over data that arrives in pieces: the same digest as `XXH64.hash` of the concatenation.
struct XXH64Stream {
    private static let p1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private static let p3: UInt64 = 0x1656_67B1_9E37_79F9
    private static let p4: UInt64 = 0x85EB_CA77_C2B2_AE63
    private static let p5: UInt64 = 0x27D4_EB2F_1656_67C5

    private var v1: UInt64, v2: UInt64, v3: UInt64, v4: UInt64
    private var total = 0
    /// Bytes not yet forming a whole 32-byte stripe (always `total % 32` of them).
    private var pending: [UInt8] = []

    init(seed: UInt64 = 0) {
        v1 = seed &+ Self.p1 &+ Self.p2; v2 = seed &+ Self.p2; v3 = seed; v4 = seed &- Self.p1
        pending.reserveCapacity(32)
    }

    @inline(__always) private static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 - r)) }
    @inline(__always) private static func round(_ acc: UInt64, _ input: UInt64) -> UInt64 { rotl(acc &+ input &* p2, 31) &* p1 }
    @inline(__always) private static func merge(_ acc: UInt64, _ val: UInt64) -> UInt64 { (acc ^ round(0, val)) &* p1 &+ p4 }
    @inline(__always) private static func load64(_ p: UnsafeRawPointer, _ i: Int) -> UInt64 {
        UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
    }

    @inline(__always) private mutating func stripe(_ p: UnsafeRawPointer) {
        v1 = Self.round(v1, Self.load64(p, 0)); v2 = Self.round(v2, Self.load64(p, 8))
        v3 = Self.round(v3, Self.load64(p, 16)); v4 = Self.round(v4, Self.load64(p, 24))
    }

    mutating func update(_ data: UnsafeRawBufferPointer) {
        guard let base = data.baseAddress, data.count > 0 else { return }
        total += data.count
        var i = 0
        if !pending.isEmpty {
            i = min(32 - pending.count, data.count)
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: data[0..<i]))
            guard pending.count == 32 else { return }
            pending.withUnsafeBytes { stripe($0.baseAddress!) }
            pending.removeAll(keepingCapacity: true)
        }
        while i + 32 <= data.count { stripe(base + i); i += 32 }
        if i < data.count { pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: data[i...])) }
    }

    var digest: UInt64 {
        var h: UInt64
        if total >= 32 {
            h = Self.rotl(v1, 1) &+ Self.rotl(v2, 7) &+ Self.rotl(v3, 12) &+ Self.rotl(v4, 18)
            h = Self.merge(h, v1); h = Self.merge(h, v2); h = Self.merge(h, v3); h = Self.merge(h, v4)
        } else {
            h = v3 &+ Self.p5  // v3 is still the seed
        }
        h = h &+ UInt64(total)
        pending.withUnsafeBytes { p in
            var i = 0
            while i + 8 <= p.count {
                h ^= Self.round(0, Self.load64(p.baseAddress!, i))
                h = Self.rotl(h, 27) &* Self.p1 &+ Self.p4
                i += 8
            }
            if i + 4 <= p.count {
                h ^= UInt64(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt32.self))) &* Self.p1
                h = Self.rotl(h, 23) &* Self.p2 &+ Self.p3
                i += 4
            }
            while i < p.count {
                h ^= UInt64(p[i]) &* Self.p5
                h = Self.rotl(h, 11) &* Self.p1
                i += 1
            }
        }
        h ^= h >> 33; h = h &* Self.p2
        h ^= h >> 29; h = h &* Self.p3
        h ^= h >> 32
        return h
    }

    /// The canonical (big-endian) hex digest, as `xxhash.xxh64(data).hexdigest()` prints it.
    var hex: String {
        let h = digest
        return SHA256.hexString((0..<8).map { UInt8(truncatingIfNeeded: h >> UInt64(56 - 8 * $0)) })
    }
}
