// The one JSON value type: parsing (numbers keep their text, duplicate keys refused) and the
// layouts every Spindle JSON file is written in.
import Testing
@testable import SpindleIO

@Suite struct JSONValueTests {
    @Test(arguments: [
        #"{"a":1,"b":[1.50,-0.0,1E+5,2e-3,null,true,false],"c":{"d":"x\"y\\z\n\u0001é😀"},"e":{},"f":[]}"#,
        #"[{"z":1,"a":2},"s",-12345678901234567890123]"#,
        #""plain""#,
        "0",
    ])
    func compactRoundTripKeepsOrderAndNumberText(text: String) throws {
        let v = try JSONValue.parse(text)
        #expect(v.serializedString == text)
        #expect(try JSONValue.parse(v.serialized) == v)
    }

    @Test func spacesAndEscapesAreNormalisedOnce() throws {
        let v = try JSONValue.parse(#" { "a" : [ 1 , 2 ] , "b" : "\/\u00e9" } "#)
        #expect(v.serializedString == #"{"a":[1,2],"b":"/é"}"#)
    }

    @Test(arguments: [
        (#"{"a":1,"a":2}"#, "a"),
        (#"{"x":{"k":true,"k":false}}"#, "k"),
        (#"[1,{"p":1,"q":2,"p":3}]"#, "p"),
        (#"{"a":1,"\u0061":2}"#, "a"),
    ])
    func duplicateKeysAreRefusedByName(text: String, key: String) {
        #expect {
            _ = try JSONValue.parse(text)
        } throws: { error in
            guard let e = error as? JSONValue.ParseError else { return false }
            return e.duplicateKey == key && e.message.contains("duplicate key \"\(key)\"")
        }
    }

    @Test func duplicateKeysAreFoundInLargeObjects() {
        let members = (0..<40).map { #""k\#($0)":\#($0)"# } + [#""k7":0"#]
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse("{" + members.joined(separator: ",") + "}") }
        #expect((try? JSONValue.parse("{" + members.dropLast().joined(separator: ",") + "}")) != nil)
    }

    @Test(arguments: ["", "{", "[1,", "{\"a\" 1}", "\"abc", "tru", "01x", "[1] 2", "{\"a\":\"\\u12\"}",
                      String(repeating: "[", count: 600)])
    func rejectsMalformed(text: String) {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(text) }
    }

    @Test func rejectsInvalidUTF8() {
        let bytes: [UInt8] = Array(#"{"a":""#.utf8) + [0xFF] + Array(#""}"#.utf8)
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(bytes) }
    }

    @Test func buildersMatchPythonNumbers() {
        #expect(JSONValue.int(Int64(-3)).serializedString == "-3")
        #expect(JSONValue.double(3).serializedString == "3.0")
        #expect(JSONValue.double(0.1).serializedString == "0.1")
        #expect(JSONValue.double(1e-5).serializedString == "1e-05")
        #expect(JSONValue.object(["b": .int(1), "a": .int(2)]).serializedString == #"{"a":2,"b":1}"#)
        #expect(JSONValue.number("7").int64Value == 7 && JSONValue.number("7.0").int64Value == nil)
    }
}

@Suite struct JSONLayoutTests {
    static let sample = JSONValue.object([
        ("name", .string("a \"b\" \\ c")), ("n", .int(3)),
        ("inner", .object([("x", .number("1.0")), ("y", .array([.int(1), .int(2)]))])),
        ("list", .array([.object([("k", .null)])])), ("empty", .object([])),
    ])

    /// Python: json.dumps(value, sort_keys=True)
    @Test func pythonPrinterMatchesJsonDumps() {
        let v = JSONValue.object([
            "b": .array([.int(1), .null, .bool(true), .string("x\"y\\z\n\t\u{01}é😀\u{7F}")]),
            "a": .object([String: JSONValue]()), "c": .array([]), "B": .int(-3),
        ])
        #expect(v.pythonDumps() == #"{"B": -3, "a": {}, "b": [1, null, true, "x\"y\\z\n\t\u0001\u00e9\ud83d\ude00\u007f"], "c": []}"#)
    }

    @Test func pythonPrinterSortsParsedKeysAndKeepsNumbers() throws {
        let text = #"{"B": -3, "a": {}, "b": [1, null, true, "x\"y\\z\n\t\u0001\u00e9\ud83d\ude00"], "c": [], "d": 0.5}"#
        #expect(try JSONValue.parse(text).pythonDumps() == text)
        #expect(try JSONValue.parse(#"{"z":1,"a":[2.50]}"#).pythonDumps() == #"{"a": [2.50], "z": 1}"#)
    }

    @Test func memberPerLineIsTheTrainerFileLayout() {
        #expect(Self.sample.fileText(.memberPerLine) == """
        {
          "name": "a \\"b\\" \\\\ c",
          "n": 3,
          "inner": {"x": 1.0, "y": [1,2]},
          "list": [{"k": null}],
          "empty": {}
        }

        """)
    }

    @Test func indentedIsTheReportLayout() {
        #expect(Manifest.pretty(Self.sample) == Self.sample.bytes(.indented))
        #expect(Self.sample.text(.indented) == """
        {
          "name": "a \\"b\\" \\\\ c",
          "n": 3,
          "inner": {
            "x": 1.0,
            "y": [1,2]
          },
          "list": [
            {
              "k": null
            }
          ],
          "empty": {}
        }
        """)
    }

    @Test func spacedIsOneLine() {
        #expect(Self.sample.text(.spaced) == #"{"name": "a \"b\" \\ c", "n": 3, "inner": {"x": 1.0, "y": [1,2]}, "list": [{"k": null}], "empty": {}}"#)
    }

    @Test(arguments: ["{}", #"{"a":[1,{"b":"c"}]}"#, #"{"s":"\u0000\u001f\t","u":"é"}"#])
    func everyLayoutParsesBackToTheSameValue(text: String) throws {
        let v = try JSONValue.parse(text)
        for layout in [JSONLayout.compact, .indented, .memberPerLine, .spaced] {
            #expect(try JSONValue.parse(v.text(layout)) == v)
        }
        #expect(try JSONValue.parse(v.pythonDumps()).objectValue == v.objectValue)
    }
}
