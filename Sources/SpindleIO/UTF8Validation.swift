/// UTF-8 validation (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF), with an
/// 8-bytes-at-a-time ASCII fast path since most corpus text is ASCII.
public enum UTF8Validation {
    /// The offset of the first byte that is not part of a valid UTF-8 sequence, or nil if all valid.
    public static func firstInvalid(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let p = bytes.baseAddress else { return nil }
        let n = bytes.count
        var i = 0
        while i < n {
            while i + 8 <= n, UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                i += 8
            }
            guard i < n else { return nil }
            let c = p[i]
            if c < 0x80 { i += 1; continue }
            let len = sequenceLength(p + i, n - i)
            if len == 0 { return i }
            i += len
        }
        return nil
    }

    /// Length of the valid sequence at `p` (1...4), or 0 if it is invalid.
    @inline(__always)
    public static func sequenceLength(_ p: UnsafePointer<UInt8>, _ available: Int) -> Int {
        let c = p[0]
        if c < 0x80 { return 1 }
        @inline(__always) func cont(_ k: Int) -> Bool { k < available && p[k] & 0xC0 == 0x80 }
        switch c {
        case 0xC2...0xDF:
            return cont(1) ? 2 : 0
        case 0xE0:
            return available > 2 && p[1] >= 0xA0 && p[1] <= 0xBF && cont(2) ? 3 : 0
        case 0xED:
            return available > 2 && p[1] >= 0x80 && p[1] <= 0x9F && cont(2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF:
            return cont(1) && cont(2) ? 3 : 0
        case 0xF0:
            return available > 3 && p[1] >= 0x90 && p[1] <= 0xBF && cont(2) && cont(3) ? 4 : 0
        case 0xF1...0xF3:
            return cont(1) && cont(2) && cont(3) ? 4 : 0
        case 0xF4:
            return available > 3 && p[1] >= 0x80 && p[1] <= 0x8F && cont(2) && cont(3) ? 4 : 0
        default:
            return 0
        }
    }
}
