import Testing
@testable import SpindleIO

@Suite struct JSONLineTests {
    @Test func readsFieldsAndKeepsUnknownOnesRaw() throws {
        let line = try JSONLine(#"{"id":"a1","text":"Hello\n\"world\" \u00e9\ud83d\ude00","source":"web","meta":{"x":[1,2.50,true,null]}}"#)
        #expect(try line.string("id") == "a1")
        #expect(try line.string("text") == "Hello\n\"world\" é😀")
        #expect(line.raw("meta").map { String(decoding: $0, as: UTF8.self) } == #"{"x":[1,2.50,true,null]}"#)
        #expect(line.keys == ["id", "text", "source", "meta"])
    }

    @Test(arguments: [
        (#"{"id":"a","text":"x""#, "unterminated"),
        (#"{"id":"a",}"#, "expected a quoted key"),
        (#"["not","an","object"]"#, "must be an object"),
        (#"{"a":tru}"#, "invalid literal"),
        (#"{"a":"\x"}"#, "invalid escape"),
        (#"{"a":01}"#, "expected ','"),
        (#"{"a":1} {"b":2}"#, "extra data"),
        ("{\"a\":\"tab\there\"}", "control character"),
    ])
    func rejectsBrokenJSONWithAColumn(text: String, expected: String) {
        #expect {
            _ = try JSONLine(text)
        } throws: { error in
            guard let e = error as? InputError else { return false }
            return e.kind == .invalidJSON && e.message.contains(expected) && e.message.contains("column")
        }
    }

    @Test func rejectsInvalidUTF8() {
        let bytes: [UInt8] = Array(#"{"text":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        #expect(throws: InputError.self) { _ = try JSONLine(bytes) }
        do { _ = try JSONLine(bytes) } catch { #expect(error.kind == .invalidUTF8) }
    }

    @Test func wrongTypeNamesTheField() {
        do {
            _ = try Document(json: try JSONLine(#"{"id":"x","text":42}"#))
            Issue.record("expected an error")
        } catch {
            #expect(error.field == "text")
            #expect(error.kind == .wrongType)
        }
    }

    @Test(arguments: [
        #"{"id":"d1","text":"plain"}"#,
        #"{"id":"d2","text":"tabs\tand\nnewlines \"quoted\" \\ back","source":"wiki","url":"http://x/y","n":[1,{"a":null}]}"#,
        #"{"id":"d3","text":"unicode ✓ 世界 \u0001","source":"web"}"#,
        #"{"id":"d4","text":"","extra":-1.5e3}"#,
    ])
    func canonicalDocumentsRoundTripByteForByte(text: String) throws {
        let doc = try Document(json: try JSONLine(text))
        #expect(String(decoding: doc.jsonLine(), as: UTF8.self) == text + "\n")
    }

    @Test func nonCanonicalEscapesAreRewrittenCanonicalOnesCopied() throws {
        let doc = try Document(json: try JSONLine(#"{"id":"x","text":"a\/b \u00e9 \u000a \u0001"}"#))
        #expect(doc.text == "a/b é \n \u{1}")
        #expect(String(decoding: doc.jsonLine(), as: UTF8.self) == #"{"id":"x","text":"a/b é \n \u0001"}"# + "\n")
        let canonical = try Document(json: try JSONLine(#"{"id":"y","text":"tab\there \"q\" \u001f"}"#))
        #expect(canonical.textUTF8Count == canonical.text.utf8.count)
        #expect(canonical.text == "tab\there \"q\" \u{1F}")
    }

    @Test func jsonValueRoundTrip() throws {
        let text = #"{"a":[1,-2.5e-3,"s\"\\",{"b":null,"c":false}],"d":{}}"#
        let v = try JSONValue.parse(text)
        #expect(v.serializedString == text)
        #expect(v["a"]?.arrayValue?.count == 4)
    }

    @Test func swarSpecialByteDetectionMatchesNaive() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20000 {
            var bytes = (0..<8).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if Bool.random() { bytes = bytes.map { $0 | 0x40 } }
            let w = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            let naive = bytes.contains { $0 == 0x22 || $0 == 0x5C || $0 < 0x20 }
            #expect(JSONScanner.hasSpecial(w) == naive)
        }
    }

    @Test func utf8ValidationMatchesTheStandardLibrary() {
        var rng = SystemRandomNumberGenerator()
        let samples: [[UInt8]] = [
            Array("héllo wörld 世界 😀".utf8), [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82],
        ]
        for s in samples {
            let ours = s.withUnsafeBufferPointer { UTF8Validation.firstInvalid($0) } == nil
            #expect(ours == (String(validating: s, as: UTF8.self) != nil))
        }
        for _ in 0..<5000 {
            let s = (0..<Int.random(in: 0...12, using: &rng)).map { _ in UInt8.random(in: 0x7E...0xF5, using: &rng) }
            let ours = s.withUnsafeBufferPointer { UTF8Validation.firstInvalid($0) } == nil
            #expect(ours == (String(validating: s, as: UTF8.self) != nil), "\(s)")
        }
    }
}
