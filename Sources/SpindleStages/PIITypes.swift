// PII types, spans and the byte-class helpers the hand-written scanners share.

#if canImport(Glibc)
import Glibc
#endif

/// A kind of personal or secret information.
public enum PIIType: String, CaseIterable, Sendable, Codable {
    case email, phone, ipv4, ipv6
    case creditCard = "credit_card"
    case ssn, iban, secret
    case urlCredentials = "url_credentials"

    /// Default redaction placeholder.
    public var placeholder: String {
        switch self {
        case .email: "<EMAIL>"
        case .phone: "<PHONE>"
        case .ipv4, .ipv6: "<IP_ADDRESS>"
        case .creditCard: "<CREDIT_CARD>"
        case .ssn: "<SSN>"
        case .iban: "<IBAN>"
        case .secret: "<SECRET>"
        case .urlCredentials: "<CREDENTIALS>"
        }
    }

    /// Overlap priority: when two spans overlap the higher one wins (then the longer one).
    var priority: Int {
        switch self {
        case .secret: 9
        case .urlCredentials: 8
        case .creditCard: 7
        case .iban: 6
        case .ssn: 5
        case .email: 4
        case .ipv6: 3
        case .ipv4: 2
        case .phone: 1
        }
    }
}

/// One detected span. `byteStart..<byteEnd` indexes the UTF-8 text; `start..<end` counts unicode scalars.
public struct PIISpan: Sendable, Equatable, Hashable {
    public var type: PIIType
    public var byteStart: Int
    public var byteEnd: Int
    public var start: Int = 0
    public var end: Int = 0
    public init(type: PIIType, byteStart: Int, byteEnd: Int) {
        self.type = type; self.byteStart = byteStart; self.byteEnd = byteEnd
    }
}

/// Cheap predicates on one byte.
@inline(__always) func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }
@inline(__always) func isUpper(_ b: UInt8) -> Bool { b &- 0x41 < 26 }
@inline(__always) func isLower(_ b: UInt8) -> Bool { b &- 0x61 < 26 }
@inline(__always) func isAlpha(_ b: UInt8) -> Bool { (b | 0x20) &- 0x61 < 26 }
@inline(__always) func isAlnum(_ b: UInt8) -> Bool { isDigit(b) || isAlpha(b) }
@inline(__always) func isHex(_ b: UInt8) -> Bool { isDigit(b) || (b | 0x20) &- 0x61 < 6 }
/// Letters, digits, underscore and any non-ASCII byte (a letter in another script): a "word" byte.
@inline(__always) func isWordByte(_ b: UInt8) -> Bool { isAlnum(b) || b == 0x5F || b >= 0x80 }

/// A view of the text with bounds-checked peeks (out of range reads as a space).
struct PIIText {
    let p: UnsafeBufferPointer<UInt8>
    @inline(__always) var count: Int { p.count }
    @inline(__always) subscript(_ i: Int) -> UInt8 { (i >= 0 && i < p.count) ? p[i] : 0x20 }

    /// True when `s` (ASCII) occurs at `i`, case-insensitively if `fold`.
    func matches(_ s: StaticString, at i: Int, fold: Bool = false) -> Bool {
        let n = s.utf8CodeUnitCount
        if i < 0 || i + n > p.count { return false }
        let q = s.utf8Start
        for k in 0..<n {
            let a = p[i + k], b = q[k]
            if fold {
                let x = isAlpha(a) ? a | 0x20 : a, y = isAlpha(b) ? b | 0x20 : b
                if x != y { return false }
            } else if a != b { return false }
        }
        return true
    }

    /// The lower-cased ASCII word starting after `i` once spaces and punctuation are skipped.
    func nextWord(after i: Int, maxAhead: Int = 12) -> String {
        var j = i
        let stop = min(p.count, i + maxAhead)
        while j < stop && !isAlnum(p[j]) && p[j] != 0x0A { j += 1 }
        let s = j
        while j < p.count && isAlpha(p[j]) && j - s < 16 { j += 1 }
        return String(decoding: p[s..<j].map { $0 | 0x20 }, as: UTF8.self)
    }

    /// True when `needle` (lower-case ASCII) occurs in `r`, comparing case-insensitively. No allocation.
    func containsFolded(_ r: Range<Int>, _ needle: StaticString) -> Bool {
        let n = needle.utf8CodeUnitCount
        if r.count < n { return false }
        let q = needle.utf8Start
        var i = r.lowerBound
        while i + n <= r.upperBound {
            var k = 0
            while k < n {
                let a = p[i + k]
                if (isUpper(a) ? a | 0x20 : a) != q[k] { break }
                k += 1
            }
            if k == n { return true }
            i += 1
        }
        return false
    }

    /// Like `containsFolded`, but only where `needle` starts a word (no ASCII letter before it).
    func containsFoldedWord(_ r: Range<Int>, _ needle: StaticString) -> Bool {
        let n = needle.utf8CodeUnitCount
        var s = r.lowerBound
        while s + n <= r.upperBound {
            if containsFolded(s..<(s + n), needle) && (s == 0 || !isAlpha(p[s - 1])) { return true }
            s += 1
        }
        return false
    }

    /// The `within` bytes before `i`, lower-cased, as a String (for context phrases).
    func lowercasedWindow(before i: Int, within: Int) -> String {
        let s = max(0, i - within)
        return String(decoding: p[s..<max(s, min(i, p.count))].map { isUpper($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    /// Where the word found by `previousWord(before:)` starts (or `i` when there is none).
    func previousWordStart(before i: Int, maxBack: Int = 24) -> Int {
        var j = i - 1
        let stop = max(0, i - maxBack)
        while j >= stop && !isAlnum(p[j]) && p[j] != 0x0A { j -= 1 }
        if j < stop || !isAlpha(p[j]) { return i }
        while j >= stop && isAlpha(p[j]) { j -= 1 }
        return j + 1
    }

    /// The previous word before `i`, or "" when `i` is not after one (convenience for two words back).
    func wordBefore(_ i: Int) -> String { i <= 0 ? "" : previousWord(before: i).word }

    /// The lower-cased ASCII word ending just before `i` after skipping spaces and `#:`-like punctuation,
    /// at most `maxBack` bytes back. Used for context keywords ("version 1.2.3.4", "order #").
    func previousWord(before i: Int, maxBack: Int = 24) -> (word: String, sawHash: Bool) {
        var j = i - 1
        var sawHash = false
        let stop = max(0, i - maxBack)
        while j >= stop && !isAlnum(p[j]) {
            if p[j] == 0x23 { sawHash = true }
            if p[j] == 0x0A { break }
            j -= 1
        }
        var end = j + 1
        while j >= stop && isAlpha(p[j]) { j -= 1 }
        if end - (j + 1) > 16 { end = j + 17 }
        let bytes = (j + 1 < end) ? p[(j + 1)..<end].map { $0 | 0x20 } : []
        return (String(decoding: bytes, as: UTF8.self), sawHash)
    }
}

/// Shannon entropy of bytes in bits per byte.
func shannonEntropy(_ p: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Double {
    var counts = [Int](repeating: 0, count: 256)
    for i in r { counts[Int(p[i])] += 1 }
    let n = Double(r.count)
    var h = 0.0
    for c in counts where c > 0 { let q = Double(c) / n; h -= q * log2(q) }
    return h
}

