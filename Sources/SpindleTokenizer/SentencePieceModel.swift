// The public face of the tokenizer: a loaded SentencePiece BPE model that encodes and decodes with
// sentencepiece's exact semantics (identical ids to sentencepiece on Llama 2's model).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SpindleIO

/// Errors from encoding or decoding.
public enum TokenizerError: Error, Equatable, CustomStringConvertible, Sendable {
    case idOutOfRange(Int32, vocabSize: Int)
    case unsupportedModelType(String)

    public var description: String {
        switch self {
        case let .idOutOfRange(id, n): return "piece id \(id) is out of range (vocabulary size \(n))"
        case let .unsupportedModelType(t): return "model type \(t) is not supported (only BPE)"
        }
    }
}

/// A SentencePiece BPE model ready to encode and decode. Immutable and thread-safe: `encode` borrows a
/// scratch workspace from an internal pool, so many threads can share one model.
// Why @unchecked Sendable: every stored property is immutable after init (raw tables included); the only
// mutable state is the workspace pool, which has its own lock.
public final class SentencePieceModel: @unchecked Sendable {
    /// The parsed model file.
    public let proto: ModelProto
    /// SHA-256 (hex) of the serialised model bytes: a stable identity that shards record.
    public let fingerprint: String
    /// Number of pieces.
    public var vocabSize: Int { types.count }
    /// Id of the UNKNOWN piece.
    public let unkID: Int32
    /// Ids of the BOS / EOS / PAD pieces named by trainer_spec, or -1 when the model has none.
    public let bosID: Int32
    public let eosID: Int32
    public let padID: Int32
    /// Whether unknown characters become `<0xXX>` byte pieces (else `<unk>`).
    public let byteFallback: Bool

    let table: PieceTable
    let types: [UInt8]
    let scores: [Float]
    let mergeable: [Bool]
    let normalizer: Normalizer
    let byteIDs: [Int32]
    let hasUnused: Bool
    /// True when no mergeable piece holds '▁' after its first character unless it is all '▁': then no
    /// merge crosses a word start and words can be encoded (and memoised) independently.
    let chunked: Bool
    // Decoding tables: surface bytes per id ('▁' already turned into ' ').
    let surfaceArena: [UInt8]
    let surfaceOffsets: [Int32]
    let startsWithSpaceSymbol: [Bool]
    let stripLeadingSpace: Bool
    private let pool = WorkspacePool()
    private let rawStorage: RawPieceTableStorage
    let raw: RawPieceTable
    let mergeablePtr: UnsafeMutablePointer<Bool>
    let scoresPtr: UnsafeMutablePointer<Float>
    let byteIDsPtr: UnsafeMutablePointer<Int32>
    // Merge-loop tables: symbol ids (pieces + extra characters) and (left, right) -> merged piece.
    private let symbolStorage: RawPieceTableStorage
    let symbolRaw: RawPieceTable
    let pairs: PairTable
    let asciiSIDPtr: UnsafeMutablePointer<Int32>
    let pieceLengthPtr: UnsafeMutablePointer<Int32>
    /// Merged piece of two ASCII characters (a << 7 | b), or -1.
    let asciiPairPtr: UnsafeMutablePointer<Int32>
    /// True when the pair table is compact and carries score ranks: short words then use `smallMerge`.
    let packedMerge: Bool
    /// Symbol id of '▁', or -1.
    let spaceSID: Int32
    /// Packed merge (`PairTable.findPacked`) of two one-character symbols by their codes (ASCII byte, or
    /// 128 for '▁'): `smallPairPtr[a * 129 + b]`.
    let smallPairPtr: UnsafeMutablePointer<UInt32>

    /// Loads a `.model` file.
    public convenience init(contentsOf path: String) throws(ModelProtoError) {
        guard let bytes = readWholeFile(path) else { throw .io("cannot read file", file: path) }
        try self.init(bytes: bytes, file: path)
    }

    /// Loads a serialised ModelProto.
    public convenience init(bytes: [UInt8], file: String? = nil) throws(ModelProtoError) {
        let proto = try ModelProto(bytes: bytes, file: file)
        try self.init(proto: proto, fingerprintOf: bytes, file: file)
    }

    /// Builds a model from a ModelProto in memory (its serialisation is fingerprinted).
    public convenience init(proto: ModelProto) throws(ModelProtoError) {
        try self.init(proto: proto, fingerprintOf: proto.serialized(), file: nil)
    }

