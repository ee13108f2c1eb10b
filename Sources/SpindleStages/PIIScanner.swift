// The PII scanner: one pass over UTF-8 bytes, dispatching on trigger bytes to the hand-written
// detectors (no regex engine), then overlap resolution and unicode-scalar offsets.

/// Finds PII spans in UTF-8 text.
public struct PIIScanner: Sendable {
    public var types: Set<PIIType>

    public init(types: Set<PIIType> = Set(PIIType.allCases)) { self.types = types }

    // Per byte: the trigger class in the low 4 bits (0 none, 1 digit, 2 '@', 3 ':', 4 '=', 5 '-', 6 '+',
    // 7 '(', 8 uppercase, 9 lowercase hex a-f, 10 'g' 'h' 'n' 'r' 's', 11 'x') and 0x10 for a word byte (letter, digit,
    // '_', non-ASCII), so the skip loops need one table load per byte.
    static let trigger: [UInt8] = (0..<256).map { b -> UInt8 in
        let cls: UInt8
        switch b {
        case 0x30...0x39: cls = 1
        case 0x40: cls = 2
        case 0x3A: cls = 3
        case 0x3D: cls = 4
        case 0x2D: cls = 5
        case 0x2B: cls = 6
        case 0x28: cls = 7
        case 0x41...0x5A: cls = 8
        case 0x61...0x66: cls = 9
        case 0x67, 0x68, 0x6E, 0x72, 0x73: cls = 10
        case 0x78: cls = 11
        default: cls = 0
        }
        return cls | (isWordByte(UInt8(b)) ? 0x10 : 0)
    }

    /// Scan `text`; spans are sorted, non-overlapping, with both byte and unicode-scalar offsets.
    public func scan(_ text: UnsafeBufferPointer<UInt8>) -> [PIISpan] {
        let t = PIIText(p: text)
        var found: [PIISpan] = []
        let want = types
        let wEmail = want.contains(.email), wPhone = want.contains(.phone), wV4 = want.contains(.ipv4),
            wV6 = want.contains(.ipv6), wCard = want.contains(.creditCard), wSSN = want.contains(.ssn),
            wIBAN = want.contains(.iban), wSecret = want.contains(.secret), wURL = want.contains(.urlCredentials)
        func add(_ type: PIIType, _ r: Range<Int>?) -> Int? {
            guard let r else { return nil }
            found.append(PIISpan(type: type, byteStart: r.lowerBound, byteEnd: r.upperBound))
            return r.upperBound
        }
        let n = text.count
        var i = 0
        // A cheap IPv6 gate: 1-4 hex digits then ':' (most words fail at once).
        @inline(__always) func hexThenColon(_ i: Int) -> Bool {
            var j = i
            while j < n && j - i < 5 && isHex(text[j]) { j += 1 }
            return j < n && text[j] == 0x3A && j > i
        }
        Self.trigger.withUnsafeBufferPointer { trig in
            while i < n {
                let b = text[i]
                let tb = trig[Int(b)]
                let cls = tb & 0x0F
                if cls == 0 {
                    // Not a trigger. Word bytes: detectors of words start only at a word start, so
                    // skip the whole run.
                    i += 1
                    if tb != 0 { while i < n && trig[Int(text[i])] & 0x10 != 0 { i += 1 } }
                    continue
                }
                let wordStart = i == 0 || trig[Int(text[i - 1])] & 0x10 == 0
                if cls >= 8 || cls == 1 {
                    if !wordStart { i += 1; while i < n && trig[Int(text[i])] & 0x10 != 0 { i += 1 }; continue }
                    let start = i
                    switch cls {
                    case 1:
                        // A short digit run that nothing continues ("1990 ", "15,") cannot start any detector:
                        // all need 7+ digits, or a ".", "-", "/", " " or ":" followed by more.
                        var q = i + 1
                        while q < n && isDigit(text[q]) { q += 1 }
                        if q - i < 7 {
                            let c = q < n ? text[q] : 0x20, c2 = q + 1 < n ? text[q + 1] : 0x20
                            let sep = c == 0x2E || c == 0x2D || c == 0x2F || c == 0x20 || c == 0x3A
                            let spaced = c == 0x20 && (c2 == 0x2D || c2 == 0x2F) && q + 2 < n && text[q + 2] == 0x20  // "030 - 123"
                            if !isWordByte(c) && !spaced && !(sep && (isDigit(c2) || c2 == 0x28 || (c == 0x3A && (isHex(c2) || c2 == 0x3A)))) { i = q; continue }
                        }
                        if wCard, let e = add(.creditCard, Self.creditCard(t, at: i)) { i = e; continue }
                        if wSSN, let e = add(.ssn, Self.ssn(t, at: i)) { i = e; continue }
                        if wV4, let e = add(.ipv4, Self.ipv4(t, at: i)) { i = e; continue }
                        if wV6 && hexThenColon(i), let e = add(.ipv6, Self.ipv6(t, at: i)) { i = e; continue }
                        if wPhone && !Self.gluedBefore(t, i),
                           let r = Self.nanp(t, at: i).flatMap({ Self.identifierContextBefore(t, i) ? nil : $0 }) ?? Self.nationalPhone(t, at: i) {
                            i = add(.phone, r)!; continue
                        }
                    case 8:
                        if wSecret && (b == 0x41 || b == 0x53), let r = Self.shapedToken(t, at: i) { i = add(.secret, r)!; continue }
                        if wIBAN && isUpper(text[min(i + 1, n - 1)]), let r = Self.iban(t, at: i) { i = add(.iban, r)!; continue }
                        if wV6 && b <= 0x46 && hexThenColon(i), let r = Self.ipv6(t, at: i) { i = add(.ipv6, r)!; continue }
                    case 9:
                        if wV6 && hexThenColon(i), let r = Self.ipv6(t, at: i) { i = add(.ipv6, r)!; continue }
                    default:  // 10, 11: g h n r s x; every shape has "_" or "-" within its first seven bytes
                        if wSecret && Self.joinSoon(t, i), let r = Self.shapedToken(t, at: i) { i = add(.secret, r)!; continue }
                    }
                    // No match at this word start: skip the rest of the word.
                    i = start + 1
                    while i < n && trig[Int(text[i])] & 0x10 != 0 { i += 1 }
                    continue
                }
                switch cls {
                case 2:
                    if wEmail, let r = Self.email(t, at: i) { i = add(.email, r)!; continue }
                case 3:
                    if wURL, let r = Self.urlCredentials(t, colon: i) { i = add(.urlCredentials, r)!; continue }
                    if wSecret, let r = Self.assignment(t, op: i) { i = add(.secret, r)!; continue }
                    if wV6 && wordStart && i + 1 < n && text[i + 1] == 0x3A, let r = Self.ipv6(t, at: i) {
                        i = add(.ipv6, r)!; continue
                    }
                case 4:
                    if wSecret, let r = Self.assignment(t, op: i) { i = add(.secret, r)!; continue }
                case 5:
                    if wSecret && i + 4 < n && text[i + 1] == 0x2D, let r = Self.privateKeyBlock(t, at: i) {
                        i = add(.secret, r)!; continue
                    }
                case 6, 7:
                    if wPhone && wordStart {
                        if !Self.gluedBefore(t, i), let r = Self.nanp(t, at: i) ?? (cls == 6 ? Self.internationalPhone(t, at: i) : Self.nationalPhone(t, at: i)) {
                            i = add(.phone, r)!; continue
                        }
                    }
                default: break
                }
                i += 1
            }
        }
        return Self.resolve(found, text)
    }

