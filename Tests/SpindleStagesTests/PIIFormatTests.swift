import Testing
@testable import SpindleStages

/// The formats of issue 13: national and international phone numbers of the 24 plans, SSNs with and
/// without separators, and every look-alike class (versions, OIDs, sections, dates, coordinates, prices,
/// serial/order numbers, ISBNs, UUIDs, hashes, Luhn-invalid runs, ids in code) that must stay untouched.
@Suite struct PIIFormatTests: PIIProbe {
    let scanner = PIIScanner()

    /// Distinctive shapes: accepted with no context word (trunk prefix and usual grouping, parenthesised
    /// area code, "+CC", "00CC").
    @Test(arguments: [
        "020 7946 0958", "0161 496 0000", "07700 900123", "+44 20 7946 0958", "+44 (0)20 7946 0958", "0044 20 7946 0958",  // GB
        "01 234 5678", "087 123 4567", "+353 1 234 5678",  // IE
        "01 23 45 67 89", "06.12.34.56.78", "+33 6 12 34 56 78", "+33 (0)6 12 34 56 78", "0033 1 23 45 67 89",  // FR
        "030 12345678", "0171 1234567", "06221 123456", "+49 30 12345678", "+49 (0)89 1234567", "0049 30 12345678",  // DE
        "+34 612 345 678", "0034 912 345 678",  // ES
        "06 1234 5678", "011 123 4567", "+39 06 1234 5678", "+39 347 123 4567",  // IT
        "020 123 4567", "06-12345678", "+31 6 12345678",  // NL
        "02 123 45 67", "0470 12 34 56", "+32 470 12 34 56",  // BE
        "044 123 45 67", "079 123 45 67", "+41 44 123 45 67",  // CH
        "01 2345678", "0664 1234567", "+43 664 1234567",  // AT
        "08-123 456 78", "070-123 45 67", "+46 70 123 45 67",  // SE
        "+47 22 12 34 56", "+45 32 12 34 56", "+48 601 234 567",  // NO, DK, PL
        "(02) 9374 4000", "0412 345 678", "+61 4 1234 5678",  // AU
        "09 123 4567", "021 123 4567", "+64 21 123 4567",  // NZ
        "098765 43210", "011 2345 6789", "+91 98765 43210", "+91-98765-43210",  // IN
        "03-1234-5678", "090-1234-5678", "0120-123-456", "+81 90-1234-5678",  // JP
        "010-1234-5678", "02-123-4567", "+82 10-1234-5678",  // KR
        "010-12345678", "0755-12345678", "+86 138 0013 8000",  // CN
        "(11) 91234-5678", "(21) 3456-7890", "+55 11 91234-5678", "+55 (11) 91234-5678",  // BR
        "(55) 1234 5678", "+52 55 1234 5678", "+52 1 55 1234 5678",  // MX (the last: mobile with the pre-2019 "1")
        "030 - 1234567", "089 / 1234567", "(030) 1234567", "+1 (415) 555-0132", "+44.20.7946.0958", "+61 (0)2 9374 4000",  // other writings
        "011 123 4567", "082 123 4567", "+27 82 123 4567",  // ZA
    ])
    func phoneDistinctive(number: String) {
        expectOne("Bitte \(number) anrufen, oder schreiben.", .phone, number)
        expectOne("the office, \(number).", .phone, number)
    }

    /// Ambiguous shapes: a phone only after a context word in the plan's language.
    @Test(arguments: [
        ("Tel.: ", "612 34 56 78"), ("Teléfono: ", "91 234 56 78"), ("Tlf: ", "22 12 34 56"), ("Mobil: ", "412 34 567"),
        ("Tlf. ", "32 12 34 56"), ("tel. ", "601 234 567"), ("Kom.: ", "512 345 678"), ("Cellulare: ", "347 123 4567"),
        ("mob. ", "98765 43210"), ("手机: ", "138 0013 8000"), ("电话 ", "13800138000"), ("Celular: ", "11 91234-5678"),
        ("Cel. ", "55 1234 5678"), ("phone: ", "4155550132"), ("Handy: ", "01711234567"), ("WhatsApp ", "07912345678"),
        ("전화: ", "01012345678"), ("携帯: ", "09012345678"), ("Tél : ", "0612345678"), ("GSM: ", "0470123456"),
    ])
    func phoneWithContext(context: String, number: String) {
        expectOne("Schreiben Sie uns. \(context)\(number) bis 18 Uhr", .phone, number)
        expectNone("It measured \(number) in total.")
    }