    private init(proto: ModelProto, fingerprintOf bytes: [UInt8], file: String?) throws(ModelProtoError) {
        self.proto = proto
        fingerprint = SHA256.hexDigest(bytes)
        let spec = proto.trainerSpec
        if proto.trainerSpec.message.has(3) && spec.modelType != .bpe {
            throw .invalidModel("model_type \(spec.modelType) is not BPE; only BPE models are supported", file: file)
        }
        guard !proto.pieces.isEmpty else { throw .invalidModel("no pieces", file: file) }
        var pieceBytes: [[UInt8]] = []
        pieceBytes.reserveCapacity(proto.pieces.count)
        var unk: Int32 = -1
        for (i, p) in proto.pieces.enumerated() {
            if p.piece.isEmpty { throw .invalidModel("piece \(i) is empty", file: file) }
            if p.type == .unknown {
                if unk >= 0 { throw .invalidModel("more than one UNKNOWN piece (\(unk) and \(i))", file: file) }
                unk = Int32(i)
            }
            pieceBytes.append(Array(p.piece.utf8))
        }
        guard unk >= 0 else { throw .invalidModel("no UNKNOWN piece", file: file) }
        let tbl: PieceTable
        do { tbl = try PieceTable(pieces: pieceBytes) } catch {
            throw .invalidModel("piece \"\(proto.pieces[error.second].piece)\" is defined twice (ids \(error.first) and \(error.second))", file: file)
        }
        table = tbl
        rawStorage = RawPieceTableStorage(tbl)
        raw = rawStorage.raw
        unkID = unk
        types = proto.pieces.map { UInt8($0.type.rawValue) }
        scores = proto.pieces.map(\.score)
        mergeable = proto.pieces.map { $0.type == .normal || $0.type == .userDefined || $0.type == .unused }
        hasUnused = proto.pieces.contains { $0.type == .unused }
        byteFallback = spec.byteFallback
        func specialID(_ s: String) -> Int32 { tbl.find(s) }
        bosID = specialID(spec.bosPiece)
        eosID = specialID(spec.eosPiece)
        padID = specialID(spec.padPiece)
        var bIDs = [Int32](repeating: -1, count: 256)
        let hex = Array("0123456789ABCDEF".utf8)
        for b in 0..<256 {
            let name: [UInt8] = Array("<0x".utf8) + [hex[b >> 4], hex[b & 15], UInt8(ascii: ">")]
            let id = name.withUnsafeBufferPointer { tbl.find($0.baseAddress!, $0.count) }
            bIDs[b] = id
        }
        byteIDs = bIDs
        byteIDsPtr = .allocate(capacity: 256); byteIDsPtr.initialize(from: bIDs, count: 256)
        mergeablePtr = .allocate(capacity: mergeable.count); mergeablePtr.initialize(from: mergeable, count: mergeable.count)
        scoresPtr = .allocate(capacity: scores.count); scoresPtr.initialize(from: scores, count: scores.count)
        let ranks1 = pieceScoreRanks(scores)
        let (symTable, pairTable) = buildPairTable(pieces: pieceBytes, mergeable: mergeable, scores: scores, scoresPtr: scoresPtr,
                                                   ranks1: ranks1 ?? [])
        symbolStorage = RawPieceTableStorage(symTable)
        symbolRaw = symbolStorage.raw
        pairs = pairTable
        pieceLengthPtr = .allocate(capacity: pieceBytes.count)
        for (i, p) in pieceBytes.enumerated() { pieceLengthPtr[i] = Int32(p.count) }
        asciiSIDPtr = .allocate(capacity: 128)
        for c in 0..<128 { var b = UInt8(c); asciiSIDPtr[c] = withUnsafePointer(to: &b) { symTable.find($0, 1) } }
        asciiPairPtr = .allocate(capacity: 128 * 128)
        for a in 0..<128 {
            for b in 0..<128 {
                let l = asciiSIDPtr[a], r = asciiSIDPtr[b]
                asciiPairPtr[a << 7 | b] = l >= 0 && r >= 0 ? pairTable.find(l, r).id : -1
            }
        }
        packedMerge = ranks1 != nil && pairTable.isCompact
        spaceSID = spaceSymbol.withUnsafeBufferPointer { symTable.find($0.baseAddress!, 3) }
        smallPairPtr = .allocate(capacity: 129 * 129)
        smallPairPtr.initialize(repeating: 0, count: 129 * 129)
        if packedMerge {
            for a in 0...128 {
                for b in 0...128 {
                    let l = a == 128 ? spaceSID : asciiSIDPtr[a], r = b == 128 ? spaceSID : asciiSIDPtr[b]
                    if l >= 0 && r >= 0 { smallPairPtr[a * 129 + b] = pairTable.findPacked(l, r) }
                }
            }
        }
        let ns = proto.normalizerSpec
        let userSymbols = proto.pieces.filter { $0.type == .userDefined }.map(\.piece)
        var cm: CharsMap? = nil
        if !ns.precompiledCharsmap.isEmpty {
            do { cm = try CharsMap(blob: ns.precompiledCharsmap) } catch {
                throw .invalidModel("\(error)", file: file)
            }
        }
        normalizer = Normalizer(charsMap: cm, userDefined: PrefixMatcher(userSymbols),
                                addDummyPrefix: ns.addDummyPrefix, removeExtraWhitespaces: ns.removeExtraWhitespaces,
                                escapeWhitespaces: ns.escapeWhitespaces, treatWhitespaceAsSuffix: spec.treatWhitespaceAsSuffix)
        var separable = !hasUnused
        for (i, p) in pieceBytes.enumerated() where mergeable[i] && separable {
            if let at = firstSpaceSymbol(p, from: 1), !isAllSpaceSymbols(p) { _ = at; separable = false }
        }
        if userSymbols.contains(where: { $0.contains("\u{2581}") }) { separable = false }
        chunked = separable
        // Decoding tables.
        var arena: [UInt8] = []
        var offs: [Int32] = [0]
        var lead: [Bool] = []
        for (i, p) in pieceBytes.enumerated() {
            let t = proto.pieces[i].type
            switch t {
            case .control: break
            case .unknown: arena.append(contentsOf: spec.unkSurface.utf8)
            case .byte: break
            default:
                var k = 0
                while k < p.count {
                    if k + 3 <= p.count && p[k] == 0xE2 && p[k + 1] == 0x96 && p[k + 2] == 0x81 { arena.append(0x20); k += 3 }
                    else { arena.append(p[k]); k += 1 }
                }
            }
            offs.append(Int32(arena.count))
            lead.append(t != .unknown && t != .control && t != .byte && p.starts(with: spaceSymbol))
        }
        surfaceArena = arena
        surfaceOffsets = offs
        startsWithSpaceSymbol = lead
        stripLeadingSpace = (ns.addDummyPrefix || ns.removeExtraWhitespaces) && !spec.treatWhitespaceAsSuffix
    }

