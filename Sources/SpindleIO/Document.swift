/// A pretraining document: `{"id", "text", "source", ...}`. Fields Spindle does not know are kept
/// raw in `extra` and written back after the known ones, so they pass through every stage.
public struct Document: JSONRecord, Equatable {
    public var id: String
    public var text: String
    public var source: String?
    public var extra: [RawField]

    public static let knownFields: Set<String> = ["id", "text", "source"]

    public init(id: String, text: String, source: String? = nil, extra: [RawField] = []) {
        self.id = id
        self.text = text
        self.source = source
        self.extra = extra
    }

    public init(json: JSONLine) throws(InputError) {
        try self.init(json: json, textField: "text")
    }

    /// Reads a document whose text is in `textField`; a numeric id is taken as its decimal text.
    public init(json: JSONLine, textField: String) throws(InputError) {
        guard let text = try json.string(textField) else {
            throw InputError(.missingField, file: "", field: textField, "required string field is missing")
        }
        self.text = text
        if let raw = json.raw("id"), let first = raw.first, first != UInt8(ascii: "\"") && first != UInt8(ascii: "n") {
            guard (first >= 48 && first <= 57) || first == UInt8(ascii: "-") else {
                throw InputError(.wrongType, file: "", field: "id", "expected a string or a number")
            }
            id = String(decoding: raw, as: UTF8.self)
        } else {
            id = try json.requiredString("id")
        }
        source = try json.string("source")
        var known = Document.knownFields
        known.insert(textField)
        extra = json.otherFields(excluding: known)
    }

    public func jsonLine() -> [UInt8] {
        var w = JSONObjectWriter(reserving: text.utf8.count + 64)
        w.string("id", id)
        w.string("text", text)
        if let source { w.string("source", source) }
        w.fields(extra)
        return w.finishLine()
    }

    /// The value of a passed-through field, parsed.
    public func extraValue(_ key: String) -> JSONValue? {
        guard let f = extra.last(where: { $0.key == key }) else { return nil }
        return try? JSONValue.parse(f.rawValue)
    }

    /// Sets (or replaces) a passed-through field.
    public mutating func setExtra(_ key: String, _ value: JSONValue) {
        extra.removeAll { $0.key == key }
        extra.append(RawField(key: key, value: value))
    }
}