    @Test(arguments: [
        "+44 20 123", "+49 30 12", "+33 1 23", "+1 23 45", "+86 12 3456 7890 1234", "+44 (0)20 12",  // too short or too long for the plan
        "+61 5 1234 5678", "+39 1 2345 6789",  // ranges the plans do not have
    ])
    func internationalOutsidePlan(number: String) { expectNone("see \(number) here") }

    @Test(arguments: [
        ("SSN 123-45-6789", "123-45-6789"), ("SSN: 123 45 6789", "123 45 6789"), ("SS# 078051120", "078051120"),
        ("social security no. 219-09-9999", "219-09-9999"), ("Social Security Number 219 09 9999", "219 09 9999"),
        ("her SSN is 899-99-9999", "899-99-9999"),
    ])
    func ssnForms(text: String, match: String) { expectOne(text, .ssn, match) }

    @Test(arguments: [
        "SSN 000-12-3456", "SSN 666-12-3456", "SSN 900-12-3456", "SSN 999 12 3456", "SSN 123-00-4567", "SSN 123-45-0000",
        "SSN 123000000", "123 45 6789 without context", "123456789 without context", "order #123-45-6789",
    ])
    func ssnRejected(text: String) { expectNone(text) }

    /// Look-alikes of addresses, phones, cards and keys, by class: none may be redacted.
    @Test(arguments: [
        // versions and dependencies
        "version 10.2.30.4", "v10.20.30.40", "numpy 1.21.10.1", "requests>=2.28.100.1", "pkg==10.2.3.40", "Depends: libc6 (>= 2.31.10.1)",
        "python-dateutil 2.8.20.1", "urllib3 1.26.12.10", "Chrome/114.0.200.199", "10.2.3.40 or later is required", "the 10.20.30.4 release",
        "upgrade numpy to 12.1.100.2", "dependencies: foo 10.2.3.4, bar 20.3.4.5", "OpenSSL 1.10.20.30", "Firmware 3.10.20.4",
        // OIDs, sections
        "OID 1.3.6.1.4.1.311", "2.5.4.10", "1.2.840.113549.1.1.11", "oid: 2.16.840.1.101.3.4.2.1", "Section 12.3.4.10", "§ 12.4.10.2",
        "clause 14.10.2.3", "Abschnitt 10.2.13.4",
        // dates, times, coordinates, prices
        "2023-12-05", "05.12.2023", "12/05/2023", "08/27/2026", "2023-12-05T10:30:45Z", "2023-12-05 10:30:45.123", "05 12 2023", "2005 01 09 07:27",
        "20231205", "at 10:30:45", "51.5074, -0.1278", "48.8566° N, 2.3522° E", "€ 1.234.567,89", "1 234 567,89 €", "R$ 63.892.470,24", "$1,234.56",
        "USD 12 345 678", "EUR 1.234.567", "1990 - 2000", "from 1990 / 2001 to 2005",
        // serial and order numbers, ISBNs
        "order #123-456-7890", "Order No. 0171 2345678", "serial 0123 4567 89", "ref. 030 1234567", "tracking 1Z999AA10123456784",
        "ISBN 978-3-16-148410-0", "ISBN 0-306-40615-2", "978-0-306-40615-7", "ISBN-13: 9780306406157", "ISBN 0306406152",
        // UUIDs, hashes, Luhn-invalid runs, grouped IBAN continuations
        "550e8400-e29b-41d4-a716-446655440000", "12345678-1234-4123-8123-123456789012", "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "commit 3f786850e387550fdab836ed7e6dc881de23001b", "4111 1111 1111 1112", "6011 1615 5164 1641", "3767 080136 10128",
        "DE00 0173 7232 9524 2735 71", "GB00WEST71355125955338",
        // ids and hashes in code
        "checksum = \"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"", "cache_key = \"3f786850e387550fdab836ed7e6dc881de23001b\"",
        "token_id = \"550e8400-e29b-41d4-a716-446655440000\"", "\"key_id\": \"AbCdEf0123456789XyZq\"", "clientId: \"Q2xpZW50SWQxMjM0NTY3OA\"",
        "public_key: \"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMq\"", "password_hash = \"$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW\"",
        "next_page_token = \"Cg0xNjg5NzY1NDMyMTA5EgJ4eQ\"", "api_key = os.environ[\"API_KEY\"]", "token = get_token(user)",
        "password = self.password_field", "tokenizer_hash = \"a94a8fe5ccb19ba61c4c0873d391e987982fbbd3\"", "api_key=YOUR_API_KEY: High-quality food",
        "secret_name: my-app-credentials",
        // digits in URL paths and escapes (seen on real web text)
        "http://pqasb.pqarchiver.com/latimes/access/22723287.html?dids=22723287:22723287",
        "http://www3.interscience.wiley.com/journal/120083425/abstract", "http://www.jolr.ru/files/jlr2010-4%28117-134%29.pdf",
        "https://example.org/item?id=01712345678",
    ])
    func lookAlikeUntouched(text: String) {
        expectNone("In the text, \(text) appears.")
        expectNone("Mobile phones list \(text); see above.")
    }

