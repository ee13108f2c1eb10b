// SequenceBatch.swift: variable-length sequences packed into fixed b×t rows for scalar-head models.
// Each sequence is its own segment (attention never crosses segments), so packing is exact; the
// reward is read at each sequence's last token, values at every token.

/// Where a packed sequence lives: row, first token index within the row, length.
public struct PackedSpan: Sendable, Equatable {
    public var row: Int, start: Int, count: Int
    /// Flat index (row·t + position) of the sequence's last token.
    public func last(t: Int) -> Int { row * t + start + count - 1 }
}

/// Greedy packing of sequences into rows of `t` tokens; sequences longer than `t` keep their last
/// `t` tokens (the answer's end is what a reward model reads).
public struct SequenceBatch {
    public let b: Int, t: Int
    public var tokens: [Int32]
    public var segments: [Int32]
    public var spans: [PackedSpan] = []
    var row = 0, used = 0, nextSegment: Int32 = 1

    public init(b: Int, t: Int, pad: Int32 = 0) {
        self.b = b; self.t = t
        tokens = [Int32](repeating: pad, count: b * t)
        segments = [Int32](repeating: 0, count: b * t)
    }

    /// Rows still free after the current one.
    public var isEmpty: Bool { spans.isEmpty }

    /// Whether `lengths` fit (each capped at t) in the remaining space without splitting the group.
    public func fits(_ lengths: [Int]) -> Bool {
        var r = row, u = used
        for l0 in lengths {
            let l = min(l0, t)
            if u + l > t { r += 1; u = 0 }
            if r >= b { return false }
            u += l
        }
        return true
    }

    /// Appends a sequence (caller checked `fits`); returns its span.
    @discardableResult
    public mutating func append(_ seq: [Int32]) -> PackedSpan {
        let s = seq.count > t ? Array(seq.suffix(t)) : seq
        if used + s.count > t { row += 1; used = 0 }
        precondition(row < b, "SequenceBatch overflow")
        let base = row * t + used
        for (i, v) in s.enumerated() { tokens[base + i] = v; segments[base + i] = nextSegment }
        let span = PackedSpan(row: row, start: used, count: s.count)
        spans.append(span)
        used += s.count
        nextSegment += 1
        return span
    }

    /// Loads the batch into activations of the same shape. Padding stays in segment 0 (its own
    /// attention island, never read).
    public func load(into a: Activations) {
        precondition(a.b == b && a.t == t)
        // Padding after a sequence must not share the sequence's segment id; give each padding
        // run id 0 except when it directly follows segment 0 (a row start), which is also fine.
        a.load(tokens: tokens, segments: segments, lossMask: [UInt8](repeating: 0, count: b * t))
    }
}
