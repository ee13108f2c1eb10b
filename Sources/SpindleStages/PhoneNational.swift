// Phone numbers checked against the numbering plans (PhonePlans.swift): national format ("020 7946 0958",
// "(02) 9374 4000", "06-12345678", "090-1234-5678"), the "00" international prefix ("0049 30 1234567"),
// and "+CC" international format. A number is accepted without context when its shape is distinctive
// (trunk prefix and a usual national grouping, a parenthesised area code, or an international prefix with
// groups); otherwise only after a phone context word (PhoneContext.swift).

/// Digit groups as printed: digits, group lengths, the byte offset after each group and the separator
/// that follows it.
struct DigitGroups {
    var digits: [UInt8] = []
    var groups: [Int] = []
    var ends: [Int] = []
    var seps: [UInt8] = []
    var paren = false
    /// Digits written as "(0)" after the country code (international format only), not counted.
    var skippedTrunk = false

    func digitCount(_ k: Int) -> Int { groups[0..<k].reduce(0, +) }
}

extension PIIScanner {
    @inline(__always) static func isPhoneSep(_ b: UInt8) -> Bool { b == 0x20 || b == 0x2D || b == 0x2E || b == 0x2F }

    /// Groups of digits from `i` separated by single spaces, dashes, dots or slashes (dots only when every
    /// separator is a dot), at most 6 groups and `maxDigits` digits; a first group may be in parentheses.
    /// `intl` allows one "(0)" after the first group. Returns nil for a single group shorter than `minSingle`.
    static func digitGroups(_ t: PIIText, at i: Int, maxDigits: Int = 13, minSingle: Int = 7, intl: Bool = false) -> DigitGroups? {
        // Cheap rejection first: one short group that no separator continues (years, counts).
        var q = i + (t[i] == 0x28 ? 1 : 0)
        while isDigit(t[q]) && q - i < 20 { q += 1 }
        if t[i] != 0x28 && !(isPhoneSep(t[q]) && isDigit(t[q + 1])) && !(intl && t[q] == 0x28) && !(t[q] == 0x20 && t[q + 1] == 0x28) && q - i < minSingle { return nil }
        var g = DigitGroups()
        var j = i
        if t[j] == 0x28 {
            j += 1
            let s = j
            while isDigit(t[j]) && j - s < 6 { g.digits.append(t[j] - 0x30); j += 1 }
            guard j - s >= 2, t[j] == 0x29 else { return nil }
            g.paren = true
            g.groups.append(j - s); j += 1; g.ends.append(j)
            if t[j] == 0x20 || t[j] == 0x2D { g.seps.append(t[j]); j += 1 } else { g.seps.append(0x20) }
            guard isDigit(t[j]) else { return nil }
        }
        while g.groups.count < 6 {
            let s = j
            while isDigit(t[j]) && j - s <= maxDigits { g.digits.append(t[j] - 0x30); j += 1 }
            if g.digits.count > maxDigits {
                g.digits.removeLast(j - s)
                if g.groups.isEmpty { return nil }
                break
            }
            g.groups.append(j - s); g.ends.append(j)
            if intl && !g.skippedTrunk && g.groups.count == 1 {
                // "+49 (0)30 ..." or "+49(0)30".
                var k = j
                if t[k] == 0x20 { k += 1 }
                if t[k] == 0x28 && t[k + 1] == 0x30 && t[k + 2] == 0x29 {
                    k += 3
                    if t[k] == 0x20 { k += 1 }
                    guard isDigit(t[k]) else { return nil }
                    g.skippedTrunk = true; g.seps.append(0x20); j = k; continue
                }
            }
            let b = t[j]
            guard isPhoneSep(b), isDigit(t[j + 1]) else { g.seps.append(0); break }
            g.seps.append(b); j += 1
        }
        // Dots only as the one separator of 3 or more groups ("01.23.45.67.89"); "030.1234567" is a decimal.
        let used = g.seps.prefix(g.groups.count - 1)
        if used.contains(0x2E) && (used.contains(where: { $0 != 0x2E }) || g.groups.count < 3) { return nil }
        return g
    }

