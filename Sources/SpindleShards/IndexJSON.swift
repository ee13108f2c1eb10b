// A small JSON value type for index.json and the per-shard column config: parsed strictly (depth and
// size bounded, never traps on malformed input) and printed exactly as Python's
// `json.dumps(obj, sort_keys=True)` prints it, so our shard bytes match MosaicML's MDSWriter bit for bit.

/// A JSON value as index.json and MDS shard headers use it. Integers and floats are kept apart so that
/// sizes round-trip exactly.
public enum IndexJSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([IndexJSON])
    case object([String: IndexJSON])

    // MARK: Accessors (nil when the value has another type)

    public subscript(key: String) -> IndexJSON? {
        if case .object(let o) = self { return o[key] }
        return nil
    }
    public var intValue: Int64? { if case .int(let v) = self { return v }; return nil }
    public var stringValue: String? { if case .string(let v) = self { return v }; return nil }
    public var boolValue: Bool? { if case .bool(let v) = self { return v }; return nil }
    public var arrayValue: [IndexJSON]? { if case .array(let v) = self { return v }; return nil }
    public var objectValue: [String: IndexJSON]? { if case .object(let v) = self { return v }; return nil }
    public var isNull: Bool { if case .null = self { return true }; return false }
    public var doubleValue: Double? {
        switch self {
        case .double(let d): return d
        case .int(let i): return Double(i)
        default: return nil
        }
    }
}

// MARK: - Printing (Python json.dumps(sort_keys=True), ensure_ascii=True)

extension IndexJSON {
    /// The value as Python's `json.dumps(value, sort_keys=True)` writes it: `", "` and `": "` separators,
    /// keys sorted by code point, non-ASCII escaped as `\uXXXX`.
    public func pythonDumps() -> String {
        var out = ""
        out.reserveCapacity(256)
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += IndexJSON.pythonFloat(d)
        case .string(let s): IndexJSON.writeString(s, to: &out)
        case .array(let a):
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += ", " }
                v.write(to: &out)
            }
            out += "]"
        case .object(let o):
            out += "{"
            let keys = o.keys.sorted { Array($0.unicodeScalars.map(\.value)).lexicographicallyPrecedes($1.unicodeScalars.map(\.value)) }
            for (i, k) in keys.enumerated() {
                if i > 0 { out += ", " }
                IndexJSON.writeString(k, to: &out)
                out += ": "
                o[k]!.write(to: &out)
            }
            out += "}"
        }
    }

    /// Python's repr for the floats we write (finite values only; we never store NaN).
    static func pythonFloat(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d > 0 ? "Infinity" : "-Infinity" }
        if d == d.rounded(), abs(d) < 1e16 { return String(Int64(d)) + ".0" }
        return "\(d)"  // Swift prints the shortest round-tripping form, as Python's repr does.
    }

    static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if u.value < 0x20 || u.value > 0x7E {
                    if u.value > 0xFFFF {
                        let v = u.value - 0x10000
                        out += hex4(0xD800 + (v >> 10))
                        out += hex4(0xDC00 + (v & 0x3FF))
                    } else {
                        out += hex4(u.value)
                    }
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }

    private static func hex4(_ v: UInt32) -> String {
        let digits = Array("0123456789abcdef")
        return "\\u" + String([digits[Int((v >> 12) & 0xF)], digits[Int((v >> 8) & 0xF)],
                               digits[Int((v >> 4) & 0xF)], digits[Int(v & 0xF)]])
    }
}

// MARK: - Parsing

/// Why a JSON text could not be parsed: a byte offset and a reason.
public struct IndexJSONParseError: Error, Equatable, Sendable {
    public var offset: Int
    public var reason: String
}

extension IndexJSON {
    /// Parses one JSON value from UTF-8 bytes (surrounding whitespace allowed, nothing else after it).
    /// Nesting deeper than `maxDepth` is rejected rather than recursed into.
    public static func parse<C: Collection>(_ bytes: C, maxDepth: Int = 64) throws(IndexJSONParseError) -> IndexJSON
    where C.Element == UInt8 {
        var p = Parser(bytes: Array(bytes), maxDepth: maxDepth)
        p.skipWhitespace()
        let v = try p.value(depth: 0)
        p.skipWhitespace()
        if p.i != p.b.count { throw IndexJSONParseError(offset: p.i, reason: "trailing characters after the JSON value") }
        return v
    }

    private struct Parser {
        let b: [UInt8]
        var i = 0
        let maxDepth: Int
        init(bytes: [UInt8], maxDepth: Int) { self.b = bytes; self.maxDepth = maxDepth }

