// SentencePiece's `ModelProto` (sentencepiece_model.proto, proto2): the pieces are modelled, the specs are
// kept as raw field lists with typed accessors, so every field — known, unknown or future — survives a
// read/write round trip byte for byte.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A piece's type in the vocabulary.
public enum PieceType: Int, Sendable, CaseIterable {
    case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6

    public var name: String {
        switch self {
        case .normal: "NORMAL"
        case .unknown: "UNKNOWN"
        case .control: "CONTROL"
        case .userDefined: "USER_DEFINED"
        case .unused: "UNUSED"
        case .byte: "BYTE"
        }
    }
}

/// One vocabulary entry: `SentencePiece { string piece = 1; float score = 2; Type type = 3; }`.
public struct Piece: Equatable, Sendable {
    public var piece: String
    public var score: Float
    public var type: PieceType
    /// Whether `score` / `type` were present on the wire (proto2 presence), so writing back is exact.
    /// New pieces always write their score, and their type when it is not NORMAL.
    public var hasScore: Bool
    public var hasType: Bool
    /// Fields of the piece message this reader does not model, kept raw.
    public var unknownFields: [ProtoField]

    public init(_ piece: String, score: Float, type: PieceType = .normal) {
        self.piece = piece; self.score = score; self.type = type
        hasScore = true; hasType = type != .normal; unknownFields = []
    }
}

/// Why a model file could not be read.
public enum ModelProtoError: Error, CustomStringConvertible, Sendable {
    case wire(ProtoWireError, file: String?)
    case invalidModel(String, file: String?)
    case io(String, file: String)

    public var description: String {
        switch self {
        case let .wire(e, f): return "\(f ?? "model"): not a SentencePiece model: \(e)"
        case let .invalidModel(m, f): return "\(f ?? "model"): invalid SentencePiece model: \(m)"
        case let .io(m, f): return "\(f): \(m)"
        }
    }
}

/// `TrainerSpec` (field 2 of ModelProto): the options the model was trained with.
public struct TrainerSpec: Equatable, Sendable {
    public var message: ProtoMessage
    public init(message: ProtoMessage = ProtoMessage()) { self.message = message }

    public enum ModelType: Int, Sendable { case unigram = 1, bpe = 2, word = 3, char = 4 }

    public var input: [String] { get { message.strings(1) } set { message.setStrings(1, newValue) } }
    public var modelPrefix: String { get { message.string(2) ?? "" } set { message.setString(2, newValue) } }
    public var modelType: ModelType {
        get { message.int(3).flatMap(ModelType.init(rawValue:)) ?? .unigram }
        set { message.setInt(3, newValue.rawValue) }
    }
    public var vocabSize: Int { get { message.int(4) ?? 8000 } set { message.setInt(4, newValue) } }
    public var selfTestSampleSize: Int { get { message.int(6) ?? 0 } set { message.setInt(6, newValue) } }
    public var inputFormat: String { get { message.string(7) ?? "" } set { message.setString(7, newValue) } }
    public var characterCoverage: Float { get { message.float(10) ?? 0.9995 } set { message.setFloat(10, newValue) } }
    public var inputSentenceSize: Int { get { message.int(11) ?? 0 } set { message.setInt(11, newValue) } }
    public var seedSentencepieceSize: Int { get { message.int(14) ?? 1_000_000 } set { message.setInt(14, newValue) } }
    public var shrinkingFactor: Float { get { message.float(15) ?? 0.75 } set { message.setFloat(15, newValue) } }
    public var numThreads: Int { get { message.int(16) ?? 16 } set { message.setInt(16, newValue) } }
    public var numSubIterations: Int { get { message.int(17) ?? 2 } set { message.setInt(17, newValue) } }
    public var maxSentenceLength: Int { get { message.int(18) ?? 4192 } set { message.setInt(18, newValue) } }
    public var shuffleInputSentence: Bool { get { message.bool(19) ?? true } set { message.setBool(19, newValue) } }
    public var maxSentencepieceLength: Int { get { message.int(20) ?? 16 } set { message.setInt(20, newValue) } }
    public var splitByUnicodeScript: Bool { get { message.bool(21) ?? true } set { message.setBool(21, newValue) } }
    public var splitByWhitespace: Bool { get { message.bool(22) ?? true } set { message.setBool(22, newValue) } }
    public var splitByNumber: Bool { get { message.bool(23) ?? true } set { message.setBool(23, newValue) } }
    public var treatWhitespaceAsSuffix: Bool { get { message.bool(24) ?? false } set { message.setBool(24, newValue) } }
    public var splitDigits: Bool { get { message.bool(25) ?? false } set { message.setBool(25, newValue) } }
    public var allowWhitespaceOnlyPieces: Bool { get { message.bool(26) ?? false } set { message.setBool(26, newValue) } }
    public var controlSymbols: [String] { get { message.strings(30) } set { message.setStrings(30, newValue) } }
    public var userDefinedSymbols: [String] { get { message.strings(31) } set { message.setStrings(31, newValue) } }
    public var vocabularyOutputPieceScore: Bool { get { message.bool(32) ?? true } set { message.setBool(32, newValue) } }
    public var hardVocabLimit: Bool { get { message.bool(33) ?? true } set { message.setBool(33, newValue) } }
    public var useAllVocab: Bool { get { message.bool(34) ?? false } set { message.setBool(34, newValue) } }
    public var byteFallback: Bool { get { message.bool(35) ?? false } set { message.setBool(35, newValue) } }
    public var requiredChars: String { get { message.string(36) ?? "" } set { message.setString(36, newValue) } }
    public var unkID: Int { get { message.int(40) ?? 0 } set { message.setInt(40, newValue) } }
    public var bosID: Int { get { message.int(41) ?? 1 } set { message.setInt(41, newValue) } }
    public var eosID: Int { get { message.int(42) ?? 2 } set { message.setInt(42, newValue) } }
    public var padID: Int { get { message.int(43) ?? -1 } set { message.setInt(43, newValue) } }
    public var unkSurface: String { get { message.string(44) ?? " \u{2047} " } set { message.setString(44, newValue) } }
    public var unkPiece: String { get { message.string(45) ?? "<unk>" } set { message.setString(45, newValue) } }
    public var bosPiece: String { get { message.string(46) ?? "<s>" } set { message.setString(46, newValue) } }
    public var eosPiece: String { get { message.string(47) ?? "</s>" } set { message.setString(47, newValue) } }
    public var padPiece: String { get { message.string(48) ?? "<pad>" } set { message.setString(48, newValue) } }
    public var trainExtremelyLargeCorpus: Bool { get { message.bool(49) ?? false } set { message.setBool(49, newValue) } }
    public var enableDifferentialPrivacy: Bool { get { message.bool(50) ?? false } set { message.setBool(50, newValue) } }
    public var differentialPrivacyNoiseLevel: Float { get { message.float(51) ?? 0 } set { message.setFloat(51, newValue) } }
    public var differentialPrivacyClippingThreshold: Int { get { message.int(52) ?? 0 } set { message.setInt(52, newValue) } }
}