    @inline(__always) static func joinSoon(_ t: PIIText, _ i: Int) -> Bool {
        for k in 2...6 { let b = t[i + k]; if b == 0x5F || b == 0x2D { return true }; if !isAlnum(b) { return false } }
        return false
    }

    public func scan(_ s: String) -> [PIISpan] {
        var c = s
        return c.withUTF8 { scan($0) }
    }

    /// Keep non-overlapping spans, higher priority first, then longer; fill in scalar offsets.
    static func resolve(_ spans: [PIISpan], _ text: UnsafeBufferPointer<UInt8>) -> [PIISpan] {
        if spans.isEmpty { return [] }
        var kept: [PIISpan] = []
        if spans.count == 1 { kept = spans } else {
            let order = spans.sorted {
                ($0.type.priority, $0.byteEnd - $0.byteStart, -$0.byteStart) > ($1.type.priority, $1.byteEnd - $1.byteStart, -$1.byteStart)
            }
            for s in order where !kept.contains(where: { $0.byteStart < s.byteEnd && s.byteStart < $0.byteEnd }) {
                kept.append(s)
            }
            kept.sort { $0.byteStart < $1.byteStart }
        }
        // Unicode scalar offsets: count bytes that are not UTF-8 continuation bytes.
        var scalars = 0, pos = 0
        for k in kept.indices {
            while pos < kept[k].byteStart { if text[pos] & 0xC0 != 0x80 { scalars += 1 }; pos += 1 }
            kept[k].start = scalars
            while pos < kept[k].byteEnd { if text[pos] & 0xC0 != 0x80 { scalars += 1 }; pos += 1 }
            kept[k].end = scalars
        }
        return kept
    }
}
