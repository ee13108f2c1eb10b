// Words that announce a phone number, in the languages of the numbering plans (PhonePlans.swift).
// A number that is valid in some plan but ambiguous in shape (no trunk prefix, no grouping, a grouping
// that is not usual in national format) is a phone only when one of these precedes it on the same line.

extension PIIScanner {
    /// Lower-case UTF-8 context words. Words of up to 4 bytes must end at a word boundary ("tel" not "tell").
    static let phoneContextWords: [[UInt8]] = [
        // English (US, CA, UK, IE, AU, NZ, IN, ZA)
        "tel", "tel.", "phone", "telephone", "ph", "mobile", "mob", "cell", "cellphone", "call", "fax", "ring",
        "contact", "whatsapp", "hotline", "sms", "dial", "landline", "helpline", "reach me", "t:", "m:", "p:", "f:",
        // German (DE, AT, CH)
        "telefon", "handy", "mobil", "rufnummer", "anrufen", "festnetz", "natel", "erreichbar", "tel.-nr",
        // French (FR, BE, CH)
        "tél", "téléphone", "portable", "appelez", "appeler", "joindre", "fixe",
        // Spanish (ES, MX), Italian, Portuguese (BR)
        "teléfono", "telefono", "móvil", "movil", "llame", "llamar", "celular", "cel", "cellulare", "chiamare",
        "chiama", "telefone", "fone", "ligue", "ligar", "contato", "whats", "llámanos", "contacto",
        // Dutch (NL, BE), Scandinavian (SE, NO, DK), Polish
        "telefoon", "mobiel", "bellen", "bel", "gsm", "tfn", "tlf", "mobilnr", "komórka", "kom.", "zadzwoń",
        "numer tel", "telefonu",
        // Japanese, Korean, Chinese
        "電話", "携帯", "ｔｅｌ", "전화", "휴대폰", "핸드폰", "연락처", "电话", "手机", "联系", "致电", "热线", "☎", "📞",
    ].map { Array($0.utf8) }

    /// True when a phone context word occurs in the 40 bytes before `i` on the same line, and no
    /// identifier word ("order", "invoice", "#") sits right before the number.
    static func phoneContextBefore(_ t: PIIText, _ i: Int) -> Bool {
        if identifierContextBefore(t, i) { return false }
        // The window: at most three words back, ending at the start of the line or of the clause
        // (",", ";", "!", "?").
        var s = i, words = 0, third = 0
        while s > 0 && i - s < 40 && t[s - 1] != 0x0A && t[s - 1] != 0x2C && t[s - 1] != 0x3B && t[s - 1] != 0x21 && t[s - 1] != 0x3F {
            if t[s - 1] == 0x20 && s < i && t[s] != 0x20 {
                words += 1
                if words == 3 { third = s }
                if words > 3 { s = third; break }
            }
            s -= 1
        }
        if s == i { return false }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: i - s) { w in
            for k in 0..<w.count { let b = t[s + k]; w[k] = isUpper(b) ? b | 0x20 : b }
            return containsContextWord(UnsafeBufferPointer(w))
        }
    }

    static func containsContextWord(_ w: UnsafeBufferPointer<UInt8>) -> Bool {
        for word in phoneContextWords where word.count <= w.count {
            var p = 0
            while p + word.count <= w.count {
                if w[p] == word[0] && (p > 0 ? !isAlpha(w[p - 1]) : true) {
                    var k = 1
                    while k < word.count && w[p + k] == word[k] { k += 1 }
                    if k == word.count {
                        let e = p + k
                        if word.count > 4 || word.last! >= 0x80 || !isAlpha(word.last!) || e >= w.count || !isAlpha(w[e]) { return true }
                    }
                }
                p += 1
            }
        }
        return false
    }
}
