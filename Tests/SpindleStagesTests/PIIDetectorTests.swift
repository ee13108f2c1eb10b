import Testing
@testable import SpindleStages

/// Each type: sentences with exactly one positive (the expected span text), and look-alikes with none.
@Suite struct PIIDetectorTests: PIIProbe {
    let scanner = PIIScanner()

    @Test(arguments: [
        ("Write to jane.doe+news@example.co.uk today.", "jane.doe+news@example.co.uk"),
        ("Contact: <bob_smith@mail.example.org>", "bob_smith@mail.example.org"),
        ("email me at A.B@Sub-Domain.Example.com.", "A.B@Sub-Domain.Example.com"),
        ("x@y.io", "x@y.io"),
    ])
    func emailPositive(text: String, match: String) { expectOne(text, .email, match) }

    @Test(arguments: ["follow @handle on social", "user@localhost is local", "icon@2x.png and logo@3x.jpg",
                      "a @ b . com", "email@", "@example.com", "foo@bar", "price: 3@4.50 each"])
    func emailNegative(text: String) { expectNone(text) }

    @Test(arguments: [
        ("Call (415) 555-0132 now", "(415) 555-0132"),
        ("reach me on (555) 010-5518 today", "(555) 010-5518"),
        ("Call 415-555-0132.", "415-555-0132"),
        ("phone 415.555.0132", "415.555.0132"),
        ("tel: +1 415 555 0132", "+1 415 555 0132"),
        ("ring 1-800-555-0199 free", "1-800-555-0199"),
        ("E.164 form +14155550132 works", "+14155550132"),
        ("UK office +44 20 7946 0958", "+44 20 7946 0958"),
        ("Paris: +33 1 23 45 67 89.", "+33 1 23 45 67 89"),
        ("Berlin +49 (0)30 1234567", "+49 (0)30 1234567"),
    ])
    func phonePositive(text: String, match: String) { expectOne(text, .phone, match) }

    @Test(arguments: ["Order 4155550132 shipped", "order #415-555-0132", "Invoice no. 415-555-0132",
                      "ISBN 978-3-16-148410-0", "ISBN 0-306-40615-2", "on 2023-12-05 at 10:30",
                      "the years 1990-2020", "area code 01-555-01 is invalid", "code 415-012-3456 bad exchange", "call +0 123",
                      "population 7,900,000,000", "+12 3", "pi is 3.14159265358979"])
    func phoneNegative(text: String) { expectNone(text) }

    @Test(arguments: [
        ("server at 192.168.10.25 responded", "192.168.10.25"),
        ("from 8.8.8.8 port 53", "8.8.8.8"),
        ("ip=203.0.113.7,", "203.0.113.7"),
    ])
    func ipv4Positive(text: String, match: String) { expectOne(text, .ipv4, match) }

    @Test(arguments: ["version 1.2.3.4 released", "v10.20.30.40", "upgrade to 2.10.11.12 now", "1.2.3.4.5 chain",
                      "netmask 255.255.255.0", "256.1.1.1 is out of range", "3.14.15.92 build", "dates 12.05.2023",
                      "Python 3.11.4.1", "the 1.2.3.4 release", "0.0.0.0 bind", "01.02.03.04"])
    func ipv4Negative(text: String) { expectNone(text) }

    @Test(arguments: [
        ("host 2001:db8:85a3::8a2e:370:7334 up", "2001:db8:85a3::8a2e:370:7334"),
        ("full 2001:0db8:0000:0000:0000:ff00:0042:8329.", "2001:0db8:0000:0000:0000:ff00:0042:8329"),
        ("link fe80::1ff:fe23:4567:890a%eth0", "fe80::1ff:fe23:4567:890a"),
        ("mapped ::ffff:192.0.2.128 here", "::ffff:192.0.2.128"),
    ])
    func ipv6Positive(text: String, match: String) { expectOne(text, .ipv6, match) }

    @Test(arguments: ["at 12:30:45 today", "MAC 00:1A:2B:3C:4D:5E", "std::vector<int>", "a::b", "::1 loopback",
                      "ratio 3:2", "cafe:babe", "Dead:Beef:Cafe"])
    func ipv6Negative(text: String) { expectNone(text) }

    @Test(arguments: [
        ("card 4111 1111 1111 1111 exp", "4111 1111 1111 1111"),
        ("card 4111-1111-1111-1111.", "4111-1111-1111-1111"),
        ("pay with 5555555555554444", "5555555555554444"),
        ("amex 3782 822463 10005 ok", "3782 822463 10005"),
        ("visa 4012888888881881 12/25", "4012888888881881"),
        ("mc 2223 0031 2200 3222", "2223 0031 2200 3222"),
    ])
    func cardPositive(text: String, match: String) { expectOne(text, .creditCard, match) }

    @Test(arguments: ["card 4111 1111 1111 1112 fails Luhn", "9111111111111111 bad issuer",
                      "order #4111111111111111", "ISBN 9780306406157", "tracking 1Z999AA10123456784",
                      "4111 1111 1111 1111 1111 too long", "id 1234567812345670", "41111 1111 1111 111"])
    func cardNegative(text: String) { expectNone(text) }

