#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
// Hashing and the open-addressing table of piece strings used by the encoder: lookups go straight from a
// byte range of the normalised text to an id, with no String built per lookup.

/// A fast 64-bit hash of a byte range (8-byte words, then a mixed tail). Not cryptographic.
@inline(__always)
func hashBytes(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: n)
    var i = 0
    let raw = UnsafeRawPointer(p)
    // Offsets stay within the n bytes: wrapping arithmetic (no overflow checks in the hot loop).
    while i &+ 8 <= n {
        let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        h = (h ^ w) &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 29
        i &+= 8
    }
    if i < n {
        var w: UInt64 = 0
        var s: UInt64 = 0
        while i < n { w |= UInt64(p[i]) << s; s &+= 8; i &+= 1 }
        h = (h ^ w) &* 0x94D0_49BB_1331_11EB
    }
    h ^= h >> 31
    h = h &* 0xBF58_476D_1CE4_E5B9
    h ^= h >> 32
    return h
}

/// Piece string -> id, open addressing over the UTF-8 bytes of every piece stored in one arena.
struct PieceTable: Sendable {
    private(set) var arena: [UInt8] = []
    private(set) var offsets: [Int32] = [0]   // piece i is arena[offsets[i]..<offsets[i+1]]
    private var slots: [Int32] = []           // piece id or -1
    private var mask = 0

    /// Builds the table; returns the index of the first duplicate piece string instead if there is one.
    init(pieces: [[UInt8]]) throws(DuplicatePiece) {
        var cap = 16
        while cap < pieces.count * 2 { cap <<= 1 }
        slots = [Int32](repeating: -1, count: cap)
        mask = cap - 1
        arena.reserveCapacity(pieces.reduce(0) { $0 + $1.count })
        for (id, p) in pieces.enumerated() {
            arena.append(contentsOf: p)
            offsets.append(Int32(arena.count))
            let existing = p.withUnsafeBufferPointer { b in find(b.baseAddress ?? UnsafePointer(bitPattern: 1)!, b.count, limit: id) }
            if existing >= 0 { throw DuplicatePiece(first: Int(existing), second: id) }
            var i = Int(truncatingIfNeeded: p.withUnsafeBufferPointer { hashBytes($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) }) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(id)
        }
    }

    struct DuplicatePiece: Error { let first: Int; let second: Int }

    var count: Int { offsets.count - 1 }
    var slotArray: [Int32] { slots }

    func bytes(_ id: Int) -> ArraySlice<UInt8> { arena[Int(offsets[id])..<Int(offsets[id + 1])] }

    /// The id of the piece spelled by `n` bytes at `p`, or -1.
    @inline(__always)
    func find(_ p: UnsafePointer<UInt8>, _ n: Int, limit: Int = Int.max) -> Int32 {
        var i = Int(truncatingIfNeeded: hashBytes(p, n)) & mask
        return arena.withUnsafeBufferPointer { a in
            offsets.withUnsafeBufferPointer { o in
                slots.withUnsafeBufferPointer { s in
                    while true {
                        let id = s[i]
                        if id < 0 { return -1 }
                        let lo = Int(o[Int(id)]), hi = Int(o[Int(id) + 1])
                        if hi - lo == n && Int(id) < limit && (n == 0 || memcmp(a.baseAddress! + lo, p, n) == 0) { return id }
                        i = (i + 1) & mask
                    }
                }
            }
        }
    }

    func find(_ s: String) -> Int32 {
        var s = s
        return s.withUTF8 { b in find(b.baseAddress ?? UnsafePointer(bitPattern: 1)!, b.count) }
    }
}

/// A trivially copyable view of a `PieceTable` for hot loops (no reference counting). The memory is
/// owned by `RawPieceTableStorage`, which must outlive every copy.
struct RawPieceTable {
    let arena: UnsafePointer<UInt8>
    let offsets: UnsafePointer<Int32>
    let slots: UnsafePointer<Int32>
    let mask: Int

    @inline(__always)
    func find(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32 {
        var i = Int(truncatingIfNeeded: hashBytes(p, n)) & mask
        while true {
            let id = slots[i]
            if id < 0 { return -1 }
            let lo = Int(offsets[Int(id)]), hi = Int(offsets[Int(id) + 1])
            if hi - lo == n {
                // Pieces are short: compare inline rather than calling memcmp.
                var k = 0
                while k < n && arena[lo + k] == p[k] { k += 1 }
                if k == n { return id }
            }
            i = (i + 1) & mask
        }
    }

    @inline(__always)
    func length(_ id: Int32) -> Int32 { offsets[Int(id) + 1] - offsets[Int(id)] }
}

/// Owns the memory behind a `RawPieceTable`.
// Why @unchecked Sendable: written only while the table is built, read-only once shared.
final class RawPieceTableStorage: @unchecked Sendable {
    let raw: RawPieceTable
    private let a: UnsafeMutableBufferPointer<UInt8>
    private let o: UnsafeMutableBufferPointer<Int32>
    private let s: UnsafeMutableBufferPointer<Int32>

    init(_ t: PieceTable) {
        a = .allocate(capacity: max(1, t.arena.count)); _ = a.initialize(from: t.arena)
        o = .allocate(capacity: t.offsets.count); _ = o.initialize(from: t.offsets)
        let sl = t.slotArray
        s = .allocate(capacity: sl.count); _ = s.initialize(from: sl)
        raw = RawPieceTable(arena: UnsafePointer(a.baseAddress!), offsets: UnsafePointer(o.baseAddress!),
                            slots: UnsafePointer(s.baseAddress!), mask: sl.count - 1)
    }

    deinit { a.deallocate(); o.deallocate(); s.deallocate() }
}
