/// A fully parsed JSON value: Spindle's one JSON value type, read by `parse` and written by the
/// printers in JSONWriter.swift (canonical compact, indented, and Python's `json.dumps`).
///
/// Objects keep their member order; numbers keep their source text so a value re-serialises exactly
/// as it came (Spindle never rounds a number it passes through). A parsed object never holds the
/// same key twice: `parse` rejects duplicate keys, so a record has one reading everywhere.
public enum JSONValue: Sendable, Equatable, Hashable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    /// Why a JSON text was refused: a byte offset, a reason, and the key when a key was repeated.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var offset: Int
        public var message: String
        /// The repeated key, when the error is a duplicate key.
        public var duplicateKey: String?

        public init(offset: Int, message: String, duplicateKey: String? = nil) {
            self.offset = offset
            self.message = message
            self.duplicateKey = duplicateKey
        }

        public var description: String { message }
    }

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.number(x), .number(y)): return x == y || Double(x) == Double(y)
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    public func hash(into h: inout Hasher) {
        switch self {
        case .null: h.combine(0)
        case .bool(let b): h.combine(b)
        case .number(let s): h.combine(Double(s) ?? 0)
        case .string(let s): h.combine(s)
        case .array(let a): h.combine(a)
        case .object(let o): for (k, v) in o { h.combine(k); h.combine(v) }
        }
    }

    public init(_ number: Int) { self = .number(String(number)) }
    public init(_ number: Double) { self = .number(JSONValue.format(number)) }

    /// Shortest round-tripping text for a double; integers without a fraction.
    public static func format(_ d: Double) -> String {
        if d.isFinite, d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return d.isFinite ? "\(d)" : "null"
    }

    // MARK: Building

    /// An integer.
    public static func int<I: BinaryInteger>(_ v: I) -> JSONValue { .number(String(v)) }

    /// A float written as Python's `repr` writes it (`3.0`, `0.1`, `1e-05`), so the Python printer
    /// reproduces `json.dumps` of a Python float.
    public static func double(_ d: Double) -> JSONValue { .number(pythonFloat(d)) }

    /// An object from a dictionary; members in code-point order of their keys, so the result is
    /// the same on every run.
    public static func object(_ members: [String: JSONValue]) -> JSONValue {
        .object(members.sorted { codePointOrder($0.key, $1.key) }.map { ($0.key, $0.value) })
    }

    /// Python's `repr` of a float (finite values are the shortest round-tripping form in both).
    public static func pythonFloat(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d > 0 ? "Infinity" : "-Infinity" }
        if d == d.rounded(), abs(d) < 1e16 { return String(Int64(d)) + ".0" }
        return "\(d)"
    }

    /// True when `a` sorts before `b` by Unicode code points (Python's `sort_keys` order).
    static func codePointOrder(_ a: String, _ b: String) -> Bool {
        a.unicodeScalars.lazy.map(\.value).lexicographicallyPrecedes(b.unicodeScalars.lazy.map(\.value))
    }

    // MARK: Accessors

    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last(where: { $0.0 == key })?.1
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var doubleValue: Double? { if case .number(let s) = self { return Double(s) }; return nil }
    public var intValue: Int? {
        if case .number(let s) = self { return Int(s) ?? Double(s).flatMap { $0 == $0.rounded() ? Int(exactly: $0) : nil } }
        return nil
    }
    /// An integer written as one (no fraction or exponent) that fits in 64 bits.
    public var int64Value: Int64? { if case .number(let s) = self { return Int64(s) }; return nil }
    public var isNull: Bool { if case .null = self { return true }; return false }
    /// An object's members in order.
    public var members: [(String, JSONValue)]? { if case .object(let o) = self { return o }; return nil }
    /// An object's members by key (the last one, should a built value repeat a key).
    public var objectValue: [String: JSONValue]? {
        guard case .object(let o) = self else { return nil }
        return Dictionary(o, uniquingKeysWith: { $1 })
    }

    /// A short name of the value's type, for error messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    // MARK: Parsing

    /// Parses exactly one JSON value (RFC 8259; UTF-8; depth ≤ 512). Duplicate keys in any object
    /// are an error naming the key.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(ParseError) -> JSONValue {
        if let bad = UTF8Validation.firstInvalid(bytes) {
            throw ParseError(offset: bad, message: "invalid UTF-8 at column \(bad + 1)")
        }
        do {
            _ = try JSONScanner.validate(bytes)
        } catch {
            throw ParseError(offset: error.offset, message: "\(error.message) at column \(error.offset + 1)")
        }
        var parser = Parser(p: bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!, n: bytes.count)
        return try parser.value()
    }

    public static func parse<C: Collection>(_ bytes: C) throws(ParseError) -> JSONValue where C.Element == UInt8 {
        var result: Result<JSONValue, ParseError>?
        bytes.withContiguousStorageIfAvailable { b in
            do throws(ParseError) { result = .success(try parse(b)) } catch { result = .failure(error) }
        }
        if let result { return try result.get() }
        return try parse(Array(bytes))
    }

    public static func parse(_ string: String) throws(ParseError) -> JSONValue {
        try parse(Array(string.utf8))
    }

    /// Builds values from text already validated by `JSONScanner`; only duplicate keys can fail.
    private struct Parser {
        let p: UnsafePointer<UInt8>
        let n: Int
        var i = 0

        mutating func skip() {
            while i < n, p[i] == 0x20 || p[i] == 0x0A || p[i] == 0x0D || p[i] == 0x09 { i += 1 }
        }

        mutating func value() throws(ParseError) -> JSONValue {
            skip()
            switch p[i] {
            case UInt8(ascii: "\""): return .string(string())
            case UInt8(ascii: "{"): return try object()
            case UInt8(ascii: "["):
                i += 1
                var items: [JSONValue] = []
                skip()
                if p[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                while true {
                    items.append(try value())
                    skip()
                    if p[i] == UInt8(ascii: ",") { i += 1; continue }
                    i += 1
                    return .array(items)
                }
            case UInt8(ascii: "t"): i += 4; return .bool(true)
            case UInt8(ascii: "f"): i += 5; return .bool(false)
            case UInt8(ascii: "n"): i += 4; return .null
            default:
                let start = i
                while i < n, p[i] == UInt8(ascii: "-") || p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: ".")
                    || p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E") || (p[i] >= 48 && p[i] <= 57) { i += 1 }
                return .number(String(decoding: UnsafeBufferPointer(start: p + start, count: i - start), as: UTF8.self))
            }
        }

        mutating func object() throws(ParseError) -> JSONValue {
            i += 1
            var members: [(String, JSONValue)] = []
            var seen: Set<String> = []
            skip()
            if p[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
            while true {
                skip()
                let keyOffset = i
                let k = string()
                // Small objects: a linear look is cheaper than hashing every key.
                let repeated = members.count < 16 ? members.contains { $0.0 == k } : !seen.insert(k).inserted
                if members.count == 15 { seen = Set(members.map(\.0) + [k]) }
                if repeated {
                    throw ParseError(offset: keyOffset, message: "duplicate key \"\(k)\" at column \(keyOffset + 1)", duplicateKey: k)
                }
                skip()
                i += 1 // ':'
                members.append((k, try value()))
                skip()
                if p[i] == UInt8(ascii: ",") { i += 1; continue }
                i += 1
                return .object(members)
            }
        }

        mutating func string() -> String {
            i += 1
            let start = i
            var escaped = false
            while p[i] != UInt8(ascii: "\"") {
                if p[i] == UInt8(ascii: "\\") { escaped = true; i += 2 } else { i += 1 }
            }
            let body = UnsafeBufferPointer(start: p + start, count: i - start)
            i += 1
            if !escaped { return String(decoding: body, as: UTF8.self) }
            var out: [UInt8] = []
            JSONString.unescape(body, into: &out)
            return String(decoding: out, as: UTF8.self)
        }
    }
}