        mutating func skipWhitespace() {
            while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
        }

        func fail(_ reason: String) -> IndexJSONParseError { IndexJSONParseError(offset: i, reason: reason) }

        mutating func literal(_ word: String, _ v: IndexJSON) throws(IndexJSONParseError) -> IndexJSON {
            let w = Array(word.utf8)
            guard i + w.count <= b.count, Array(b[i..<i + w.count]) == w else { throw fail("invalid literal") }
            i += w.count
            return v
        }

        mutating func value(depth: Int) throws(IndexJSONParseError) -> IndexJSON {
            guard depth < maxDepth else { throw fail("nesting deeper than \(maxDepth)") }
            guard i < b.count else { throw fail("unexpected end of input") }
            switch b[i] {
            case UInt8(ascii: "{"):
                i += 1
                var o: [String: IndexJSON] = [:]
                skipWhitespace()
                if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
                while true {
                    skipWhitespace()
                    guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                    let k = try string()
                    skipWhitespace()
                    guard i < b.count, b[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                    i += 1
                    skipWhitespace()
                    o[k] = try value(depth: depth + 1)
                    skipWhitespace()
                    guard i < b.count else { throw fail("unexpected end of input in object") }
                    if b[i] == UInt8(ascii: ",") { i += 1; continue }
                    if b[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
                    throw fail("expected ',' or '}'")
                }
            case UInt8(ascii: "["):
                i += 1
                var a: [IndexJSON] = []
                skipWhitespace()
                if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
                while true {
                    skipWhitespace()
                    a.append(try value(depth: depth + 1))
                    skipWhitespace()
                    guard i < b.count else { throw fail("unexpected end of input in array") }
                    if b[i] == UInt8(ascii: ",") { i += 1; continue }
                    if b[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
                    throw fail("expected ',' or ']'")
                }
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): return try literal("true", .bool(true))
            case UInt8(ascii: "f"): return try literal("false", .bool(false))
            case UInt8(ascii: "n"): return try literal("null", .null)
            default: return try number()
            }
        }

        mutating func number() throws(IndexJSONParseError) -> IndexJSON {
            let start = i
            if i < b.count, b[i] == UInt8(ascii: "-") { i += 1 }
            var isFloat = false
            var digits = 0
            while i < b.count {
                let c = b[i]
                if c >= 0x30 && c <= 0x39 { digits += 1; i += 1; continue }
                if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
                    || ((c == UInt8(ascii: "+") || c == UInt8(ascii: "-")) && isFloat) {
                    isFloat = true; i += 1; continue
                }
                break
            }
            guard digits > 0 else { i = start; throw fail("invalid value") }
            let text = String(decoding: b[start..<i], as: UTF8.self)
            if !isFloat, let v = Int64(text) { return .int(v) }
            guard let d = Double(text) else { throw IndexJSONParseError(offset: start, reason: "invalid number '\(text)'") }
            return .double(d)
        }

        mutating func hex4() throws(IndexJSONParseError) -> UInt32 {
            guard i + 4 <= b.count else { throw fail("truncated \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = b[i]
                let d: UInt32
                switch c {
                case 0x30...0x39: d = UInt32(c - 0x30)
                case 0x41...0x46: d = UInt32(c - 0x41 + 10)
                case 0x61...0x66: d = UInt32(c - 0x61 + 10)
                default: throw fail("invalid \\u escape")
                }
                v = v << 4 | d
                i += 1
            }
            return v
        }

        mutating func string() throws(IndexJSONParseError) -> String {
            i += 1  // opening quote
            var out: [UInt8] = []
            while true {
                guard i < b.count else { throw fail("unterminated string") }
                let c = b[i]
                if c == UInt8(ascii: "\"") { i += 1; break }
                if c < 0x20 { throw fail("control character in string") }
                if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
                i += 1
                guard i < b.count else { throw fail("unterminated escape") }
                let e = b[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var v = try hex4()
                    if v >= 0xD800 && v < 0xDC00, i + 6 <= b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") {
                        let save = i
                        i += 2
                        let lo = try hex4()
                        if lo >= 0xDC00 && lo < 0xE000 { v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00) } else { i = save }
                    }
                    let scalar = Unicode.Scalar(v) ?? "\u{FFFD}"
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                default: throw fail("invalid escape")
                }
            }
            guard let s = String(validating: out, as: UTF8.self) else { throw fail("string is not valid UTF-8") }
            return s
        }
    }
}
