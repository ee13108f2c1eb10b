/// A fully parsed JSON value. Objects keep their member order; numbers keep their source text so
/// a value re-serialises exactly as it came (Spindle never rounds a number it passes through).
public enum JSONValue: Sendable, Equatable, Hashable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public struct ParseError: Error, Sendable {
        public var offset: Int
        public var message: String
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
    public var isNull: Bool { if case .null = self { return true }; return false }

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

    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(ParseError) -> JSONValue {
        if let bad = UTF8Validation.firstInvalid(bytes) {
            throw ParseError(offset: bad, message: "invalid UTF-8")
        }
        do {
            _ = try JSONScanner.validate(bytes)
        } catch {
            throw ParseError(offset: error.offset, message: "\(error.message) at column \(error.offset + 1)")
        }
        var parser = Parser(p: bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!, n: bytes.count)
        return parser.value()
    }

    public static func parse(_ bytes: [UInt8]) throws(ParseError) -> JSONValue {
        var result: Result<JSONValue, ParseError> = .success(.null)
        bytes.withUnsafeBufferPointer { b in
            do throws(ParseError) { result = .success(try parse(b)) } catch { result = .failure(error) }
        }
        return try result.get()
    }

    public static func parse(_ string: String) throws(ParseError) -> JSONValue {
        try parse(Array(string.utf8))
    }

    /// Builds values from text already validated by `JSONScanner`.
    private struct Parser {
        let p: UnsafePointer<UInt8>
        let n: Int
        var i = 0

        mutating func skip() {
            while i < n, p[i] == 0x20 || p[i] == 0x0A || p[i] == 0x0D || p[i] == 0x09 { i += 1 }
        }

        mutating func value() -> JSONValue {
            skip()
            switch p[i] {
            case UInt8(ascii: "\""): return .string(string())
            case UInt8(ascii: "{"):
                i += 1
                var members: [(String, JSONValue)] = []
                skip()
                if p[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
                while true {
                    skip()
                    let k = string()
                    skip()
                    i += 1 // ':'
                    let v = value()
                    members.append((k, v))
                    skip()
                    if p[i] == UInt8(ascii: ",") { i += 1; continue }
                    i += 1
                    return .object(members)
                }
            case UInt8(ascii: "["):
                i += 1
                var items: [JSONValue] = []
                skip()
                if p[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                while true {
                    items.append(value())
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

    // MARK: Serialising

    /// Appends the canonical form: no spaces, members in order, strings as `JSONString.append`.
    public func serialize(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let s): out.append(contentsOf: s.utf8)
        case .string(let s): JSONString.append(s, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (k, v) in items.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                v.serialize(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (k, (key, v)) in members.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                JSONString.append(key, to: &out)
                out.append(UInt8(ascii: ":"))
                v.serialize(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    public var serialized: [UInt8] {
        var out: [UInt8] = []
        serialize(into: &out)
        return out
    }

    public var serializedString: String { String(decoding: serialized, as: UTF8.self) }
}