    deinit {
        mergeablePtr.deallocate(); scoresPtr.deallocate(); byteIDsPtr.deallocate()
        asciiSIDPtr.deallocate(); pairs.deallocate(); pieceLengthPtr.deallocate(); asciiPairPtr.deallocate()
        smallPairPtr.deallocate()
    }

    /// Drops the pooled workspaces and their word caches (benchmarks use it to measure cold runs).
    public func resetCaches() { pool.drain() }

    // MARK: Lookup

    /// The id of a piece string, or nil.
    public func pieceID(_ piece: String) -> Int32? {
        let id = table.find(piece)
        return id >= 0 ? id : nil
    }

    /// The piece string of an id (nil when out of range).
    public func piece(_ id: Int32) -> String? {
        guard id >= 0, Int(id) < vocabSize else { return nil }
        return proto.pieces[Int(id)].piece
    }

    public func score(_ id: Int32) -> Float { scores[Int(id)] }
    public func type(_ id: Int32) -> PieceType { PieceType(rawValue: Int(types[Int(id)]))! }

    // MARK: Encoding

    /// Encodes text into piece ids (no BOS/EOS unless asked).
    public func encode(_ text: String, addBOS: Bool = false, addEOS: Bool = false) -> [Int32] {
        var ids: [Int32] = []
        var text = text
        text.withUTF8 { encode(utf8: $0, into: &ids, addBOS: addBOS, addEOS: addEOS) }
        return ids
    }

