// E-mail addresses and NANP phone numbers (other plans: PhoneNational.swift).

extension PIIScanner {
    @inline(__always) static func isLocalChar(_ b: UInt8) -> Bool {
        isAlnum(b) || b == 0x2E || b == 0x5F || b == 0x25 || b == 0x2B || b == 0x2D
    }

    /// File extensions that follow "@" in retina image names (icon@2x.png): not e-mail domains.
    static let fileTLDs: Set<String> = ["png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "ico", "tif", "tiff", "pdf"]

    /// An e-mail address around the "@" at `at`: local part [A-Za-z0-9._%+-]{1,64} not starting or
    /// ending with a dot, domain of >= 2 labels (alnum and inner hyphens) with an alphabetic TLD.
    static func email(_ t: PIIText, at: Int) -> Range<Int>? {
        var s = at
        while s > 0 && at - s < 64 && isLocalChar(t[s - 1]) { s -= 1 }
        if s > 0 && (isLocalChar(t[s - 1]) || t[s - 1] >= 0x80) { return nil }  // longer than 64 or glued to a word
        while s < at && (t[s] == 0x2E || t[s] == 0x2D || t[s] == 0x2B) { s += 1 }
        guard s < at, t[at - 1] != 0x2E else { return nil }
        var e = at + 1
        var labels = 0, end = -1, tldStart = e, ls = e
        while true {
            while isAlnum(t[e]) || t[e] == 0x2D { e += 1 }
            let le = e
            if le - ls < 1 || le - ls > 63 || t[ls] == 0x2D || t[le - 1] == 0x2D { break }
            labels += 1; end = le; tldStart = ls
            if t[e] == 0x2E && isAlnum(t[e + 1]) { e += 1; ls = e; continue }
            break
        }
        guard labels >= 2 else { return nil }
        e = end
        let tldLen = e - tldStart
        guard tldLen >= 2 && tldLen <= 24 else { return nil }
        for q in tldStart..<e where !isAlpha(t[q]) { return nil }
        if tldLen <= 4 {
            let tld = String(decoding: (tldStart..<e).map { t[$0] | 0x20 }, as: UTF8.self)
            if fileTLDs.contains(tld) { return nil }
        }
        if t[e] >= 0x80 || t[e] == 0x40 { return nil }
        return s..<e
    }

    /// Context words before a number that make it an identifier rather than a phone/card/SSN.
    static let identifierContext: Set<String> = [
        "order", "invoice", "ref", "reference", "tracking", "isbn", "sku", "serial", "no", "nr",
        "confirmation", "ticket", "id", "issn", "doi", "patent", "receipt", "po",
    ]

    static func identifierContextBefore(_ t: PIIText, _ i: Int) -> Bool {
        let (w, hash) = t.previousWord(before: i)
        if hash { return true }
        guard identifierContext.contains(w) else { return false }
        // "no", "nr" and "id" are identifiers as abbreviations ("No. 123", "ID: 123"), not as words ("no (123)").
        if w == "no" || w == "nr" || w == "id" {
            var k = i - 1
            while k > 0 && t[k] == 0x20 { k -= 1 }
            return t[k] == 0x2E || t[k] == 0x3A
        }
        return true
    }

    /// True when the number at `i` continues an earlier number ("12-555-..." or "3.555...").
    @inline(__always) static func gluedBefore(_ t: PIIText, _ i: Int) -> Bool {
        let b = t[i - 1]
        return isWordByte(b) || ((b == 0x2D || b == 0x2E || b == 0x2F) && isDigit(t[i - 2]))
    }

    @inline(__always) static func gluedAfter(_ t: PIIText, _ e: Int) -> Bool {
        let b = t[e]
        return isWordByte(b) || ((b == 0x2D || b == 0x2E || b == 0x2F) && isDigit(t[e + 1]))
    }

    @inline(__always) static func digitsRun(_ t: PIIText, _ i: Int, _ n: Int) -> Bool {
        for k in 0..<n where !isDigit(t[i + k]) { return false }
        return !isDigit(t[i + n])
    }

    /// A NANP number: [+1 or 1 sep] (AAA) EEE-LLLL | AAA-EEE-LLLL | AAA.EEE.LLLL | AAA EEE LLLL;
    /// area and exchange start with 2-9 (the exchange may not after "(AAA)" or "+1"). Ten bare digits count only after "+1" (E.164), since bare digit
    /// runs are usually order or account numbers.
    static func nanp(_ t: PIIText, at i: Int) -> Range<Int>? {
        var j = i
        var plusOne = false
        if t[j] == 0x2B {
            guard t[j + 1] == 0x31 else { return nil }
            j += 2; plusOne = true
            if t[j] == 0x20 || t[j] == 0x2D || t[j] == 0x2E { j += 1 }
        } else if t[j] == 0x31 && (t[j + 1] == 0x2D || t[j + 1] == 0x20 || t[j + 1] == 0x2E)
                    && (isDigit(t[j + 2]) || t[j + 2] == 0x28) {
            j += 2
        }
        var paren = false
        if t[j] == 0x28 { paren = true; j += 1 }
        if plusOne && !paren && (0..<10).allSatisfy({ isDigit(t[j + $0]) }) {
            // E.164 without separators: +1AAAEEELLLL.
            guard t[j] >= 0x32, t[j + 3] >= 0x32, !isDigit(t[j + 10]), !gluedAfter(t, j + 10) else { return nil }
            return i..<(j + 10)
        }
        guard digitsRun(t, j, 3), t[j] >= 0x32 else { return nil }
        j += 3
        var sep: UInt8 = 0
        if paren {
            guard t[j] == 0x29 else { return nil }
            j += 1
            if t[j] == 0x20 || t[j] == 0x2D { j += 1 }
            sep = 0xFF  // any
        } else if t[j] == 0x20 || t[j] == 0x2D || t[j] == 0x2E {
            sep = t[j]; j += 1
        }
        // The exchange starts with 2-9, except after "(AAA)" or "+1", which mark a phone on their own
        // (fictional 555-01XX numbers included).
        guard digitsRun(t, j, 3), t[j] >= 0x32 || paren || plusOne else { return nil }
        j += 3
        if sep == 0xFF {
            if t[j] == 0x2D || t[j] == 0x20 || t[j] == 0x2E { j += 1 }
        } else if sep != 0 {
            guard t[j] == sep else { return nil }
            j += 1
        }
        guard digitsRun(t, j, 4) else { return nil }
        j += 4
        if sep == 0 && !paren && !plusOne { return nil }
        if gluedAfter(t, j) { return nil }
        return i..<j
    }
}