/// `NormalizerSpec` (fields 3 and 5 of ModelProto).
public struct NormalizerSpec: Equatable, Sendable {
    public var message: ProtoMessage
    public init(message: ProtoMessage = ProtoMessage()) { self.message = message }

    public var name: String { get { message.string(1) ?? "" } set { message.setString(1, newValue) } }
    public var precompiledCharsmap: [UInt8] {
        get { message.field(2)?.payload ?? [] }
        set { message.set(.bytes(2, newValue)) }
    }
    public var addDummyPrefix: Bool { get { message.bool(3) ?? true } set { message.setBool(3, newValue) } }
    public var removeExtraWhitespaces: Bool { get { message.bool(4) ?? true } set { message.setBool(4, newValue) } }
    public var escapeWhitespaces: Bool { get { message.bool(5) ?? true } set { message.setBool(5, newValue) } }
    public var normalizationRuleTSV: String { get { message.string(6) ?? "" } set { message.setString(6, newValue) } }
}

/// The whole `.model` file.
public struct ModelProto: Equatable, Sendable {
    public var pieces: [Piece]
    public var trainerSpec: TrainerSpec
    public var normalizerSpec: NormalizerSpec
    /// `self_test_data` (field 4), kept raw.
    public var selfTestData: ProtoMessage?
    public var denormalizerSpec: NormalizerSpec?
    /// Top-level fields this reader does not model, kept raw (written after the known ones).
    public var unknownFields: [ProtoField]
    /// Whether trainer_spec / normalizer_spec were present on the wire.
    public var hasTrainerSpec: Bool
    public var hasNormalizerSpec: Bool

    public init(pieces: [Piece] = [], trainerSpec: TrainerSpec = TrainerSpec(),
                normalizerSpec: NormalizerSpec = NormalizerSpec()) {
        self.pieces = pieces; self.trainerSpec = trainerSpec; self.normalizerSpec = normalizerSpec
        selfTestData = nil; denormalizerSpec = nil; unknownFields = []
        hasTrainerSpec = true; hasNormalizerSpec = true
    }