    /// Fast path: encodes UTF-8 bytes, appending ids to `ids`.
    public func encode(utf8: UnsafeBufferPointer<UInt8>, into ids: inout [Int32], addBOS: Bool = false, addEOS: Bool = false) {
        let ws = pool.take()
        defer { pool.give(ws) }
        if addBOS && bosID >= 0 { ids.append(bosID) }
        if chunked { encodeIDsChunked(utf8, &ws.s, into: &ids) } else {
            encodeSymbols(utf8, &ws.s)
            var prevUnk = false
            appendIDs(&ws.s, into: &ids, prevUnk: &prevUnk)
        }
        if addEOS && eosID >= 0 { ids.append(eosID) }
    }

    /// The hot path for word-separable models. Words are found a batch at a time and their cache slots
    /// prefetched, so those (mostly out-of-cache) fetches overlap; then each word's ids are copied from the
    /// cache or made by the merge loop (and cached). Ids go to a raw buffer, appended to `ids` once.
    func encodeIDsChunked(_ input: UnsafeBufferPointer<UInt8>, _ sc: inout EncodeScratch, into ids: inout [Int32]) {
        sc.normalized.removeAll(keepingCapacity: true)
        normalizer.normalize(input, into: &sc.normalized)
        let n = sc.normalized.count
        if n == 0 { return }
        sc.reserveOutput(n)   // every id covers at least one normalised byte
        let out = sc.out!
        let words = sc.words
        var w = 0
        var prevUnk = false
        let nb = sc.normalized
        nb.withUnsafeBufferPointer { b in
            let base = b.baseAddress!
            @inline(__always) func isSpace(_ i: Int) -> Bool {
                i + 2 < n && base[i] == 0xE2 && base[i + 1] == 0x96 && base[i + 2] == 0x81
            }
            var i = 0
            while i < n {
                var count = 0
                while count < wordBatch && i < n {
                    let start = i
                    while isSpace(i) { i += 3 }
                    while i < n && !isSpace(i) { i += 1 }
                    words[count] = WordRef(start: start, end: i, hash: hashBytes(base + start, i - start))
                    count += 1
                }
                // The prefetches back to back, after the batch's own stores, so none waits behind them.
                for k in 0..<count {
                    let word = words[k]
                    if sc.cache.fits(word.end - word.start) { sc.cache.prefetch(word.hash) } else { sc.longCache.prefetch(word.hash) }
                }
                for k in 0..<count {
                    let word = words[k]
                    let len = word.end - word.start
                    let short = sc.cache.fits(len)
                    let c = short ? sc.cache.lookup(base + word.start, len, hash: word.hash, into: out + w)
                                  : sc.longCache.lookup(base + word.start, len, hash: word.hash, into: out + w)
                    if c >= 0 { w += c; prevUnk = false; continue }
                    sc.symbols.removeAll(keepingCapacity: true)
                    bpeMerge(self, &sc, range: word.start..<word.end)
                    let first = w
                    if writeIDs(&sc, to: out, at: &w, prevUnk: &prevUnk) {
                        let ids = UnsafeBufferPointer(start: out + first, count: w - first)
                        if short { sc.cache.insert(base + word.start, len, hash: word.hash, ids: ids) }
                        else { sc.longCache.insert(base + word.start, len, hash: word.hash, ids: ids) }
                    }
                }
            }
        }
        ids.append(contentsOf: UnsafeBufferPointer(start: out, count: w))
    }

    /// `sc.symbols` as ids written at `out + w`. Returns false when the ids depend on the
    /// previous word (an unknown symbol without byte fallback: consecutive ones fuse into one `<unk>`).
    @inline(__always)
    func writeIDs(_ sc: inout EncodeScratch, to out: UnsafeMutablePointer<Int32>, at w: inout Int, prevUnk: inout Bool) -> Bool {
        let unk = unkID
        let bytes = byteIDsPtr
        let fallback = byteFallback
        var contextFree = true
        sc.normalized.withUnsafeBufferPointer { nb in
            sc.symbols.withUnsafeBufferPointer { syms in
                for s in syms {
                    if s.id >= 0 && s.id != unk { out[w] = s.id; w += 1; prevUnk = false; continue }
                    if fallback {
                        for k in Int(s.start)..<Int(s.start + s.length) {
                            let b = bytes[Int(nb[k])]
                            out[w] = b >= 0 ? b : unk
                            w += 1
                        }
                        prevUnk = false
                    } else {
                        if !prevUnk { out[w] = unk; w += 1 }
                        prevUnk = true
                        contextFree = false
                    }
                }
            }
        }
        return contextFree
    }