    /// Dates written with one separator ("05.12.2023", "2023-12-05", "12/05/23").
    static func looksLikeDate(_ g: DigitGroups, _ k: Int) -> Bool {
        guard k == 3, g.seps[0] == g.seps[1], g.seps[0] != 0x20 else { return false }
        let l = g.groups
        return (l[0] <= 2 && l[1] <= 2 && (l[2] == 2 || l[2] == 4)) || (l[0] == 4 && l[1] <= 2 && l[2] <= 2)
    }

    enum PhoneStrength: Int { case none = 0, needsContext, strong }

    /// How well the first `k` groups read as a national-format number of some plan.
    static func nationalStrength(_ g: DigitGroups, _ k: Int) -> PhoneStrength {
        let n = g.digitCount(k)
        guard n >= 7, n <= 13, !looksLikeDate(g, k) else { return .none }
        let d = g.digits[0..<n]
        let shape = Array(g.groups[0..<k])
        if d[0] == 0 && d[d.startIndex + 1] == 0 {
            // "00" international prefix: the calling code follows.
            guard let (plan, ccLen) = PhonePlans.byCallingCode(d.dropFirst(2)), plan.validNSN(d.dropFirst(2 + ccLen)) else { return .none }
            return k >= 2 ? .strong : .needsContext
        }
        var best = PhoneStrength.none
        for plan in PhonePlans.all {
            if let tr = plan.trunk, d.first == tr, plan.validNSN(d.dropFirst()) {
                if k >= 2 && (plan.groupings.contains(shape) || g.paren) { return .strong }
                best = .needsContext
            }
            if plan.validNSN(d) {
                // Without a trunk prefix (Italian fixed numbers keep their 0, which reads as one).
                let distinctive = (d.first == 0 && plan.trunk == nil) || g.paren
                if k >= 2 && distinctive && plan.groupings.contains(shape) { return .strong }
                best = .needsContext
            }
        }
        return best
    }

    /// A national-format (or "00"-prefixed) phone number at `i`: the longest group prefix that some plan
    /// accepts, if its shape is distinctive or a context word precedes it.
    static func nationalPhone(_ t: PIIText, at i: Int) -> Range<Int>? {
        // Digits right after "1234 " continue a longer number (a card or account split in groups).
        if t[i - 1] == 0x20 && isDigit(t[i - 2]) { return nil }
        guard let g = digitGroups(t, at: i) else { return nil }
        var context: Bool? = nil
        for k in stride(from: g.groups.count, through: 1, by: -1) {
            let end = g.ends[k - 1]
            if k == g.groups.count ? gluedAfter(t, end) : g.seps[k - 1] != 0x20 { continue }
            switch nationalStrength(g, k) {
            case .none: continue
            case .strong: if identifierContextBefore(t, i) { return nil }; return i..<end
            case .needsContext:
                if context == nil { context = phoneContextBefore(t, i) }
                if context! { return i..<end }
            }
        }
        return nil
    }

    /// "+CC ..." checked against the plan of its calling code; codes outside the table fall back to the
    /// E.164 shape (8-15 digits in groups).
    static func internationalPhone(_ t: PIIText, at i: Int) -> Range<Int>? {
        guard t[i] == 0x2B, isDigit(t[i + 1]), t[i + 1] != 0x30 else { return nil }
        guard let g = digitGroups(t, at: i + 1, maxDigits: 15, minSingle: 8, intl: true) else { return nil }
        if g.paren { return nil }
        for k in stride(from: g.groups.count, through: 1, by: -1) {
            let end = g.ends[k - 1]
            if k == g.groups.count ? gluedAfter(t, end) : g.seps[k - 1] != 0x20 { continue }
            let n = g.digitCount(k)
            let d = g.digits[0..<n]
            if let (plan, ccLen) = PhonePlans.byCallingCode(d) {
                var nsn = d.dropFirst(ccLen)
                if plan.trunk != nil && nsn.first == plan.trunk && !plan.validNSN(nsn) { nsn = nsn.dropFirst() }  // "+49 030 ..."
                if plan.validNSN(nsn) { return i..<end }
            } else if k == g.groups.count && n >= 8 && n <= 15 {
                return i..<end
            }
        }
        return nil
    }
}
