// A minimal byte-level JSON scanner for JSONL tokenisation: finds one top-level string field of an
// object and unescapes it, leaving the rest of the line untouched (it is copied through raw).

/// Why a JSONL line could not be tokenised.
public enum JSONFieldError: Error, Equatable, CustomStringConvertible, Sendable {
    case notAnObject(offset: Int)
    case malformed(offset: Int, String)
    case missingField(String)
    case notAString(String)

    public var description: String {
        switch self {
        case let .notAnObject(o): return "not a JSON object (byte \(o))"
        case let .malformed(o, m): return "malformed JSON at byte \(o): \(m)"
        case let .missingField(f): return "field \"\(f)\" is missing"
        case let .notAString(f): return "field \"\(f)\" is not a string"
        }
    }
}

struct JSONScanner {
    let b: UnsafeBufferPointer<UInt8>
    var i = 0

    init(_ b: UnsafeBufferPointer<UInt8>) { self.b = b }

    mutating func skipWS() { while i < b.count, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0A || b[i] == 0x0D { i += 1 } }

    mutating func expect(_ c: UInt8) throws(JSONFieldError) {
        skipWS()
        guard i < b.count, b[i] == c else { throw .malformed(offset: i, "expected '\(Character(Unicode.Scalar(c)))'") }
        i += 1
    }

    /// Parses a string at i (which must be '"'), appending its unescaped UTF-8 to `out`.
    mutating func string(into out: inout [UInt8]) throws(JSONFieldError) {
        try expect(0x22)
        while true {
            guard i < b.count else { throw .malformed(offset: i, "unterminated string") }
            let c = b[i]; i += 1
            if c == 0x22 { return }
            if c != 0x5C { out.append(c); continue }
            guard i < b.count else { throw .malformed(offset: i, "unterminated escape") }
            let e = b[i]; i += 1
            switch e {
            case 0x22: out.append(0x22)
            case 0x5C: out.append(0x5C)
            case 0x2F: out.append(0x2F)
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0C)
            case 0x6E: out.append(0x0A)
            case 0x72: out.append(0x0D)
            case 0x74: out.append(0x09)
            case 0x75:
                var u = try hex4()
                if u >= 0xD800 && u < 0xDC00, i + 1 < b.count, b[i] == 0x5C, b[i + 1] == 0x75 {
                    let save = i
                    i += 2
                    let lo = try hex4()
                    if lo >= 0xDC00 && lo < 0xE000 { u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00) } else { i = save }
                }
                let scalar = Unicode.Scalar(u) ?? "\u{FFFD}"
                out.append(contentsOf: String(scalar).utf8)
            default: throw .malformed(offset: i - 1, "bad escape")
            }
        }
    }

    mutating func hex4() throws(JSONFieldError) -> UInt32 {
        guard i + 4 <= b.count else { throw .malformed(offset: i, "short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = b[i]; i += 1
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw .malformed(offset: i - 1, "bad hex digit")
            }
            v = v << 4 | d
        }
        return v
    }

    /// Skips any JSON value.
    mutating func skipValue() throws(JSONFieldError) {
        skipWS()
        guard i < b.count else { throw .malformed(offset: i, "expected a value") }
        switch b[i] {
        case 0x22:
            i += 1
            while i < b.count {
                if b[i] == 0x5C { i += 2; continue }
                if b[i] == 0x22 { i += 1; return }
                i += 1
            }
            throw .malformed(offset: i, "unterminated string")
        case 0x7B, 0x5B:
            var depth = 0
            while i < b.count {
                let c = b[i]
                if c == 0x22 { try skipValue(); continue }
                if c == 0x7B || c == 0x5B { depth += 1 }
                if c == 0x7D || c == 0x5D { depth -= 1; if depth == 0 { i += 1; return } }
                i += 1
            }
            throw .malformed(offset: i, "unterminated container")
        default:
            while i < b.count, b[i] != 0x2C, b[i] != 0x7D, b[i] != 0x5D, b[i] != 0x20, b[i] != 0x0A, b[i] != 0x09, b[i] != 0x0D { i += 1 }
        }
    }
}

/// Extracts the unescaped UTF-8 of top-level string field `key` from a JSON object line.
/// Returns the offset of the object's closing brace too, so callers can append fields.
public func jsonStringField(_ line: UnsafeBufferPointer<UInt8>, key: String, into out: inout [UInt8]) throws(JSONFieldError) -> (closingBrace: Int, isEmptyObject: Bool) {
    var s = JSONScanner(line)
    s.skipWS()
    guard s.i < line.count, line[s.i] == 0x7B else { throw .notAnObject(offset: s.i) }
    s.i += 1
    let keyBytes = Array(key.utf8)
    var found = false
    var members = 0
    var k: [UInt8] = []
    while true {
        s.skipWS()
        guard s.i < line.count else { throw .malformed(offset: s.i, "unterminated object") }
        if line[s.i] == 0x7D { break }
        if members > 0 { try s.expect(0x2C); s.skipWS() }
        k.removeAll(keepingCapacity: true)
        try s.string(into: &k)
        try s.expect(0x3A)
        s.skipWS()
        if k == keyBytes && !found {
            guard s.i < line.count, line[s.i] == 0x22 else { throw .notAString(key) }
            try s.string(into: &out)
            found = true
        } else {
            try s.skipValue()
        }
        members += 1
    }
    guard found else { throw .missingField(key) }
    return (s.i, members == 0)
}
