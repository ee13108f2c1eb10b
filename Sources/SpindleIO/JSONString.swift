/// JSON string escaping and unescaping on UTF-8 bytes.
public enum JSONString {
    /// Appends `bytes` as a quoted JSON string in Spindle's canonical form: `"` `\` and control
    /// characters escaped (`\n \t \r \b \f`, else `\u00XX`), everything else — `/` and non-ASCII
    /// included — written as is.
    public static func append(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        guard let p = bytes.baseAddress else { out.append(UInt8(ascii: "\"")); return }
        let n = bytes.count
        var runStart = 0
        var i = 0
        while i < n {
            while i + 8 <= n, !JSONScanner.hasSpecial(UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)) { i += 8 }
            guard i < n else { break }
            let c = p[i]
            if c != UInt8(ascii: "\"") && c != UInt8(ascii: "\\") && c >= 0x20 { i += 1; continue }
            if i > runStart { out.append(contentsOf: UnsafeBufferPointer(start: p + runStart, count: i - runStart)) }
            out.append(UInt8(ascii: "\\"))
            switch c {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
            case 0x0A: out.append(UInt8(ascii: "n"))
            case 0x09: out.append(UInt8(ascii: "t"))
            case 0x0D: out.append(UInt8(ascii: "r"))
            case 0x08: out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(UInt8(ascii: "f"))
            default:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(c >> 4)], hex[Int(c & 15)]])
            }
            i += 1
            runStart = i
        }
        if n > runStart { out.append(contentsOf: UnsafeBufferPointer(start: p + runStart, count: n - runStart)) }
        out.append(UInt8(ascii: "\""))
    }

    public static func append(_ string: String, to out: inout [UInt8]) {
        var s = string
        s.withUTF8 { append($0, to: &out) }
    }

    /// Decodes the body of a JSON string (between the quotes, already validated) into UTF-8 bytes.
    /// `\uXXXX` surrogate pairs are combined; a lone surrogate becomes U+FFFD.
    public static func unescape(_ body: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        guard let p = body.baseAddress else { return }
        let n = body.count
        var i = 0
        var runStart = 0
        while i < n {
            guard let hit = memchr(p + i, Int32(UInt8(ascii: "\\")), n - i) else { break }
            i = UnsafeRawPointer(hit) - UnsafeRawPointer(p)
            if i > runStart { out.append(contentsOf: UnsafeBufferPointer(start: p + runStart, count: i - runStart)) }
            let e = p[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                var scalar = hex4(p + i)
                i += 4
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    if i + 6 <= n && p[i] == UInt8(ascii: "\\") && p[i + 1] == UInt8(ascii: "u") {
                        let low = hex4(p + i + 2)
                        if low >= 0xDC00 && low < 0xE000 {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                            i += 6
                        } else { scalar = 0xFFFD }
                    } else { scalar = 0xFFFD }
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    scalar = 0xFFFD
                }
                appendScalar(scalar, to: &out)
            default: out.append(e)   // " \ /
            }
            runStart = i
        }
        if n > runStart { out.append(contentsOf: UnsafeBufferPointer(start: p + runStart, count: n - runStart)) }
    }

    @inline(__always) static func hex4(_ p: UnsafePointer<UInt8>) -> UInt32 {
        var v: UInt32 = 0
        for k in 0..<4 {
            let c = p[k]
            let d: UInt32 = c <= UInt8(ascii: "9") ? UInt32(c &- 48) : UInt32((c | 0x20) &- 87)
            v = v << 4 | d
        }
        return v
    }

    /// Appends a Unicode scalar value as UTF-8.
    public static func appendScalar(_ v: UInt32, to out: inout [UInt8]) {
        switch v {
        case 0..<0x80: out.append(UInt8(v))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | (v >> 6))); out.append(UInt8(0x80 | (v & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | (v >> 12))); out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        default:
            out.append(UInt8(0xF0 | (v >> 18))); out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F))); out.append(UInt8(0x80 | (v & 0x3F)))
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

extension JSONString {
    /// Appends `string` quoted the way Python's `json.dumps` does with `ensure_ascii=True`: short
    /// escapes for `" \ \n \r \t \b \f`, `\uXXXX` (lower-case hex, surrogate pairs above U+FFFF)
    /// for every other scalar outside printable ASCII.
    public static func appendASCII(_ string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for u in string.unicodeScalars {
            let v = u.value
            switch v {
            case 0x22: out.append(contentsOf: #"\""#.utf8)
            case 0x5C: out.append(contentsOf: #"\\"#.utf8)
            case 0x0A: out.append(contentsOf: #"\n"#.utf8)
            case 0x0D: out.append(contentsOf: #"\r"#.utf8)
            case 0x09: out.append(contentsOf: #"\t"#.utf8)
            case 0x08: out.append(contentsOf: #"\b"#.utf8)
            case 0x0C: out.append(contentsOf: #"\f"#.utf8)
            case 0x20...0x7E: out.append(UInt8(v))
            case 0x10000...:
                appendHexEscape(0xD800 + ((v - 0x10000) >> 10), to: &out)
                appendHexEscape(0xDC00 + ((v - 0x10000) & 0x3FF), to: &out)
            default: appendHexEscape(v, to: &out)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `\uXXXX` with lower-case hex digits.
    static func appendHexEscape(_ v: UInt32, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"),
                                hex[Int((v >> 12) & 0xF)], hex[Int((v >> 8) & 0xF)], hex[Int((v >> 4) & 0xF)], hex[Int(v & 0xF)]])
    }
}