    /// Encodes bytes, appending ids (convenience for `[UInt8]`).
    public func encode(utf8 bytes: [UInt8], into ids: inout [Int32], addBOS: Bool = false, addEOS: Bool = false) {
        bytes.withUnsafeBufferPointer { encode(utf8: $0, into: &ids, addBOS: addBOS, addEOS: addEOS) }
    }

    /// Encodes text into piece strings (byte-fallback pieces appear as `<0xXX>`).
    public func encodeAsPieces(_ text: String) -> [String] {
        encode(text).map { proto.pieces[Int($0)].piece }
    }

    /// The normalised form of `text` (what the merge loop sees), e.g. "▁Hello▁world".
    public func normalize(_ text: String) -> String {
        var out: [UInt8] = []
        var text = text
        text.withUTF8 { normalizer.normalize($0, into: &out) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Encoding with every step kept, for `spindle tokenizer explain`.
    public struct Explanation: Sendable {
        public var normalized: String
        /// Pre-tokens: the word chunks encoded independently (one chunk when the model does not allow it).
        public var chunks: [String]
        /// Final symbols of the merge loop: their text and id (nil when not in the vocabulary).
        public var symbols: [(text: String, id: Int32?)]
        public var ids: [Int32]
    }

    public func explain(_ text: String) -> Explanation {
        let ws = BPEWorkspace()
        var t = text
        t.withUTF8 { encodeSymbols($0, &ws.s) }
        var ids: [Int32] = []
        var prevUnk = false
        appendIDs(&ws.s, into: &ids, prevUnk: &prevUnk)
        let nb = ws.s.normalized
        var chunks: [String] = []
        forEachChunk(nb) { r in chunks.append(String(decoding: nb[r], as: UTF8.self)) }
        let syms = ws.s.symbols.map { s in
            (String(decoding: nb[Int(s.start)..<Int(s.start + s.length)], as: UTF8.self), s.id >= 0 ? Optional(s.id) : nil)
        }
        return Explanation(normalized: String(decoding: nb, as: UTF8.self), chunks: chunks, symbols: syms, ids: ids)
    }

    /// Normalises and runs the merge loop, leaving the final symbols in `sc.symbols` (word by word when
    /// the model allows: the same symbols as the whole line).
    func encodeSymbols(_ input: UnsafeBufferPointer<UInt8>, _ sc: inout EncodeScratch) {
        sc.normalized.removeAll(keepingCapacity: true)
        sc.symbols.removeAll(keepingCapacity: true)
        normalizer.normalize(input, into: &sc.normalized)
        if sc.normalized.isEmpty { return }
        if !chunked {
            bpeMerge(self, &sc, range: 0..<sc.normalized.count)
            return
        }
        forEachChunk(sc.normalized) { r in bpeMerge(self, &sc, range: r) }
    }

    /// Calls `body` with each chunk: a run of '▁' followed by the non-'▁' characters up to the next '▁'.
    func forEachChunk(_ nb: [UInt8], _ body: (Range<Int>) -> Void) {
        guard chunked else { if !nb.isEmpty { body(0..<nb.count) }; return }
        nb.withUnsafeBufferPointer { b in
            let n = b.count
            var start = 0
            var i = 0
            var prevWasSpace = false
            while i < n {
                let isSpace = i + 2 < n && b[i] == 0xE2 && b[i + 1] == 0x96 && b[i + 2] == 0x81
                if isSpace && !prevWasSpace && i > start { body(start..<i); start = i }
                prevWasSpace = isSpace
                i += isSpace ? 3 : 1
            }
            if start < n { body(start..<n) }
        }
    }

    /// Symbols -> ids: unknown symbols fall back to bytes (or fuse into one `<unk>`); `writeIDs` onto an array.
    func appendIDs(_ sc: inout EncodeScratch, into ids: inout [Int32], prevUnk: inout Bool) {
        // A symbol gives one id, or one per byte when it falls back to bytes.
        let start = ids.count
        ids.append(contentsOf: repeatElement(0, count: sc.normalized.count + sc.symbols.count))
        var w = start
        ids.withUnsafeMutableBufferPointer { p in _ = writeIDs(&sc, to: p.baseAddress!, at: &w, prevUnk: &prevUnk) }
        ids.removeLast(ids.count - w)
    }

    // MARK: Decoding

    /// Decodes ids into text the way sentencepiece does: control pieces vanish, `<unk>` becomes
    /// unk_surface, byte-piece runs are decoded as UTF-8 (each invalid byte -> U+FFFD), '▁' -> ' ', and
    /// the first piece's leading '▁' (the dummy prefix) is dropped.
    public func decode(_ ids: [Int32]) throws(TokenizerError) -> String {
        var out: [UInt8] = []
        try decode(ids, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes ids, appending UTF-8 bytes to `out`.
    public func decode(_ ids: [Int32], into out: inout [UInt8]) throws(TokenizerError) {
        var pending: [UInt8] = []
        let byteType = UInt8(PieceType.byte.rawValue)
        let controlType = UInt8(PieceType.control.rawValue)
        var atStart = true   // no non-control piece seen yet: the dummy prefix may still be stripped
        func flush() {
            if pending.isEmpty { return }
            appendValidatedUTF8(pending, to: &out)
            pending.removeAll(keepingCapacity: true)
        }
        for id in ids {
            guard id >= 0, Int(id) < types.count else { throw .idOutOfRange(id, vocabSize: types.count) }
            let i = Int(id)
            if types[i] == byteType {
                pending.append(byteValue(i))
                atStart = false
                continue
            }
            flush()
            var lo = Int(surfaceOffsets[i])
            let hi = Int(surfaceOffsets[i + 1])
            if atStart && stripLeadingSpace && startsWithSpaceSymbol[i] { lo += 1 }
            if types[i] != controlType { atStart = false }
            if lo < hi { out.append(contentsOf: surfaceArena[lo..<hi]) }
        }
        flush()
    }

    /// The byte a `<0xXX>` piece stands for.
    private func byteValue(_ id: Int) -> UInt8 {
        let p = table.bytes(id)
        func hex(_ c: UInt8) -> UInt8 {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x41...0x46: c - 0x41 + 10
            case 0x61...0x66: c - 0x61 + 10
            default: 0
            }
        }
        guard p.count == 6 else { return 0 }
        return hex(p[p.startIndex + 3]) << 4 | hex(p[p.startIndex + 4])
    }
}

/// Appends `bytes`, replacing each byte that does not start a valid UTF-8 character by U+FFFD.
func appendValidatedUTF8(_ bytes: [UInt8], to out: inout [UInt8]) {
    bytes.withUnsafeBufferPointer { b in
        var i = 0
        while i < b.count {
            let l = validUTF8Length(b.baseAddress! + i, b.count - i)
            if l == 0 { out.append(contentsOf: replacementChar); i += 1 }
            else { out.append(contentsOf: b[i..<(i + l)]); i += l }
        }
    }
}

func firstSpaceSymbol(_ p: [UInt8], from: Int) -> Int? {
    var i = from
    while i + 2 < p.count {
        if p[i] == 0xE2 && p[i + 1] == 0x96 && p[i + 2] == 0x81 { return i }
        i += 1
    }
    return nil
}

func isAllSpaceSymbols(_ p: [UInt8]) -> Bool {
    guard p.count % 3 == 0 else { return false }
    var i = 0
    while i < p.count {
        if !(p[i] == 0xE2 && p[i + 1] == 0x96 && p[i + 2] == 0x81) { return false }
        i += 3
    }
    return true
}

/// A small mutex-protected stack of workspaces (each keeps its chunk cache warm).
// Why @unchecked Sendable: every access to the stack goes through its mutex.
final class WorkspacePool: @unchecked Sendable {
    // `@exclusivity(unchecked)`: the mutex is shared by design and `free` is only touched under it; the
    // runtime's exclusivity checks on them cost ~40 instructions per encoded line (callgrind).
    @exclusivity(unchecked) private var mutex = pthread_mutex_t()
    @exclusivity(unchecked) private var free: [BPEWorkspace] = []
    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }
    func take() -> BPEWorkspace {
        pthread_mutex_lock(&mutex)
        let ws = free.popLast()
        pthread_mutex_unlock(&mutex)
        return ws ?? BPEWorkspace()
    }
    func drain() {
        pthread_mutex_lock(&mutex)
        free.removeAll()
        pthread_mutex_unlock(&mutex)
    }
    func give(_ ws: BPEWorkspace) {
        pthread_mutex_lock(&mutex)
        if free.count < 64 { free.append(ws) }
        pthread_mutex_unlock(&mutex)
    }
}
