// Payment cards (Luhn), US social security numbers (valid ranges) and IBANs (ISO 13616 mod-97).

extension PIIScanner {
    /// Luhn checksum over ASCII digits.
    public static func luhnValid(_ digits: [UInt8]) -> Bool {
        var sum = 0
        for (k, d) in digits.reversed().enumerated() {
            var v = Int(d)
            if k % 2 == 1 { v *= 2; if v > 9 { v -= 9 } }
            sum += v
        }
        return sum % 10 == 0
    }

    /// Issuer prefix and length plausibility (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro).
    static func issuerPlausible(_ d: [UInt8]) -> Bool {
        let n = d.count
        func prefix(_ k: Int) -> Int { d[0..<k].reduce(0) { $0 * 10 + Int($1) } }
        switch d[0] {
        case 4: return n == 13 || n == 16 || n == 19
        case 5:
            let p2 = prefix(2)
            if p2 >= 51 && p2 <= 55 { return n == 16 }
            return (p2 == 50 || p2 >= 56) && n >= 13 && n <= 19  // Maestro
        case 2:
            let p4 = prefix(4)
            return p4 >= 2221 && p4 <= 2720 && n == 16
        case 3:
            let p2 = prefix(2), p3 = prefix(3), p4 = prefix(4)
            if p2 == 34 || p2 == 37 { return n == 15 }
            if p4 >= 3528 && p4 <= 3589 { return n >= 16 && n <= 19 }
            if (p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38 || p2 == 39 { return n >= 14 && n <= 19 }
            return false
        case 6:
            let p2 = prefix(2), p3 = prefix(3), p4 = prefix(4)
            if p4 == 6011 || p2 == 65 || (p3 >= 644 && p3 <= 649) { return n >= 16 && n <= 19 }
            if p2 == 62 { return n >= 16 && n <= 19 }
            return n >= 13 && n <= 19  // Maestro 6x
        default: return false
        }
    }

    /// Digits that continue a grouped IBAN ("DE00 6011 7273 ...": walking back over 4-character groups
    /// reaches a country code and check digits) are not a card or a phone.
    static func continuesGroupedIBAN(_ t: PIIText, _ i: Int) -> Bool {
        var k = i - 1
        for _ in 0..<8 {
            guard t[k] == 0x20, (1...4).allSatisfy({ isUpper(t[k - $0]) || isDigit(t[k - $0]) }), !isAlnum(t[k - 5]) else { break }
            if isUpper(t[k - 4]) && isUpper(t[k - 3]) && isDigit(t[k - 2]) && isDigit(t[k - 1]) { return true }
            k -= 5
        }
        return false
    }

    /// A payment card number: 13-19 digits, contiguous or in groups split by one kind of separator
    /// (space or dash; groups of four, or Amex 4-6-5 / Diners 4-6-4), issuer-plausible and Luhn-valid.
    static func creditCard(_ t: PIIText, at i: Int) -> Range<Int>? {
        if gluedBefore(t, i) || continuesGroupedIBAN(t, i) { return nil }
        var groups: [Int] = []   // group lengths
        var ends: [Int] = []     // end offsets of each group
        var digits: [UInt8] = []
        var j = i
        var sep: UInt8 = 0
        while true {
            let s = j
            while isDigit(t[j]) && j - s < 20 { digits.append(t[j] - 0x30); j += 1 }
            groups.append(j - s); ends.append(j)
            if digits.count > 19 {
                // Too long with this group: it is the next number in the text, not part of the card.
                // A fifth group of four is one long grouped number (an account, not a card).
                if groups.count == 1 || (j - s == 4 && groups.dropLast().allSatisfy { $0 == 4 }) { return nil }
                digits.removeLast(j - s); groups.removeLast(); ends.removeLast()
                break
            }
            let b = t[j]
            if (b == 0x20 || b == 0x2D) && isDigit(t[j + 1]) && (sep == 0 || sep == b) && groups.count < 6 {
                sep = b; j += 1; continue
            }
            break
        }
        // Try the whole run, then without its last group (a trailing "12/25" or similar).
        for drop in 0..<min(2, groups.count) {
            let g = Array(groups.dropLast(drop))
            let n = g.reduce(0, +)
            let end = ends[g.count - 1]
            guard n >= 13 && n <= 19 else { continue }
            if drop == 0 && gluedAfter(t, end) { continue }
            if drop == 1 && t[end] != sep { continue }
            let okGrouping: Bool
            if g.count == 1 { okGrouping = true }
            else if g == [4, 6, 5] || g == [4, 6, 4] { okGrouping = true }
            else { okGrouping = g.dropLast().allSatisfy { $0 == 4 } && g.last! >= 1 && g.last! <= 4 }
            guard okGrouping else { continue }
            let d = Array(digits[0..<n])
            guard issuerPlausible(d), luhnValid(d) else { continue }
            if identifierContextBefore(t, i) { return nil }
            return i..<end
        }
        return nil
    }

    /// Words that announce a US social security number (lower case).
    static let ssnContextWords: [StaticString] = ["ssn", "social security", "ss#", "ss #", "ss no", "ss-nr", "soc. sec", "soc sec", "socsec"]

    static func ssnContextBefore(_ t: PIIText, _ i: Int) -> Bool {
        var s = i
        while s > 0 && i - s < 48 && t[s - 1] != 0x0A { s -= 1 }
        for w in ssnContextWords where t.containsFolded(s..<i, w) { return true }
        return false
    }

    /// A US SSN "AAA-GG-SSSS", "AAA GG SSSS" or "AAAGGSSSS" (area 001-899 except 666, group 01-99, serial
    /// 0001-9999). The dashed form stands alone; the spaced and bare forms need "SSN", "social security"
    /// or "SS#" in the 48 bytes before them.
    static func ssn(_ t: PIIText, at i: Int) -> Range<Int>? {
        if gluedBefore(t, i) { return nil }
        var j = i
        func num(_ n: Int) -> Int? {
            var v = 0
            for _ in 0..<n { guard isDigit(t[j]) else { return nil }; v = v * 10 + Int(t[j] - 0x30); j += 1 }
            return v
        }
        guard let area = num(3) else { return nil }
        let sep: UInt8 = (t[j] == 0x2D || t[j] == 0x20) ? t[j] : 0
        if sep != 0 { j += 1 }
        guard let group = num(2) else { return nil }
        if sep != 0 { guard t[j] == sep else { return nil }; j += 1 }
        guard let serial = num(4) else { return nil }
        if gluedAfter(t, j) { return nil }
        guard area >= 1 && area <= 899 && area != 666 && group >= 1 && serial >= 1 else { return nil }
        if ssnContextBefore(t, i) { return i..<j }
        if sep != 0x2D || identifierContextBefore(t, i) { return nil }
        return i..<j
    }

    /// IBAN lengths per ISO country code (SWIFT IBAN registry).
    static let ibanLengths: [String: Int] = [
        "AL": 28, "AD": 24, "AT": 20, "AZ": 28, "BH": 22, "BE": 16, "BA": 20, "BR": 29, "BG": 22, "CR": 22,
        "HR": 21, "CY": 28, "CZ": 24, "DK": 18, "DO": 28, "EE": 20, "FO": 18, "FI": 18, "FR": 27, "GE": 22,
        "DE": 22, "GI": 23, "GR": 27, "GL": 18, "GT": 28, "HU": 28, "IS": 26, "IE": 22, "IL": 23, "IT": 27,
        "JO": 30, "KZ": 20, "XK": 20, "KW": 30, "LV": 21, "LB": 28, "LI": 21, "LT": 20, "LU": 20, "MK": 19,
        "MT": 31, "MR": 27, "MU": 30, "MD": 24, "MC": 27, "ME": 22, "NL": 18, "NO": 15, "PK": 24, "PS": 29,
        "PL": 28, "PT": 25, "QA": 29, "RO": 24, "SM": 27, "SA": 24, "RS": 22, "SK": 24, "SI": 19, "ES": 24,
        "SE": 24, "CH": 21, "TN": 24, "TR": 26, "AE": 23, "GB": 22, "VG": 24, "UA": 29, "LC": 32, "SC": 31,
        "ST": 25, "SV": 28, "TL": 23, "EG": 29, "BY": 28, "IQ": 23, "LY": 25, "SD": 18, "BI": 27, "DJ": 27,
        "RU": 33, "SO": 23, "NI": 28, "MN": 20, "FK": 18, "OM": 23, "YE": 30, "HN": 28,
    ]

    /// ISO 7064 mod 97-10 over the rearranged IBAN (country+check moved to the end, letters as 10..35).
    public static func ibanChecksumValid(_ chars: [UInt8]) -> Bool {
        guard chars.count >= 5 else { return false }
        let r = Array(chars[4...] + chars[0..<4])
        var m = 0
        for c in r {
            if isDigit(c) { m = (m * 10 + Int(c - 0x30)) % 97 }
            else if isUpper(c) { m = (m * 100 + Int(c - 0x41 + 10)) % 97 }
            else { return false }
        }
        return m == 1
    }

    /// An IBAN: country code, two check digits and the BBAN, compact or in groups of four separated by
    /// single spaces; length per country and mod-97 checked.
    static func iban(_ t: PIIText, at i: Int) -> Range<Int>? {
        guard isUpper(t[i]), isUpper(t[i + 1]), isDigit(t[i + 2]), isDigit(t[i + 3]) else { return nil }
        let cc = String(decoding: [t[i], t[i + 1]], as: UTF8.self)
        guard let len = ibanLengths[cc] else { return nil }
        var chars: [UInt8] = []
        var j = i
        var groupLen = 0
        while chars.count < len {
            let b = t[j]
            if isDigit(b) || isUpper(b) {
                chars.append(b); groupLen += 1; j += 1
            } else if b == 0x20 && groupLen == 4 && (isDigit(t[j + 1]) || isUpper(t[j + 1])) {
                groupLen = 0; j += 1
            } else {
                return nil
            }
        }
        if isAlnum(t[j]) || isWordByte(t[j]) { return nil }
        // Check digits run 02-98 (ISO 13616); "00", "01" and "99" pass mod-97 only by chance.
        let check = Int(chars[2] - 0x30) * 10 + Int(chars[3] - 0x30)
        guard check >= 2 && check <= 98, ibanChecksumValid(chars) else { return nil }
        return i..<j
    }
}
