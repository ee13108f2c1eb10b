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
        var kept: [Range<Int>] = []
        var removed = 0, removedBytes = 0
        pending.removeAll(keepingCapacity: true)
        let us = units(p)
        for u in us {
            TextNormalizer.normalize(UnsafeBufferPointer(rebasing: p[u]), into: &norm, digitsToZero: true)
            if norm.isEmpty { kept.append(u); continue }
            let h = norm.withUnsafeBufferPointer { XXH64.hash($0) }
            if seen.contains(h) { removed += 1; removedBytes += u.count; continue }
            pending.append(h)
            kept.append(u)
        }
        for h in pending { seen.insert(h) }
        return Outcome(kept: kept, removedUnits: removed, removedBytes: removedBytes, totalUnits: us.count)
    }

    /// The separator that joins kept units back into text.
    public var separator: [UInt8] { unit == .line ? [0x0A] : [0x0A, 0x0A] }
    public var distinctCount: Int { seen.count }
}
