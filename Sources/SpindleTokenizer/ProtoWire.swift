// Protocol-buffer wire format, written by hand: just enough to read and write SentencePiece's ModelProto
// without a protobuf dependency. Fields we do not model are kept raw, so a file reads and writes back
// byte for byte.

/// Why a protobuf message could not be decoded. Offsets are relative to the message being parsed.
public enum ProtoWireError: Error, Equatable, CustomStringConvertible, Sendable {
    case truncated(offset: Int, context: String)
    case malformedVarint(offset: Int, context: String)
    case unsupportedWireType(Int, offset: Int, context: String)
    case invalidFieldNumber(offset: Int, context: String)
    case wrongWireType(field: Int, expected: Int, got: Int, context: String)
    case invalidUTF8(field: Int, context: String)

    public var description: String {
        switch self {
        case let .truncated(o, c): return "\(c): truncated at byte \(o)"
        case let .malformedVarint(o, c): return "\(c): malformed varint at byte \(o)"
        case let .unsupportedWireType(w, o, c): return "\(c): unsupported wire type \(w) at byte \(o)"
        case let .invalidFieldNumber(o, c): return "\(c): invalid field number at byte \(o)"
        case let .wrongWireType(f, e, g, c): return "\(c): field \(f) has wire type \(g), expected \(e)"
        case let .invalidUTF8(f, c): return "\(c): field \(f) is not valid UTF-8"
        }
    }
}

/// Protobuf wire types (groups are deprecated and rejected).
public enum WireType: Int, Sendable {
    case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5
}

/// One field exactly as it appeared on the wire: its number, wire type and payload bytes (the varint's
/// encoded bytes, the 4/8 fixed bytes, or the length-delimited contents without the length prefix).
public struct ProtoField: Equatable, Sendable {
    public var number: Int
    public var wireType: WireType
    public var payload: [UInt8]

    public init(number: Int, wireType: WireType, payload: [UInt8]) {
        self.number = number; self.wireType = wireType; self.payload = payload
    }

    public static func varint(_ number: Int, _ value: UInt64) -> ProtoField {
        var p: [UInt8] = []; ProtoWriter.appendVarint(value, to: &p)
        return ProtoField(number: number, wireType: .varint, payload: p)
    }
    public static func bytes(_ number: Int, _ value: [UInt8]) -> ProtoField {
        ProtoField(number: number, wireType: .lengthDelimited, payload: value)
    }
    public static func float(_ number: Int, _ value: Float) -> ProtoField {
        let b = value.bitPattern
        return ProtoField(number: number, wireType: .fixed32,
                          payload: [UInt8(b & 0xFF), UInt8(b >> 8 & 0xFF), UInt8(b >> 16 & 0xFF), UInt8(b >> 24)])
    }

    /// The varint value (for `.varint` fields).
    public var varintValue: UInt64 {
        var r: UInt64 = 0
        for (i, b) in payload.enumerated() where i < 10 { r |= UInt64(b & 0x7F) << (7 * UInt64(i)) }
        return r
    }
    /// The float value (for `.fixed32` fields).
    public var floatValue: Float {
        guard payload.count == 4 else { return 0 }
        let bits = UInt32(payload[0]) | UInt32(payload[1]) << 8 | UInt32(payload[2]) << 16 | UInt32(payload[3]) << 24
        return Float(bitPattern: bits)
    }
}

/// A bounds-checked cursor over a protobuf message. Every read checks its length: malformed input
/// throws, it never traps.
struct ProtoReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var offset: Int
    let end: Int
    let context: String

    init(_ bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>, context: String) {
        self.bytes = bytes; self.offset = range.lowerBound; self.end = range.upperBound; self.context = context
    }

    var atEnd: Bool { offset >= end }

    mutating func readVarint() throws(ProtoWireError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = offset
        while true {
            guard offset < end else { throw .truncated(offset: offset, context: context) }
            let b = bytes[offset]; offset += 1
            if shift == 63 && b > 1 { throw .malformedVarint(offset: start, context: context) }
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
            if shift > 63 { throw .malformedVarint(offset: start, context: context) }
        }
    }

    /// Reads the next field header and payload range.
    mutating func readField() throws(ProtoWireError) -> (number: Int, wire: WireType, payload: Range<Int>) {
        let headerAt = offset
        let key = try readVarint()
        let number = key >> 3
        guard number >= 1, number <= 536_870_911 else { throw .invalidFieldNumber(offset: headerAt, context: context) }
        guard let wire = WireType(rawValue: Int(key & 7)) else {
            throw .unsupportedWireType(Int(key & 7), offset: headerAt, context: context)
        }
        let start = offset
        switch wire {
        case .varint:
            _ = try readVarint()
        case .fixed64:
            guard end - offset >= 8 else { throw .truncated(offset: offset, context: context) }
            offset += 8
        case .fixed32:
            guard end - offset >= 4 else { throw .truncated(offset: offset, context: context) }
            offset += 4
        case .lengthDelimited:
            let n = try readVarint()
            guard n <= UInt64(end - offset) else { throw .truncated(offset: offset, context: context) }
            let s = offset
            offset += Int(n)
            return (Int(number), wire, s..<offset)
        }
        return (Int(number), wire, start..<offset)
    }

    /// Splits a whole message into raw fields.
    static func fields(_ bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>, context: String) throws(ProtoWireError) -> [ProtoField] {
        var r = ProtoReader(bytes, range: range, context: context)
        var out: [ProtoField] = []
        while !r.atEnd {
            let f = try r.readField()
            out.append(ProtoField(number: f.number, wireType: f.wire, payload: Array(bytes[f.payload])))
        }
        return out
    }
}

