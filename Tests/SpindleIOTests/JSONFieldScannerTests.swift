// One reading of a record: JSONLine and the hot-loop field scanner refuse what the value parser
// refuses (repeated keys, invalid UTF-8, raw control bytes) and read the same field.
import Testing
@testable import SpindleIO

@Suite struct JSONFieldScannerTests {
    func field(_ line: String, _ key: String = "text") throws(InputError) -> (String, Int) {
        var scanner = JSONFieldScanner()
        var out: [UInt8] = []
        let bytes = Array(line.utf8)
        var result: Result<Int, InputError>!
        bytes.withUnsafeBufferPointer { b in
            do throws(InputError) { result = .success(try scanner.string(key, in: b, into: &out)) } catch { result = .failure(error) }
        }
        let located = try result.get()
        return (String(decoding: out, as: UTF8.self), located)
    }

    @Test(arguments: [
        (#"{"text":"a\nb \"q\" \u00e9\ud83d\ude00","id":1}"#, "a\nb \"q\" é😀"),
        (#"{"meta":{"text":"no"},"list":[1,"]"],"text":"yes"}"#, "yes"),
        (#"  { "text" : "" }  "#, ""),
        (#"{"te\u0078t":"escaped key"}"#, "escaped key"),
    ])
    func readsTheFieldLikeJSONLine(line: String, expected: String) throws {
        let (text, located) = try field(line)
        #expect(text == expected)
        #expect(try JSONLine(line).string("text") == expected)
        #expect(Array(line.utf8)[located] == UInt8(ascii: "}"))
    }

    @Test(arguments: [
        (#"{"id":1}"#, InputError.Kind.missingField),
        (#"{"text":null}"#, .missingField),
        (#"[1,2]"#, .invalidJSON),
        (#"{"text":5}"#, .wrongType),
        (#"{"text":"unterminated}"#, .invalidJSON),
        (#"{"text":"a","text":"b"}"#, .invalidJSON),
        (#"{"text":"a","te\u0078t":"b"}"#, .invalidJSON),
        ("{\"text\":\"raw \u{0} nul\"}", .invalidJSON),
    ])
    func refusesWhatJSONLineRefuses(line: String, kind: InputError.Kind) {
        #expect { _ = try field(line) } throws: { ($0 as? InputError)?.kind == kind }
        if kind != .missingField && kind != .wrongType {
            #expect(throws: InputError.self) { _ = try JSONLine(line) }
        }
    }

    @Test func duplicateKeysNameTheField() {
        for line in [#"{"id":1,"text":"a","text":"b"}"#, #"{"id":1,"text":"a","te\u0078t":"b"}"#] {
            #expect { _ = try JSONLine(line) } throws: { e in
                guard let e = e as? InputError else { return false }
                return e.field == "text" && e.message.contains("duplicate key")
            }
            #expect { _ = try field(line, "id") } throws: { ($0 as? InputError)?.field == "text" }
        }
    }

    @Test func invalidUTF8IsRefused() {
        let bytes: [UInt8] = Array(#"{"text":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        var scanner = JSONFieldScanner()
        var out: [UInt8] = []
        bytes.withUnsafeBufferPointer { b in
            #expect { _ = try scanner.string("text", in: b, into: &out) } throws: { ($0 as? InputError)?.kind == .invalidUTF8 }
        }
    }

    @Test func closingBraceIsLocatedBeforeTrailingSpace() throws {
        #expect(throws: InputError.self) { _ = try field("{}") }
        let (_, located) = try field(#"{"text":"x"} "#)
        #expect(located == 11)
    }
}
