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

    /// Converts one line; `input` tells where it came from (for ids made from file and line).
    /// The text is not decoded: canonical JSON strings are copied through as they are.
    public func document(_ json: JSONLine, input: RecordInput) throws(InputError) -> Document {
        if json.isNullOrAbsent(textField) {
            throw InputError(.missingField, file: "", field: textField, "required string field is missing (see --text-field)")
        }
        var doc = try Document(json: json, textField: textField) {
            "\(source):\(input.currentFile == "<stdin>" ? "stdin" : input.currentFile):\(input.currentLine)"
        }
        if doc.source == nil { doc.source = source }
        return doc
    }
}