    @Test(arguments: [
        ("SSN 123-45-6789 on file", "123-45-6789"),
        ("ssn: 078051120", "078051120"),
        ("social security number 219 09 9999", "219 09 9999" as String?),
        ("no context 219 09 9999", nil),
    ])
    func ssnPositive(text: String, match: String?) {
        if let m = match { expectOne(text, .ssn, m) } else { expectNone(text) }
    }

    @Test(arguments: ["000-12-3456", "666-12-3456", "900-12-3456", "123-00-4567", "123-45-0000",
                      "number 123456789", "2023-12-05", "12-345-6789", "order #123-45-6789"])
    func ssnNegative(text: String) { expectNone(text) }

    @Test(arguments: [
        ("IBAN DE89 3704 0044 0532 0130 00 please", "DE89 3704 0044 0532 0130 00"),
        ("to GB82WEST12345698765432.", "GB82WEST12345698765432"),
        ("FR14 2004 1010 0505 0001 3M02 606", "FR14 2004 1010 0505 0001 3M02 606"),
        ("NL91ABNA0417164300", "NL91ABNA0417164300"),
    ])
    func ibanPositive(text: String, match: String) { expectOne(text, .iban, match) }

    @Test(arguments: ["DE89 3704 0044 0532 0130 01 bad check", "GB82WEST12345698765433", "XX12 3456 7890",
                      "DE89 3704", "US12345678901234567890", "GB82 WEST 1234"])
    func ibanNegative(text: String) { expectNone(text) }

    @Test(arguments: [
        ("aws AKIAIOSFODNN7EXAMPLE key", "AKIAIOSFODNN7EXAMPLE"),
        ("token ghp_16C7e42F292c6912E7710c838347Ae178B4a ok", "ghp_16C7e42F292c6912E7710c838347Ae178B4a"),
        ("gl glpat-xYz12AbCdEfGhIjKlMnO9 end", "glpat-xYz12AbCdEfGhIjKlMnO9"),
        ("slack xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"),
        ("api_key = \"9f8e7d6c5b4aQ1w2E3r4\"", "9f8e7d6c5b4aQ1w2E3r4"),
        ("DB_PASSWORD=Tr0ub4dor&3xK", "Tr0ub4dor&3xK"),
        ("\"client_secret\": \"a8Kz02LmQp93XcVb\"", "a8Kz02LmQp93XcVb"),
    ])
    func secretPositive(text: String, match: String) { expectOne(text, .secret, match) }

    @Test func privateKeyBlock() {
        let key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1c7Xq\nabc123==\n-----END RSA PRIVATE KEY-----"
        expectOne("key:\n" + key + "\nafter", .secret, key)
        expectNone("-----BEGIN PUBLIC KEY-----\nMIIBIjAN\n-----END PUBLIC KEY-----")
    }

    @Test(arguments: ["password: hunter", "api_key = YOUR_API_KEY_HERE", "password=${DB_PASSWORD}",
                      "secret: <your-secret>", "token = xxxxxxxxxxxxxxxx", "The password is long and secret.",
                      "password=aaaaaaaaaaaa", "AKIA is a prefix", "ghp_short", "monkey=9f8e7d6c5b4aQ1w2E3r4",
                      "api_key: ********"])
    func secretNegative(text: String) { expectNone(text) }

    @Test(arguments: [
        ("clone https://alice:s3cr3t@git.example.com/repo.git", "alice:s3cr3t"),
        ("db postgres://app:pa55w0rd@db.internal:5432/db", "app:pa55w0rd"),
    ])
    func urlCredentialsPositive(text: String, match: String) { expectOne(text, .urlCredentials, match) }

    @Test(arguments: ["see https://example.com:8080/path", "http://host/a:b@c", "ftp://ftp.example.org/pub"])
    func urlCredentialsNegative(text: String) { expectNone(text) }

    @Test func spansUseScalarOffsets() {
        let text = "Ünïcødé → mail ü@exämple.com? no: bob@example.com"
        let s = scanner.scan(text)
        #expect(s.count == 1)
        let scalars = Array(text.unicodeScalars)
        let sub = String(String.UnicodeScalarView(scalars[s[0].start..<s[0].end]))
        #expect(sub == "bob@example.com")
    }

    @Test func redactionKeepsSurroundingText() {
        let out = PIIRedactor.redact("Mail jane@example.com or call (415) 555-0132, card 4111 1111 1111 1111.")
        #expect(out == "Mail <EMAIL> or call <PHONE>, card <CREDIT_CARD>.")
        let custom = PIIPlaceholders(format: "[{TYPE}]", overrides: [.phone: "[TEL]"])
        #expect(PIIRedactor.redact("jane@example.com (415) 555-0132", placeholders: custom) == "[EMAIL] [TEL]")
    }

    @Test func typeSelection() {
        let only = PIIScanner(types: [.email])
        #expect(only.scan("jane@example.com 415-555-0132").map(\.type) == [.email])
    }

    @Test func checksums() {
        #expect(PIIScanner.luhnValid([4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]))
        #expect(!PIIScanner.luhnValid([4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]))
        #expect(PIIScanner.ibanChecksumValid(Array("GB82WEST12345698765432".utf8)))
        #expect(!PIIScanner.ibanChecksumValid(Array("GB82WEST12345698765431".utf8)))
    }
}