    @Test(arguments: [
        "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q", "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "sk-proj-T3BlbkFJ4x9Qz8Rw2Lm5Np7Vb1Cd3Ef6Gh9Jk0Mn2Pq",
        "hf_AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh", "npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
        "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",
    ])
    func tokenShapes(token: String) { expectOne("export KEY \(token) now", .secret, token) }

    @Test(arguments: [
        ("const stripeKey = 'dYZlsDWfhZRBlT4oQR80pswI5NOi';", "dYZlsDWfhZRBlT4oQR80pswI5NOi"),
        ("\"api_key\": \"iLhbPHpADREOtqEFtQnVXnekyvPwGMIDihSelogd\"", "iLhbPHpADREOtqEFtQnVXnekyvPwGMIDihSelogd"),
        ("REFRESH_TOKEN=nkq2CVcdenVxO11JWdHoXYGu1Y4Z", "nkq2CVcdenVxO11JWdHoXYGu1Y4Z"),
    ])
    func assignments(text: String, match: String) { expectOne(text, .secret, match) }

    @Test(arguments: [
        ("server at 192.168.10.25 responded", "192.168.10.25"), ("ip=203.0.113.7,", "203.0.113.7"),
        ("Adresse 64.241.193.226 erreicht", "64.241.193.226"), ("http://138.211.250.181/admin", "138.211.250.181"),
        ("nur bei vor, 192.168.226.228 zudem", "192.168.226.228"), ("ssh root@10.20.30.40 now", "10.20.30.40"),
        ("host 2001:db8::8a2e:370:7334: down", "2001:db8::8a2e:370:7334"),
        ("Requests to 203.0.113.5:8080 are forwarded", "203.0.113.5"),
    ])
    func addresses(text: String, match: String) { expectOne(text, text.contains("::") ? .ipv6 : .ipv4, match) }

    /// The tables: every plan's lengths are sane, groupings add up to a valid national length and calling
    /// codes are prefix-free (so the lookup by leading digits is unambiguous).
    @Test func plansAreConsistent() {
        #expect(PhonePlans.all.count == 24)
        for p in PhonePlans.all {
            #expect(p.lengths.lowerBound >= 5 && p.lengths.upperBound <= 13, "\(p.iso)")
            #expect(!p.fixed.isEmpty && !p.groupings.isEmpty, "\(p.iso)")
            for q in PhonePlans.all where q.iso != p.iso {
                #expect(!(q.cc.count <= p.cc.count && Array(p.cc.prefix(q.cc.count)) == q.cc), "\(q.iso) prefixes \(p.iso)")
            }
        }
        #expect(PhonePlans.byCallingCode([4, 4, 2, 0])?.0.iso == "GB")
        #expect(PhonePlans.byCallingCode([3, 5, 3, 1])?.0.iso == "IE")
        #expect(PhonePlans.byCallingCode([3, 5, 1, 2]) == nil)  // Portugal: not in the table
    }
}
