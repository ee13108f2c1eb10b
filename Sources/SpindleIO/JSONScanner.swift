/// A byte-level JSON validator and scanner: checks one JSON text completely and reports where the
/// members of the top-level object sit, without building any values. Stages decode only the fields
/// they read and copy every other field through as its raw bytes (RFC 8259 grammar; depth ≤ 512).
struct JSONScanner {
    struct SyntaxError: Error {
        var offset: Int
        var message: String
    }

    /// What a value is, from its first byte.
    enum Kind: UInt8 { case string, number, object, array, bool, null }

    /// A member of the top-level object: key and value as byte ranges of the line.
    struct Member {
        var keyStart: Int32, keyEnd: Int32        // inside the quotes
        var valueStart: Int32, valueEnd: Int32    // the whole value, quotes included
        var kind: Kind
        var keyEscaped: Bool
        var valueEscaped: Bool                    // strings only: has a backslash escape
        var valueCanonical: Bool                  // strings only: escaped exactly as Spindle writes
    }

    let p: UnsafePointer<UInt8>
    let n: Int
    var i = 0
    var lastStringEscaped = false
    var lastStringCanonical = true

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        p = bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!
        n = bytes.count
    }

    /// Scans a line that must hold exactly one JSON object; returns its members in order.
    static func scanObject(_ bytes: UnsafeBufferPointer<UInt8>, into members: inout [Member]) throws(SyntaxError) {
        var s = JSONScanner(bytes)
        s.skipSpace()
        guard s.i < s.n else { throw SyntaxError(offset: 0, message: "empty line") }
        guard s.p[s.i] == UInt8(ascii: "{") else {
            throw SyntaxError(offset: s.i, message: "a JSONL record must be an object, found \(s.describeHere())")
        }
        s.i += 1
        s.skipSpace()
        if s.i < s.n && s.p[s.i] == UInt8(ascii: "}") {
            s.i += 1
        } else {
            while true {
                s.skipSpace()
                guard s.i < s.n, s.p[s.i] == UInt8(ascii: "\"") else {
                    throw SyntaxError(offset: s.i, message: "expected a quoted key, found \(s.describeHere())")
                }
                let keyStart = s.i + 1
                try s.string()
                let keyEscaped = s.lastStringEscaped
                let keyEnd = s.i - 1
                s.skipSpace()
                guard s.i < s.n, s.p[s.i] == UInt8(ascii: ":") else {
                    throw SyntaxError(offset: s.i, message: "expected ':' after a key, found \(s.describeHere())")
                }
                s.i += 1
                s.skipSpace()
                let valueStart = s.i
                let kind = try s.value(depth: 1)
                members.append(Member(keyStart: Int32(keyStart), keyEnd: Int32(keyEnd),
                                      valueStart: Int32(valueStart), valueEnd: Int32(s.i), kind: kind,
                                      keyEscaped: keyEscaped, valueEscaped: kind == .string && s.lastStringEscaped,
                                      valueCanonical: kind == .string && s.lastStringCanonical))
                s.skipSpace()
                guard s.i < s.n else { throw SyntaxError(offset: s.i, message: "unterminated object") }
                if s.p[s.i] == UInt8(ascii: ",") { s.i += 1; continue }
                if s.p[s.i] == UInt8(ascii: "}") { s.i += 1; break }
                throw SyntaxError(offset: s.i, message: "expected ',' or '}', found \(s.describeHere())")
            }
        }
        s.skipSpace()
        if s.i != s.n { throw SyntaxError(offset: s.i, message: "extra data after the object: \(s.describeHere())") }
    }

    /// Validates that `bytes` is exactly one JSON value.
    static func validate(_ bytes: UnsafeBufferPointer<UInt8>) throws(SyntaxError) -> Kind {
        var s = JSONScanner(bytes)
        s.skipSpace()
        let k = try s.value(depth: 0)
        s.skipSpace()
        if s.i != s.n { throw SyntaxError(offset: s.i, message: "extra data after the value: \(s.describeHere())") }
        return k
    }

    func describeHere() -> String {
        if i >= n { return "end of line" }
        let c = p[i]
        if c >= 0x20 && c < 0x7F { return "'\(Character(Unicode.Scalar(c)))'" }
        return "byte 0x\(String(c, radix: 16))"
    }

    mutating func skipSpace() {
        while i < n {
            let c = p[i]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 } else { return }
        }
    }

    mutating func value(depth: Int) throws(SyntaxError) -> Kind {
        guard i < n else { throw SyntaxError(offset: i, message: "expected a value, found end of line") }
        if depth > 512 { throw SyntaxError(offset: i, message: "nesting deeper than 512") }
        switch p[i] {
        case UInt8(ascii: "\""):
            try string()
            return .string
        case UInt8(ascii: "{"):
            i += 1
            skipSpace()
            if i < n && p[i] == UInt8(ascii: "}") { i += 1; return .object }
            while true {
                skipSpace()
                guard i < n, p[i] == UInt8(ascii: "\"") else {
                    throw SyntaxError(offset: i, message: "expected a quoted key, found \(describeHere())")
                }
                try string()
                skipSpace()
                guard i < n, p[i] == UInt8(ascii: ":") else {
                    throw SyntaxError(offset: i, message: "expected ':', found \(describeHere())")
                }
                i += 1
                skipSpace()
                _ = try value(depth: depth + 1)
                skipSpace()
                guard i < n else { throw SyntaxError(offset: i, message: "unterminated object") }
                if p[i] == UInt8(ascii: ",") { i += 1; continue }
                if p[i] == UInt8(ascii: "}") { i += 1; return .object }
                throw SyntaxError(offset: i, message: "expected ',' or '}', found \(describeHere())")
            }
        case UInt8(ascii: "["):
            i += 1
            skipSpace()
            if i < n && p[i] == UInt8(ascii: "]") { i += 1; return .array }
            while true {
                skipSpace()
                _ = try value(depth: depth + 1)
                skipSpace()
                guard i < n else { throw SyntaxError(offset: i, message: "unterminated array") }
                if p[i] == UInt8(ascii: ",") { i += 1; continue }
                if p[i] == UInt8(ascii: "]") { i += 1; return .array }
                throw SyntaxError(offset: i, message: "expected ',' or ']', found \(describeHere())")
            }
        case UInt8(ascii: "t"): try literal("true"); return .bool
        case UInt8(ascii: "f"): try literal("false"); return .bool
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try number()
            return .number
        default:
            throw SyntaxError(offset: i, message: "expected a value, found \(describeHere())")
        }
    }

    mutating func literal(_ word: StaticString) throws(SyntaxError) {
        let len = word.utf8CodeUnitCount
        guard i + len <= n, memcmp(p + i, word.utf8Start, len) == 0 else {
            throw SyntaxError(offset: i, message: "invalid literal (expected \(word))")
        }
        i += len
    }

    mutating func number() throws(SyntaxError) {
        let start = i
        if p[i] == UInt8(ascii: "-") { i += 1 }
        guard i < n, isDigit(p[i]) else { throw SyntaxError(offset: start, message: "invalid number") }
        if p[i] == UInt8(ascii: "0") { i += 1 } else { while i < n && isDigit(p[i]) { i += 1 } }
        if i < n && p[i] == UInt8(ascii: ".") {
            i += 1
            guard i < n, isDigit(p[i]) else { throw SyntaxError(offset: start, message: "invalid number") }
            while i < n && isDigit(p[i]) { i += 1 }
        }
        if i < n && (p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E")) {
            i += 1
            if i < n && (p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-")) { i += 1 }
            guard i < n, isDigit(p[i]) else { throw SyntaxError(offset: start, message: "invalid number") }
            while i < n && isDigit(p[i]) { i += 1 }
        }
    }

    @inline(__always) func isDigit(_ c: UInt8) -> Bool { c &- UInt8(ascii: "0") < 10 }

    /// Scans a string starting at its opening quote; leaves `i` after the closing quote.
    /// UTF-8 validity is checked for the whole line beforehand, so only escapes and control
    /// characters are checked here.
    mutating func string() throws(SyntaxError) {
        let open = i
        i += 1
        lastStringEscaped = false
        lastStringCanonical = true
        while true {
            // Fast path: skip 8 plain bytes at a time (no quote, backslash or control byte).
            while i + 8 <= n {
                let w = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
                if JSONScanner.hasSpecial(w) { break }
                i += 8
            }
            guard i < n else { throw SyntaxError(offset: open, message: "unterminated string") }
            let c = p[i]
            if c == UInt8(ascii: "\"") { i += 1; return }
            if c == UInt8(ascii: "\\") {
                lastStringEscaped = true
                i += 1
                guard i < n else { throw SyntaxError(offset: open, message: "unterminated string") }
                switch p[i] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "b"),
                     UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    i += 1
                case UInt8(ascii: "/"):
                    lastStringCanonical = false
                    i += 1
                case UInt8(ascii: "u"):
                    guard i + 4 < n, isHex(p[i + 1]), isHex(p[i + 2]), isHex(p[i + 3]), isHex(p[i + 4]) else {
                        throw SyntaxError(offset: i - 1, message: "invalid \\u escape")
                    }
                    // Spindle writes \u only as \u00XX (lower-case hex) for controls without a short form.
                    let v = JSONString.hex4(p + i + 1)
                    let short = v == 0x08 || v == 0x09 || v == 0x0A || v == 0x0C || v == 0x0D
                    if v >= 0x20 || short || p[i + 3] > UInt8(ascii: "9") && p[i + 3] < UInt8(ascii: "a")
                        || p[i + 4] > UInt8(ascii: "9") && p[i + 4] < UInt8(ascii: "a") {
                        lastStringCanonical = false
                    }
                    i += 5
                default:
                    throw SyntaxError(offset: i - 1, message: "invalid escape \\\(describeHere())")
                }
                continue
            }
            if c < 0x20 { throw SyntaxError(offset: i, message: "unescaped control character 0x\(String(c, radix: 16)) in a string") }
            i += 1
        }
    }

    @inline(__always) func isHex(_ c: UInt8) -> Bool {
        isDigit(c) || (c | 0x20) &- UInt8(ascii: "a") < 6
    }

    /// True if any byte of `w` is '"', '\\' or below 0x20 (SWAR: bytes equal to a value become zero).
    @inline(__always) static func hasSpecial(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        let quote = w ^ (ones &* 0x22)
        let slash = w ^ (ones &* 0x5C)
        let zeroQ = (quote &- ones) & ~quote & high
        let zeroS = (slash &- ones) & ~slash & high
        let control = (w &- (ones &* 0x20)) & ~w & high   // bytes < 0x20
        return (zeroQ | zeroS | control) != 0
    }
}

#if canImport(Glibc)
import Glibc
#endif
