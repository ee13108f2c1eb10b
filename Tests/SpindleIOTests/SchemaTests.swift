import Foundation
import Testing
import SpindleIO
import SpindleTestSupport

/// The subset of JSON Schema that Spindle's schemas use: type, required, properties,
/// additionalProperties, enum, items, minItems and file-relative $ref.
struct MiniSchemaValidator {
    let directory: URL

    func load(_ name: String) throws -> JSONValue {
        try JSONValue.parse(try InputFile.readAll(path: directory.appendingPathComponent(name).path))
    }

    func validate(_ value: JSONValue, against schema: JSONValue, path: String = "$") throws -> [String] {
        if let ref = schema["$ref"]?.stringValue { return try validate(value, against: try load(ref), path: path) }
        var problems: [String] = []
        if let options = schema["enum"]?.arrayValue, !options.contains(value) { problems.append("\(path): not one of the allowed values") }
        if let type = schema["type"]?.stringValue {
            let ok: Bool
            switch (type, value) {
            case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool): ok = true
            case ("number", .number): ok = true
            case ("integer", .number(let s)): ok = Int(s) != nil
            default: ok = false
            }
            if !ok { problems.append("\(path): expected \(type), found \(value.typeName)"); return problems }
        }
        if case .object(let members) = value {
            for key in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where value[key] == nil {
                problems.append("\(path): missing \(key)")
            }
            let props = schema["properties"]
            for (key, v) in members {
                if let sub = props?[key] { problems += try validate(v, against: sub, path: "\(path).\(key)") }
                else if schema["additionalProperties"]?.boolValue == false { problems.append("\(path): unexpected \(key)") }
            }
        }
        if case .array(let items) = value {
            if let min = schema["minItems"]?.intValue, items.count < min { problems.append("\(path): fewer than \(min) items") }
            if let itemSchema = schema["items"] {
                for (i, item) in items.enumerated() { problems += try validate(item, against: itemSchema, path: "\(path)[\(i)]") }
            }
        }
        return problems
    }
}

@Suite struct SchemaTests {
    static let root = URL(fileURLWithPath: TestPaths.packageRoot)
    let validator = MiniSchemaValidator(directory: SchemaTests.root.appendingPathComponent("schemas"))

    func lines(_ relative: String) throws -> [JSONValue] {
        let reader = try LineReader(path: SchemaTests.root.appendingPathComponent(relative).path)
        var out: [JSONValue] = []
        while let l = try reader.next() { if !l.bytes.isEmpty { out.append(try JSONValue.parse(Array(l.bytes))) } }
        return out
    }

    @Test(arguments: [("corpora/web/pages.jsonl", "document.schema.json"), ("corpora/sft/dialogues.jsonl", "sft.schema.json"),
                      ("corpora/preference/pairs.jsonl", "preference.schema.json")])
    func demoCorpusValidates(file: String, schema: String) throws {
        let s = try validator.load(schema)
        let records = try lines(file)
        #expect(!records.isEmpty)
        for (i, r) in records.enumerated() {
            let problems = try validator.validate(r, against: s)
            #expect(problems.isEmpty, "\(file):\(i + 1): \(problems)")
        }
    }

    @Test func recordsSpindleWritesValidate() throws {
        let doc = Document(id: "a", text: "t", source: "web", extra: [RawField(key: "url", value: .string("u"))])
        let pair = PreferencePair(id: "p", prompt: [Message(.user, "q")], chosen: "c", rejected: "r", degree: .better,
                                  aspect: .safety, safety: .bothSafe)
        let sft = SFTExample(id: "s", messages: [Message(.system, "be brief"), Message(.user, "q"), Message(.assistant, "a")])
        for (bytes, schema) in [(doc.jsonLine(), "document.schema.json"), (pair.jsonLine(), "preference.schema.json"),
                                (sft.jsonLine(), "sft.schema.json")] {
            #expect(try validator.validate(try JSONValue.parse(Array(bytes.dropLast())), against: try validator.load(schema)).isEmpty)
        }
        var manifest = Manifest(command: "test", config: .object([("k", .bool(true))]), seed: 7)
        manifest.outputs = ["x"]
        #expect(try validator.validate(manifest.json, against: try validator.load("manifest.schema.json")).isEmpty)
    }

    @Test func theValidatorCatchesProblems() throws {
        let bad = try JSONValue.parse(#"{"id":"p","prompt":[{"role":"robot","content":"x"}],"chosen":"c","degree":"huge","aspect":"safety"}"#)
        let problems = try validator.validate(bad, against: try validator.load("preference.schema.json"))
        #expect(problems.contains { $0.contains("missing rejected") })
        #expect(problems.contains { $0.contains("$.degree") })
        #expect(problems.contains { $0.contains("$.prompt[0].role") })
    }
}
