import SpindleIO

/// JSONL in, documents out: the text is read from `textField`, an `id` is kept (or made from the
/// file and line: `SOURCE:FILE:LINE`), a record's own `source` wins over the default, and every
/// other field is passed through untouched.
public struct JSONLIngest {
    public var source: String
    public var textField: String

    public init(source: String, textField: String = "text") {
        self.source = source
        self.textField = textField
    }

    /// Converts one line; `input` tells where it came from.
    public func document(_ json: JSONLine, input: RecordInput) throws(InputError) -> Document {
        guard let text = try json.string(textField) else {
            throw InputError(.missingField, file: "", field: textField, "required string field is missing (see --text-field)")
        }
        var doc: Document
        if json.isNullOrAbsent("id") {
            let file = input.currentFile == "<stdin>" ? "stdin" : input.currentFile
            doc = Document(id: "\(source):\(file):\(input.currentLine)", text: text, source: nil)
            doc.extra = json.otherFields(excluding: ["id", "source", textField])
            doc.source = try json.string("source")
        } else {
            doc = try Document(json: json, textField: textField)
        }
        if doc.source == nil { doc.source = source }
        return doc
    }
}
