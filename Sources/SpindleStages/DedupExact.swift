import SpindleIO
// Exact deduplication: whole documents by a 128-bit hash of normalised text, and CCNet-style removal of
// lines or paragraphs already seen in earlier documents.

/// Whole-document exact dedup, keep-first, streaming. Memory: one 16-byte digest per distinct document
/// (about 40 bytes with the hash set's overhead).
public struct ExactDeduplicator {
    public let normalize: Bool
    var seen = Set<Hash128>()
    var norm: [UInt8] = []

    public init(normalize: Bool = true) { self.normalize = normalize }

    /// The document digest: 128-bit hash of the normalised (or raw) text.
    public mutating func digest(_ text: UnsafeBufferPointer<UInt8>) -> Hash128 {
        if !normalize { return SpindleHash128.hash(text) }
        TextNormalizer.normalize(text, into: &norm)
        return norm.withUnsafeBufferPointer { SpindleHash128.hash($0) }
    }

    /// The digest of a JSON string body (between the quotes), normalised without unescaping it first;
    /// equal to `digest(unescape(body))` when normalising. Returns the digest and the unescaped length.
    public mutating func digest(jsonBody body: UnsafeBufferPointer<UInt8>) -> (Hash128, Int) {
        precondition(normalize, "raw-byte digests need the unescaped text")
        let len = TextNormalizer.normalizeJSONString(body, into: &norm)
        return (norm.withUnsafeBufferPointer { SpindleHash128.hash($0) }, len)
    }

    /// True when an earlier document had the same digest; otherwise records this one.
    public mutating func isDuplicate(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        !seen.insert(digest(text)).inserted
    }

    /// Record a digest computed elsewhere; true when it was already present.
    public mutating func isDuplicate(digest d: Hash128) -> Bool { !seen.insert(d).inserted }

    public var distinctCount: Int { seen.count }
    public static let bytesPerDocument = 40
}

/// CCNet-style line or paragraph dedup: each unit is normalised (case, punctuation, digits to 0), hashed
/// to 64 bits and dropped when an earlier document contained it. Repeats inside one document stay (a
/// refrain is not boilerplate); units that normalise to nothing are kept and never counted.
public struct UnitDeduplicator {
    public enum Unit: String, Sendable { case line, paragraph }
    public let unit: Unit
    var seen = Set<UInt64>()
    var pending: [UInt64] = []
    var norm: [UInt8] = []

    public init(unit: Unit) { self.unit = unit }

    /// Result for one document: the byte ranges of kept units (in order) and the removed byte count.
    public struct Outcome: Sendable, Equatable {
        public var kept: [Range<Int>]
        public var removedUnits: Int
        public var removedBytes: Int
        public var totalUnits: Int
    }

    /// Split `text` into units: lines at "\n"; paragraphs at a blank line (a line with only whitespace).
    public func units(_ p: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var lines: [Range<Int>] = []
        var s = 0
        for i in 0..<p.count where p[i] == 0x0A { lines.append(s..<i); s = i + 1 }
        lines.append(s..<p.count)
        if unit == .line { return lines }
        var out: [Range<Int>] = []
        var start: Int? = nil, end = 0
        for l in lines {
            var blank = true
            for i in l where !(p[i] == 0x20 || p[i] == 0x09 || p[i] == 0x0D) { blank = false; break }
            if blank {
                if let st = start { out.append(st..<end); start = nil }
            } else {
                if start == nil { start = l.lowerBound }
                end = l.upperBound
            }
        }
        if let st = start { out.append(st..<end) }
        return out
    }

    public mutating func process(_ p: UnsafeBufferPointer<UInt8>) -> Outcome {
        pending.removeAll(keepingCapacity: true)
        let o = Self.outcome(p, units: units(p), norm: &norm, removing: seen, fresh: &pending)
        for h in pending { seen.insert(h) }
        return o
    }

    /// The units of `p` kept when those whose hash is in `removing` are dropped; units that normalise to
    /// nothing are always kept. `fresh` receives the hashes of the other kept units. The one rule of
    /// `process` (removing: the units of earlier documents) and of the apply phase (removing: a list).
    static func outcome(_ p: UnsafeBufferPointer<UInt8>, units us: [Range<Int>], norm: inout [UInt8],
                        removing: Set<UInt64>, fresh: inout [UInt64]) -> Outcome {
        var kept: [Range<Int>] = []
        var removed = 0, removedBytes = 0
        for u in us {
            TextNormalizer.normalize(UnsafeBufferPointer(rebasing: p[u]), into: &norm, digitsToZero: true)
            if norm.isEmpty { kept.append(u); continue }
            let h = norm.withUnsafeBufferPointer { XXH64.hash($0) }
            if removing.contains(h) { removed += 1; removedBytes += u.count; continue }
            fresh.append(h)
            kept.append(u)
        }
        return Outcome(kept: kept, removedUnits: removed, removedBytes: removedBytes, totalUnits: us.count)
    }

    /// The units of `p` kept when the units hashing to `removing` are dropped (the apply phase).
    public mutating func outcome(_ p: UnsafeBufferPointer<UInt8>, removing: Set<UInt64>) -> Outcome {
        pending.removeAll(keepingCapacity: true)
        return Self.outcome(p, units: units(p), norm: &norm, removing: removing, fresh: &pending)
    }

    /// The distinct hashes of `p`'s units that normalise to something, in order of first appearance:
    /// what `process` adds to the seen set (the map phase's keys). Does not change the seen set.
    public mutating func keys(_ p: UnsafeBufferPointer<UInt8>) -> [UInt64] {
        pending.removeAll(keepingCapacity: true)
        _ = Self.outcome(p, units: units(p), norm: &norm, removing: [], fresh: &pending)
        var once = Set<UInt64>()
        return pending.filter { once.insert($0).inserted }
    }

    /// The separator that joins kept units back into text.
    public var separator: [UInt8] { unit == .line ? [0x0A] : [0x0A, 0x0A] }
    public var distinctCount: Int { seen.count }
}
