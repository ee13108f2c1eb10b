// TrainingBatchSource.swift: where training rows come from. A row is seq_len token ids, their segment
// ids (which packed document each token belongs to) and an optional loss mask (SFT: 1 on answer
// tokens). The MDS shard reader (SpindleShards, columns input_ids / segment_ids / loss_mask) conforms
// to the same protocol; here: an in-memory source and a token-id text file source.
import Foundation
import SpindleIO

/// One training row.
public struct TrainingRow: Equatable, Sendable {
    public var tokens: [Int32]
    public var segmentIds: [Int32]
    public var lossMask: [UInt8]?
    public init(tokens: [Int32], segmentIds: [Int32], lossMask: [UInt8]? = nil) {
        self.tokens = tokens; self.segmentIds = segmentIds; self.lossMask = lossMask
    }
}

/// Random access to fixed-length training rows. Row `i` must always be the same row (exact resume
/// relies on it); the trainer reads rows cursor, cursor+1, … modulo `rowCount`, in epoch order.
public protocol TrainingBatchSource {
    /// Tokens per row.
    var seqLen: Int { get }
    /// Rows available.
    var rowCount: Int { get }
    /// The largest token id + 1 the rows may contain (checked against the model's vocabulary), if known.
    var vocabBound: Int? { get }
    /// Row `index` (0 ..< rowCount).
    func row(_ index: Int) throws -> TrainingRow
}

/// Rows held in memory.
public struct InMemoryBatchSource: TrainingBatchSource {
    public let rows: [TrainingRow]
    public let seqLen: Int
    public var rowCount: Int { rows.count }
    public var vocabBound: Int? { (rows.flatMap(\.tokens).max()).map { Int($0) + 1 } }
    public init(rows: [TrainingRow]) {
        precondition(!rows.isEmpty)
        self.rows = rows
        seqLen = rows[0].tokens.count
        precondition(rows.allSatisfy { $0.tokens.count == seqLen && $0.segmentIds.count == seqLen })
    }
    public func row(_ index: Int) throws -> TrainingRow { rows[index] }

    /// Packs documents greedily into rows of `seqLen` (a document longer than the remaining space
    /// continues in the next row as a new segment); the tail is padded with token `pad` in its own
    /// segment, masked out of the loss.
    public static func packing(documents: [[Int32]], seqLen: Int, pad: Int32 = 0) -> InMemoryBatchSource {
        var rows: [TrainingRow] = []
        var tok: [Int32] = [], seg: [Int32] = []
        var segId: Int32 = 0
        func flush(final: Bool) {
            guard !tok.isEmpty else { return }
            var mask = [UInt8](repeating: 1, count: tok.count)
            if tok.count < seqLen {
                let padN = seqLen - tok.count
                tok += [Int32](repeating: pad, count: padN); seg += [Int32](repeating: -1, count: padN)
                mask += [UInt8](repeating: 0, count: padN)
            }
            rows.append(TrainingRow(tokens: tok, segmentIds: seg, lossMask: mask.contains(0) ? mask : nil))
            tok = []; seg = []; segId = 0
        }
        for doc in documents where !doc.isEmpty {
            var rest = doc[...]
            while !rest.isEmpty {
                let take = min(rest.count, seqLen - tok.count)
                tok += rest.prefix(take); seg += [Int32](repeating: segId, count: take)
                rest = rest.dropFirst(take)
                segId += 1
                if tok.count == seqLen { flush(final: false) }
            }
        }
        flush(final: true)
        return rows.isEmpty ? InMemoryBatchSource(rows: [TrainingRow(tokens: [Int32](repeating: pad, count: seqLen), segmentIds: [Int32](repeating: 0, count: seqLen), lossMask: [UInt8](repeating: 0, count: seqLen))]) : InMemoryBatchSource(rows: rows)
    }
}

/// A text file of token ids: one document per line, ids separated by whitespace (what
/// `spindle tokenizer encode` writes), packed into rows of `seqLen` as `InMemoryBatchSource.packing`.
public struct TokenTextBatchSource: TrainingBatchSource {
    let packed: InMemoryBatchSource
    public var seqLen: Int { packed.seqLen }
    public var rowCount: Int { packed.rowCount }
    public var vocabBound: Int? { packed.vocabBound }

    /// BOS/EOS are added to each document unless already there (nil: never).
    /// `path` may be zstd/gzip compressed; "-" is stdin.
    public init(path: String, seqLen: Int, bos: Int32? = 1, eos: Int32? = 2) throws {
        let data: [UInt8]
        do { data = try InputFile.readAll(path: path) } catch {
            throw TrainerError.io(file: path, message: "\(error)")
        }
        var docs: [[Int32]] = []
        var lineNo = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNo += 1
            var ids: [Int32] = []
            for field in line.split(whereSeparator: { $0 == 32 || $0 == 9 || $0 == 13 }) {
                guard let v = Int32(String(decoding: field, as: UTF8.self)), v >= 0 else {
                    throw TrainerError.data(file: path, line: lineNo, message: "not a token id: \"\(String(decoding: field.prefix(20), as: UTF8.self))\"")
                }
                ids.append(v)
            }
            if ids.isEmpty { continue }
            if let bos, ids.first != bos { ids.insert(bos, at: 0) }
            if let eos, ids.last != eos { ids.append(eos) }
            docs.append(ids)
        }
        if docs.isEmpty { throw TrainerError.data(file: path, line: nil, message: "no token ids") }
        packed = .packing(documents: docs, seqLen: seqLen)
    }
    public func row(_ index: Int) throws -> TrainingRow { try packed.row(index) }
}

/// Uniform random tokens (benchmarks): row i is a pure function of (seed, i).
public struct RandomTokenBatchSource: TrainingBatchSource {
    public let seqLen: Int
    public let vocab: Int
    public let seed: UInt64
    public var rowCount: Int { 1 << 30 }
    public var vocabBound: Int? { vocab }
    public init(seqLen: Int, vocab: Int, seed: UInt64) { self.seqLen = seqLen; self.vocab = vocab; self.seed = seed }
    public func row(_ index: Int) throws -> TrainingRow {
        var r = SeededRandom(seed: seed ^ (UInt64(index) &* 0x9E37_79B9_7F4A_7C15))
        return TrainingRow(tokens: (0..<seqLen).map { _ in Int32(r.next() % UInt64(vocab)) },
                           segmentIds: [Int32](repeating: 0, count: seqLen))
    }
}