/// Appends protobuf encodings to a byte array.
enum ProtoWriter {
    @inline(__always)
    static func appendVarint(_ v: UInt64, to out: inout [UInt8]) {
        var v = v
        while v >= 0x80 { out.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        out.append(UInt8(v))
    }

    static func appendKey(_ number: Int, _ wire: WireType, to out: inout [UInt8]) {
        appendVarint(UInt64(number) << 3 | UInt64(wire.rawValue), to: &out)
    }

    static func append(_ f: ProtoField, to out: inout [UInt8]) {
        appendKey(f.number, f.wireType, to: &out)
        if f.wireType == .lengthDelimited { appendVarint(UInt64(f.payload.count), to: &out) }
        out.append(contentsOf: f.payload)
    }

    static func appendBytes(_ number: Int, _ payload: [UInt8], to out: inout [UInt8]) {
        appendKey(number, .lengthDelimited, to: &out)
        appendVarint(UInt64(payload.count), to: &out)
        out.append(contentsOf: payload)
    }
}

/// A message kept as its ordered list of raw fields, with typed accessors layered on top by the
/// spec types. Setting a field replaces it in place, or inserts it in field-number order (the order
/// protobuf serialisers emit), so untouched files round-trip byte for byte.
public struct ProtoMessage: Equatable, Sendable {
    public var fields: [ProtoField]

    public init(fields: [ProtoField] = []) { self.fields = fields }

    init(parsing bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>, context: String) throws(ProtoWireError) {
        fields = try ProtoReader.fields(bytes, range: range, context: context)
    }

    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        for f in fields { ProtoWriter.append(f, to: &out) }
        return out
    }

    /// The last occurrence of a field (protobuf's "last one wins" for scalars).
    public func field(_ number: Int) -> ProtoField? { fields.last { $0.number == number } }
    public func all(_ number: Int) -> [ProtoField] { fields.filter { $0.number == number } }
    public func has(_ number: Int) -> Bool { fields.contains { $0.number == number } }

    public mutating func set(_ field: ProtoField) {
        if let i = fields.lastIndex(where: { $0.number == field.number }) {
            fields[i] = field
            fields.removeAll { $0.number == field.number && $0 != field }
            return
        }
        let i = fields.firstIndex { $0.number > field.number } ?? fields.endIndex
        fields.insert(field, at: i)
    }

    public mutating func setRepeated(_ number: Int, _ values: [ProtoField]) {
        let at = fields.firstIndex { $0.number >= number } ?? fields.endIndex
        fields.removeAll { $0.number == number }
        let i = fields.firstIndex { $0.number > number } ?? fields.endIndex
        fields.insert(contentsOf: values, at: min(at, i))
    }

    public mutating func remove(_ number: Int) { fields.removeAll { $0.number == number } }

    // Typed helpers.
    public func int(_ n: Int) -> Int? { field(n).map { Int(Int64(bitPattern: $0.varintValue)) } }
    public func bool(_ n: Int) -> Bool? { field(n).map { $0.varintValue != 0 } }
    public func float(_ n: Int) -> Float? { field(n).map { $0.floatValue } }
    public func string(_ n: Int) -> String? { field(n).map { String(decoding: $0.payload, as: UTF8.self) } }
    public func strings(_ n: Int) -> [String] { all(n).map { String(decoding: $0.payload, as: UTF8.self) } }

    public mutating func setInt(_ n: Int, _ v: Int) { set(.varint(n, UInt64(bitPattern: Int64(v)))) }
    public mutating func setBool(_ n: Int, _ v: Bool) { set(.varint(n, v ? 1 : 0)) }
    public mutating func setFloat(_ n: Int, _ v: Float) { set(.float(n, v)) }
    public mutating func setString(_ n: Int, _ v: String) { set(.bytes(n, Array(v.utf8))) }
    public mutating func setStrings(_ n: Int, _ v: [String]) { setRepeated(n, v.map { .bytes(n, Array($0.utf8)) }) }
}
