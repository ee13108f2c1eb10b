// The reading side the trainer uses: a Spindle shard directory opened with its metadata checked
// (kind, tokenizer fingerprint, vocabulary), rows as contiguous token arrays, and a resumable cursor.
import SpindleIO

/// One packed row: `input_ids`, `segment_ids` (0 = padding) and `loss_mask` (pretrain rows: 1 on every
/// non-padding token), all of length seq_len.
public struct PackedRow: Sendable, Equatable {
    public var inputIDs: [Int32]
    public var segmentIDs: [Int32]
    public var lossMask: [UInt8]

    /// Position of each token within its segment (restarts at 0 at every segment start; 0 on padding).
    public var positions: [Int32] {
        var out = [Int32](repeating: 0, count: segmentIDs.count)
        var p: Int32 = 0
        for i in segmentIDs.indices {
            if i > 0 && segmentIDs[i] != segmentIDs[i - 1] { p = 0 }
            out[i] = segmentIDs[i] == 0 ? 0 : p
            p += 1
        }
        return out
    }

    /// The segments as token ranges (padding excluded), in order.
    public var segments: [Range<Int>] {
        var out: [Range<Int>] = []
        guard !segmentIDs.isEmpty else { return out }
        var start = 0
        for i in 1...segmentIDs.count where i == segmentIDs.count || segmentIDs[i] != segmentIDs[i - 1] {
            if segmentIDs[start] != 0 { out.append(start..<i) }
            start = i
        }
        return out
    }
}

/// One preference sample as written by `spindle pack preference`.
public struct PreferenceRow: Sendable, Equatable {
    public var id: String
    public var chosenIDs: [Int32]
    public var rejectedIDs: [Int32]
    public var promptLength: Int
    public var degree: PreferenceDegree
    public var aspect: String
    public var safety: String
}

/// One prompt sample as written by `spindle pack preference --prompts-only`.
public struct PromptRow: Sendable, Equatable {
    public var id: String
    public var promptIDs: [Int32]
    public var aspect: String
}

/// A Spindle shard directory.
public final class ShardDataset {
    public let reader: MDSReader
    public let metadata: ShardMetadata
    public var directory: String { reader.directory }
    public var count: Int { reader.count }

    /// Opens a directory written by `spindle pack`.
    /// - Parameters:
    ///   - kind: refuse other kinds (e.g. preference shards given to SFT training).
    ///   - tokenizer: refuse shards packed with another tokenizer (fingerprint or vocabulary differ).
    ///   - verifyHashes: check each shard's hashes as it is loaded (streaming, once per load, never per
    ///     sample) and every shard file's size now, so training reads only verified data.
    public init(directory: String, kind: ShardKind? = nil, tokenizer: TokenizerStamp? = nil,
                verifyHashes: Bool = false) throws(ShardError) {
        let reader = try MDSReader(directory: directory, verifyHashes: verifyHashes)
        let indexPath = ShardFiles.join(directory, "index.json")
        let metadata = try ShardMetadata.from(reader.index.extra["spindle"], path: indexPath)
        if let kind, kind != metadata.kind {
            throw .wrongKind(directory: directory, expected: kind.rawValue, found: metadata.kind.rawValue)
        }
        if let t = tokenizer {
            if t.fingerprint != metadata.tokenizer.fingerprint || t.vocabSize != metadata.tokenizer.vocabSize {
                throw .tokenizerMismatch(directory: directory,
                                         packedWith: "\(metadata.tokenizer.fingerprint) (vocabulary \(metadata.tokenizer.vocabSize))",
                                         readingWith: "\(t.fingerprint) (vocabulary \(t.vocabSize))")
            }
        }
        try ShardMetadata.checkVocabulary(metadata.tokenizer.vocabSize, fits: metadata.tokenType)
        let expected = MDSColumns(metadata.kind.columns(seqLen: metadata.seqLen, tokenType: metadata.tokenType))
        guard reader.columns == expected || reader.index.shards.isEmpty else {
            throw .malformedIndex(path: indexPath, reason: "columns \(reader.columns.names) do not match \(metadata.kind.rawValue) shards (\(expected.names))")
        }
        if verifyHashes { try reader.checkFileSizes() }
        self.reader = reader
        self.metadata = metadata
    }

    private func checkIDs(_ ids: [Int32], _ column: String, _ i: Int) throws(ShardError) {
        let v = Int32(truncatingIfNeeded: metadata.tokenizer.vocabSize)
        for x in ids where x < 0 || x >= v {
            throw .tokenOutOfRange(id: Int64(x), vocabSize: Int(v), context: "\(directory): sample \(i) \(column)")
        }
    }

    /// Row `i` of pretrain or SFT shards.
    public func row(_ i: Int) throws(ShardError) -> PackedRow {
        let s = try reader.sample(i)
        let ids = try s.int32s("input_ids")
        try checkIDs(ids, "input_ids", i)
        let segs = try s.int32s("segment_ids")
        let mask: [UInt8]
        switch metadata.kind {
        case .sft: mask = try s.uint8s("loss_mask")
        case .pretrain: mask = segs.map { $0 == 0 ? 0 : 1 }
        default: throw .wrongKind(directory: directory, expected: "pretrain or sft", found: metadata.kind.rawValue)
        }
        return PackedRow(inputIDs: ids, segmentIDs: segs, lossMask: mask)
    }

