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

    /// Length of the separator at `q` before more digits: 1 for " ", "-", ".", "/"; 3 for " - " and " / "
    /// (German style, only after a trunk-prefixed area code: `zeroLed`); 0 for none.
    @inline(__always) static func sepLength(_ t: PIIText, _ q: Int, zeroLed: Bool) -> Int {
        if isPhoneSep(t[q]) && isDigit(t[q + 1]) { return 1 }
        if zeroLed && t[q] == 0x20 && (t[q + 1] == 0x2D || t[q + 1] == 0x2F) && t[q + 2] == 0x20 && isDigit(t[q + 3]) { return 3 }
        return 0
    }

    /// Groups of digits from `i` separated by single spaces, dashes, dots or slashes (dots only when every
    /// separator is a dot), at most 6 groups and `maxDigits` digits; a first group may be in parentheses.
    /// `intl` allows one "(0)" after the first group. Returns nil for a single group shorter than `minSingle`.
    static func digitGroups(_ t: PIIText, at i: Int, maxDigits: Int = 13, minSingle: Int = 7, intl: Bool = false) -> DigitGroups? {
        // Cheap rejection first, without allocating: fewer than 7 digits in the run (years, counts, "10 000").
        var q = i + (t[i] == 0x28 ? 1 : 0)
        while isDigit(t[q]) && q - i < 20 { q += 1 }
        let zeroLed = !intl && t[i] == 0x30
        if t[i] != 0x28 && sepLength(t, q, zeroLed: zeroLed) == 0 && !(intl && t[q] == 0x28) && !(t[q] == 0x20 && t[q + 1] == 0x28) && q - i < minSingle { return nil }
        if t[i] != 0x28 && !intl {
            var total = q - i, groups = 1
            while groups < 6 && total < 7, case let l = sepLength(t, q, zeroLed: zeroLed), l > 0 {
                q += l
                let s = q
                while isDigit(t[q]) && q - s < 20 { q += 1 }
                total += q - s; groups += 1
            }
            if total < 7 { return nil }
        }
        var g = DigitGroups()
        g.digits.reserveCapacity(maxDigits + 1); g.groups.reserveCapacity(7); g.ends.reserveCapacity(7); g.seps.reserveCapacity(7)
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
            if intl && g.groups.count == 1 {
                // "+49 (0)30 ..." or "+49(0)30" (a trunk prefix to skip), "+55 (11) 9..." (an area code).
                var k = j
                if t[k] == 0x20 { k += 1 }
                if t[k] == 0x28 && t[k + 1] == 0x30 && t[k + 2] == 0x29 {
                    k += 3
                    if t[k] == 0x20 { k += 1 }
                    guard isDigit(t[k]) else { return nil }
                    g.skippedTrunk = true; g.seps.append(0x20); j = k; continue
                }
                if t[k] == 0x28 && k > j && isDigit(t[k + 1]) {
                    var e = k + 1
                    while isDigit(t[e]) && e - k <= 4 { e += 1 }
                    guard t[e] == 0x29, e - k >= 2 else { break }
                    g.seps.append(0x20)
                    for q in (k + 1)..<e { g.digits.append(t[q] - 0x30) }
                    g.groups.append(e - k - 1); g.ends.append(e + 1)
                    j = e + 1
                    if t[j] == 0x20 || t[j] == 0x2D { g.seps.append(t[j]); j += 1 } else { g.seps.append(0x20) }
                    guard isDigit(t[j]) else { return nil }
                    continue
                }
            }
            let l = sepLength(t, j, zeroLed: zeroLed && g.groups.count == 1)
            guard l > 0 else { g.seps.append(0); break }
            g.seps.append(t[j + l / 2]); j += l
        }
        // One kind of separator (dots or not): cut at the first change ("01.23.45.67.89 1959").
        if let cut = g.seps.prefix(g.groups.count - 1).indices.first(where: { (g.seps[$0] == 0x2E) != (g.seps[0] == 0x2E) }) {
            g.digits.removeSubrange(g.digitCount(cut + 1)...)
            g.groups.removeSubrange((cut + 1)...); g.ends.removeSubrange((cut + 1)...); g.seps.removeSubrange((cut + 1)...)
        }
        // Dots only as the one separator of 3 or more groups ("01.23.45.67.89"); "030.1234567" is a decimal.
        let used = g.seps.prefix(g.groups.count - 1)
        if used.contains(0x2E) && (used.contains(where: { $0 != 0x2E }) || g.groups.count < 3) { return nil }
        // Dotted thousands ("63.892.470"): every group after the first has three digits.
        if used.contains(0x2E) && g.groups.dropFirst().allSatisfy({ $0 == 3 }) { return nil }
        return g
    }

    /// Dates written with one separator ("05.12.2023", "2023-12-05", "12/05/23", "2005 01 09 07"), or
    /// compact ("20231205").
    static func looksLikeDate(_ g: DigitGroups, _ k: Int) -> Bool {
        let l = g.groups
        func v(_ a: Int) -> Int { let s = g.digitCount(a); return g.digits[s..<(s + l[a])].reduce(0) { $0 * 10 + Int($1) } }
        if k == 1 && l[0] == 8 {
            let y = v(0) / 10000, m = v(0) / 100 % 100, d = v(0) % 100
            return (1900...2099).contains(y) && (1...12).contains(m) && (1...31).contains(d)
        }
        guard k >= 3, g.seps[0] == g.seps[1] else { return false }
        if g.seps[0] == 0x20 && l[0] != 4 && l[2] != 4 { return false }
        // Past three groups only a date with its year and then a time: "2005 01 09 07".
        if k > 3 && !((l[0] == 4 && l[1] == 2 && l[2] == 2) || (l[0] == 2 && l[1] == 2 && l[2] == 4)) { return false }
        if l[0] <= 2 && l[1] <= 2 && (l[2] == 2 || l[2] == 4) {  // day-month or month-day
            return (1...31).contains(v(0)) && (1...31).contains(v(1)) && (v(0) <= 12 || v(1) <= 12)
        }
        if l[0] == 4 && l[1] <= 2 && l[2] <= 2 { return (1...12).contains(v(1)) && (1...31).contains(v(2)) }
        return false
    }

    /// `strong`: accepted alone; `listed`: needs context, written in one of the plan's groupings;
    /// `needsContext`: needs context.
    enum PhoneStrength: Int, Comparable {
        case none = 0, needsContext, listed, strong
        static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    }

    /// How well the first `k` groups read as a national-format number of some plan.
    static func nationalStrength(_ g: DigitGroups, _ k: Int) -> PhoneStrength {
        let n = g.digitCount(k)
        guard n >= 7, n <= 17, !looksLikeDate(g, k) else { return .none }
        let d = g.digits[0..<n]
        let shape = Array(g.groups[0..<k])
        if d[0] == 0 && d[1] == 0 {
            // "00" international prefix: the calling code follows.
            guard let (plan, ccLen) = PhonePlans.byCallingCode(d.dropFirst(2)), plan.validNSN(d.dropFirst(2 + ccLen)) else { return .none }
            return k >= 2 ? .strong : .needsContext
        }
        guard n <= 13 else { return .none }
        var best = PhoneStrength.none
        for plan in PhonePlans.all {
            let listed = plan.groupings.contains(shape)
            if let tr = plan.trunk, d.first == tr, plan.validNSN(d.dropFirst()) {
                if k >= 2 && listed { return .strong }
                best = max(best, listed ? .listed : .needsContext)
            }
            if (plan.trunk == nil || plan.trunkOptional || g.paren) && plan.validNSN(d) {
                // Without a trunk prefix (Italian fixed numbers keep their 0, which reads as one).
                let distinctive = (d.first == 0 && plan.trunk == nil) || g.paren
                if k >= 2 && distinctive && listed { return .strong }
                best = max(best, listed ? .listed : .needsContext)
            }
        }
        return best
    }

    /// A national-format (or "00"-prefixed) phone number at `i`: the longest group prefix that some plan
    /// accepts, if its shape is distinctive or a context word precedes it.
    static func nationalPhone(_ t: PIIText, at i: Int) -> Range<Int>? {
        // Digits right after "1234 " continue a longer number (a card or account split in groups); a
        // currency before makes an amount.
        if t[i - 1] == 0x2B || (t[i - 1] == 0x20 && isDigit(t[i - 2])) { return nil }  // inside a "+" number that failed its plan
        if inURLPath(t, i) { return nil }
        guard let g = digitGroups(t, at: i, maxDigits: 17), !continuesGroupedIBAN(t, i), !currencyBefore(t, i) else { return nil }
        // The longest group prefix at each strength, strongest first; a last group of one digit is the
        // next number in the text ("... 4567 8901 2"), a "," and digits after make a decimal amount.
        var best: [PhoneStrength: Int] = [:]
        for k in stride(from: g.groups.count, through: 1, by: -1) {
            let end = g.ends[k - 1]
            if k == g.groups.count ? gluedAfter(t, end) : g.seps[k - 1] != 0x20 { continue }
            if k > 1 && g.groups[k - 1] < 2 { continue }
            if t[end] == 0x2C && isDigit(t[end + 1]) { continue }
            var s = nationalStrength(g, k)
            // Without a distinctive shape, the whole run must be the number, in one kind of separator.
            // (mixed only in a usual grouping: "11 98506-7103"); dots only in a distinctive shape.
            let seps = Set(g.seps.prefix(k - 1))
            if s < .strong && (k < g.groups.count || seps.contains(0x2E) || (s == .needsContext && seps.count > 1)) { s = .none }
            if s != .none && best[s] == nil { best[s] = end }
        }
        if let end = best[.strong] { return identifierContextBefore(t, i) ? nil : i..<end }
        guard let end = best[.listed] ?? best[.needsContext], phoneContextBefore(t, i), !ssnContextBefore(t, i) else { return nil }
        return i..<end
    }

    /// Digits glued to a URL's path, query or escape ("/access/22723287.html", "/journal/120083425/",
    /// "?id=0171234567", "%28117-134%29"): ids, never a phone number (found on real web text).
    static func inURLPath(_ t: PIIText, _ i: Int) -> Bool {
        switch t[i - 1] {
        case 0x2F, 0x25, 0x3D, 0x26, 0x3F, 0x23, 0x5F: return true   // / % = & ? # _
        default: return false
        }
    }

    /// A currency symbol or code right before: "$ 1 234", "R$ 63.892.470", "EUR 1 234 567".
    static func currencyBefore(_ t: PIIText, _ i: Int) -> Bool {
        var k = i - 1
        if t[k] == 0x20 { k -= 1 }
        let b = t[k]
        if b == 0x24 || (b >= 0x80 && (t.matches("€", at: k - 2) || t.matches("£", at: k - 1) || t.matches("¥", at: k - 1))) { return true }
        let w = t.previousWord(before: i).word
        return w.utf8.count == 3 && currencyCodes.contains(w)
    }

    static let currencyCodes: Set<String> = ["usd", "eur", "gbp", "chf", "jpy", "cny", "rmb", "inr", "aud", "cad", "nzd", "sek", "nok",
                                             "dkk", "pln", "brl", "mxn", "zar", "krw", "rub", "try", "huf", "czk"]

    /// "+CC ..." checked against the plan of its calling code; codes outside the table fall back to the
    /// E.164 shape (8-15 digits in groups).
    static func internationalPhone(_ t: PIIText, at i: Int) -> Range<Int>? {
        guard t[i] == 0x2B, isDigit(t[i + 1]), t[i + 1] != 0x30 else { return nil }
        guard let g = digitGroups(t, at: i + 1, maxDigits: 15, minSingle: 8, intl: true) else { return nil }
        if g.paren { return nil }
        for k in stride(from: g.groups.count, through: 1, by: -1) {
            let end = g.ends[k - 1]
            if k == g.groups.count ? gluedAfter(t, end) : g.seps[k - 1] != 0x20 { continue }
            if k > 1 && g.groups[k - 1] < 2 && k > 2 { continue }
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