    /// Parses a serialised ModelProto. Malformed or truncated input throws; it never traps.
    public init(bytes: [UInt8], file: String? = nil) throws(ModelProtoError) {
        self.init()
        hasTrainerSpec = false; hasNormalizerSpec = false
        do {
            try bytes.withUnsafeBufferPointer { (buf) throws(ProtoWireError) in
                var r = ProtoReader(buf, range: 0..<buf.count, context: "ModelProto")
                while !r.atEnd {
                    let f = try r.readField()
                    switch (f.number, f.wire) {
                    case (1, .lengthDelimited):
                        pieces.append(try Self.parsePiece(buf, f.payload, index: pieces.count))
                    case (2, .lengthDelimited):
                        trainerSpec = TrainerSpec(message: try ProtoMessage(parsing: buf, range: f.payload, context: "trainer_spec"))
                        hasTrainerSpec = true
                    case (3, .lengthDelimited):
                        normalizerSpec = NormalizerSpec(message: try ProtoMessage(parsing: buf, range: f.payload, context: "normalizer_spec"))
                        hasNormalizerSpec = true
                    case (4, .lengthDelimited):
                        selfTestData = try ProtoMessage(parsing: buf, range: f.payload, context: "self_test_data")
                    case (5, .lengthDelimited):
                        denormalizerSpec = NormalizerSpec(message: try ProtoMessage(parsing: buf, range: f.payload, context: "denormalizer_spec"))
                    case (1...5, _):
                        throw .wrongWireType(field: f.number, expected: 2, got: f.wire.rawValue, context: "ModelProto")
                    default:
                        unknownFields.append(ProtoField(number: f.number, wireType: f.wire, payload: Array(buf[f.payload])))
                    }
                }
            }
        } catch {
            throw .wire(error, file: file)
        }
    }

    private static func parsePiece(_ buf: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, index: Int) throws(ProtoWireError) -> Piece {
        let ctx = "pieces[\(index)]"
        var r = ProtoReader(buf, range: range, context: ctx)
        var p = Piece("", score: 0)
        p.hasScore = false; p.hasType = false
        while !r.atEnd {
            let f = try r.readField()
            switch (f.number, f.wire) {
            case (1, .lengthDelimited):
                guard let s = String(validating: buf[f.payload], as: UTF8.self) else { throw .invalidUTF8(field: 1, context: ctx) }
                p.piece = s
            case (2, .fixed32):
                let b = buf[f.payload]
                let bits = UInt32(b[b.startIndex]) | UInt32(b[b.startIndex + 1]) << 8
                    | UInt32(b[b.startIndex + 2]) << 16 | UInt32(b[b.startIndex + 3]) << 24
                p.score = Float(bitPattern: bits); p.hasScore = true
            case (3, .varint):
                var vr = ProtoReader(buf, range: f.payload, context: ctx)
                let v = try vr.readVarint()
                // An unknown enum value is kept raw, as proto2 does.
                if let t = PieceType(rawValue: Int(truncatingIfNeeded: v)), v <= 6 { p.type = t; p.hasType = true }
                else { p.unknownFields.append(ProtoField(number: 3, wireType: .varint, payload: Array(buf[f.payload]))) }
            case (1, _): throw .wrongWireType(field: 1, expected: 2, got: f.wire.rawValue, context: ctx)
            case (2, _): throw .wrongWireType(field: 2, expected: 5, got: f.wire.rawValue, context: ctx)
            case (3, _): throw .wrongWireType(field: 3, expected: 0, got: f.wire.rawValue, context: ctx)
            default:
                p.unknownFields.append(ProtoField(number: f.number, wireType: f.wire, payload: Array(buf[f.payload])))
            }
        }
        return p
    }

    /// Reads a `.model` file.
    public init(contentsOf path: String) throws(ModelProtoError) {
        guard let bytes = readWholeFile(path) else { throw .io("cannot read file", file: path) }
        try self.init(bytes: bytes, file: path)
    }

    /// Serialises in field-number order, the order sentencepiece's C++ writer uses.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(pieces.count * 16 + 1024)
        var pm: [UInt8] = []
        for p in pieces {
            pm.removeAll(keepingCapacity: true)
            ProtoWriter.appendBytes(1, Array(p.piece.utf8), to: &pm)
            if p.hasScore { ProtoWriter.append(.float(2, p.score), to: &pm) }
            if p.hasType { ProtoWriter.append(.varint(3, UInt64(p.type.rawValue)), to: &pm) }
            for f in p.unknownFields { ProtoWriter.append(f, to: &pm) }
            ProtoWriter.appendBytes(1, pm, to: &out)
        }
        if hasTrainerSpec { ProtoWriter.appendBytes(2, trainerSpec.message.serialized(), to: &out) }
        if hasNormalizerSpec { ProtoWriter.appendBytes(3, normalizerSpec.message.serialized(), to: &out) }
        if let s = selfTestData { ProtoWriter.appendBytes(4, s.serialized(), to: &out) }
        if let d = denormalizerSpec { ProtoWriter.appendBytes(5, d.message.serialized(), to: &out) }
        for f in unknownFields { ProtoWriter.append(f, to: &out) }
        return out
    }
}

/// Reads a whole file into memory (nil when unreadable). Plain POSIX to keep this target Foundation-free.
func readWholeFile(_ path: String) -> [UInt8]? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
        if n > 0 { out.append(contentsOf: chunk[0..<n]) }
        if n < chunk.count { break }
    }
    if ferror(f) != 0 { return nil }
    return out
}