    /// Pair `i` of preference shards.
    public func pair(_ i: Int) throws(ShardError) -> PreferenceRow {
        guard metadata.kind == .preference else { throw .wrongKind(directory: directory, expected: "preference", found: metadata.kind.rawValue) }
        let s = try reader.sample(i)
        let chosen = try s.int32s("chosen_ids"), rejected = try s.int32s("rejected_ids")
        try checkIDs(chosen, "chosen_ids", i)
        try checkIDs(rejected, "rejected_ids", i)
        let d = try s.integer("margin_degree")
        guard let degree = PreferenceDegree(rawValue: Int(d)) else {
            throw .invariant(path: directory, sample: i, reason: "margin_degree \(d) is not 0…3")
        }
        return PreferenceRow(id: try s.string("id"), chosenIDs: chosen, rejectedIDs: rejected,
                             promptLength: Int(try s.integer("prompt_len")), degree: degree,
                             aspect: try s.string("aspect"), safety: try s.string("safety"))
    }

    /// Prompt `i` of prompts-only shards.
    public func prompt(_ i: Int) throws(ShardError) -> PromptRow {
        guard metadata.kind == .prompts else { throw .wrongKind(directory: directory, expected: "prompts", found: metadata.kind.rawValue) }
        let s = try reader.sample(i)
        let ids = try s.int32s("prompt_ids")
        try checkIDs(ids, "prompt_ids", i)
        return PromptRow(id: try s.string("id"), promptIDs: ids, aspect: try s.string("aspect"))
    }
}

/// Where an iteration over a data set stands: enough to resume exactly (store it with a checkpoint).
public struct ShardCursor: Sendable, Equatable, Codable {
    public var epoch: Int
    /// Samples already returned in this epoch.
    public var position: Int
    public var seed: UInt64
    public var shuffle: Bool

    public init(seed: UInt64 = 0, shuffle: Bool = true, epoch: Int = 0, position: Int = 0) {
        self.seed = seed
        self.shuffle = shuffle
        self.epoch = epoch
        self.position = position
    }
}

/// Iterates sample indices epoch after epoch. With shuffling, each epoch visits the shards in a seeded
/// random order and the samples of each shard in a seeded random order, so a shard is loaded once per
/// epoch; the order depends only on (seed, epoch), which is what makes a cursor resumable.
public struct ShardOrder: Sendable {
    public let shardStarts: [Int]
    public private(set) var cursor: ShardCursor
    private var order: [Int] = []
    private var orderEpoch = -1

    public init(dataset: ShardDataset, cursor: ShardCursor = ShardCursor()) {
        self.shardStarts = dataset.reader.shardStarts
        self.cursor = cursor
    }

    public init(shardStarts: [Int], cursor: ShardCursor) {
        self.shardStarts = shardStarts
        self.cursor = cursor
    }

    public var count: Int { shardStarts.last ?? 0 }

    /// The sample order of an epoch.
    public func epochOrder(_ epoch: Int) -> [Int] {
        guard cursor.shuffle else { return Array(0..<count) }
        var rng = SeededRandom(seed: cursor.seed &+ UInt64(epoch) &* 0x9E3779B97F4A7C15, stream: "epoch-order")
        var shards = Array(0..<(shardStarts.count - 1))
        rng.shuffle(&shards)
        var out: [Int] = []
        out.reserveCapacity(count)
        for s in shards {
            var local = Array(shardStarts[s]..<shardStarts[s + 1])
            rng.shuffle(&local)
            out.append(contentsOf: local)
        }
        return out
    }

    /// The next sample index (moving to the next epoch at the end of one); nil for an empty data set.
    public mutating func next() -> Int? {
        guard count > 0 else { return nil }
        if cursor.position >= count {
            cursor.epoch += 1
            cursor.position = 0
        }
        if orderEpoch != cursor.epoch {
            order = epochOrder(cursor.epoch)
            orderEpoch = cursor.epoch
        }
        let i = order[cursor.position]
        cursor.position += 1
        return i
    }
}

/// Rows of pretrain/SFT shards in a resumable order: `next()` returns the row and advances `cursor`.
public struct RowIterator {
    public let dataset: ShardDataset
    public private(set) var order: ShardOrder
    public var cursor: ShardCursor { order.cursor }

    public init(dataset: ShardDataset, cursor: ShardCursor = ShardCursor()) {
        self.dataset = dataset
        self.order = ShardOrder(dataset: dataset, cursor: cursor)
    }

    public mutating func next() throws(ShardError) -> PackedRow? {
        guard let i = order.next() else { return nil }
        return try dataset.row(i)
    }
}

/// A batch of packed rows as contiguous row-major buffers, shape (B, T) with T = seq_len, ready for a
/// trainer's kernels: token i of row b is at `b * seqLen + i`.
public struct PackedBatch: Sendable, Equatable {
    public var rows: Int
    public var seqLen: Int
    public var inputIDs: [Int32]
    public var segmentIDs: [Int32]
    public var lossMask: [UInt8]
    /// Positions within each segment (restarting at every segment start).
    public var positions: [Int32]
}

extension RowIterator {
    /// The next `rows` rows (crossing epoch boundaries as needed) as one contiguous batch; nil for an
    /// empty data set. The cursor advances by `rows`.
    public mutating func nextBatch(rows: Int) throws(ShardError) -> PackedBatch? {
        let t = dataset.metadata.seqLen
        var b = PackedBatch(rows: rows, seqLen: t, inputIDs: [], segmentIDs: [], lossMask: [], positions: [])
        b.inputIDs.reserveCapacity(rows * t)
        b.segmentIDs.reserveCapacity(rows * t)
        b.lossMask.reserveCapacity(rows * t)
        b.positions.reserveCapacity(rows * t)
        for _ in 0..<rows {
            guard let row = try next() else { return nil }
            b.inputIDs += row.inputIDs
            b.segmentIDs += row.segmentIDs
            b.lossMask += row.lossMask
            b.positions += row.positions
        }
        return b
    }
}
