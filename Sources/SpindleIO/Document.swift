/// A pretraining document: `{"id", "text", "source", ...}`. Fields Spindle does not know are kept
/// raw in `extra` and written back after the known ones, so they pass through every stage.
public struct Document: JSONRecord, Equatable {
    public var id: String
    public var source: String?
    public var extra: [RawField]

    /// The text, decoded on first use: a stage that only routes documents (ingest, upsample)
    /// copies the canonical JSON string through without ever building a `String`.
    public var text: String {
        get {
            switch storage {
            case .decoded(let s): return s
            case .raw(let json): return Document.decode(json)
            }
        }
        set { storage = .decoded(newValue) }
    }

    enum TextStorage: Sendable {
        case decoded(String)
        /// The quoted JSON string, in canonical escaping.
        case raw(ArraySlice<UInt8>)
    }
    private var storage: TextStorage

    /// The text's length in UTF-8 bytes, without decoding it.
    public var textUTF8Count: Int {
        switch storage {
        case .decoded(let s): return s.utf8.count
        case .raw(let json): return Document.decodedLength(json)
        }
    }

    public static func == (a: Document, b: Document) -> Bool {
        a.id == b.id && a.source == b.source && a.extra == b.extra && a.text == b.text
    }

    public static let knownFields: Set<String> = ["id", "text", "source"]

    public init(id: String, text: String, source: String? = nil, extra: [RawField] = []) {
        self.id = id
        self.storage = .decoded(text)
        self.source = source
        self.extra = extra
    }

    public init(json: JSONLine) throws(InputError) {
        try self.init(json: json, textField: "text")
    }

    /// Reads a document whose text is in `textField`; a numeric id is taken as its decimal text,
    /// and a missing id is `defaultID()` when given (an error otherwise).
    public init(json: JSONLine, textField: String, defaultID: (() -> String)? = nil) throws(InputError) {
        if let raw = json.canonicalRawString(textField) {
            storage = .raw(raw)
        } else if let text = try json.string(textField) {
            storage = .decoded(text)
        } else {
            throw InputError(.missingField, file: "", field: textField, "required string field is missing")
        }
        if let raw = json.raw("id"), let first = raw.first, first != UInt8(ascii: "\"") && first != UInt8(ascii: "n") {
            guard (first >= 48 && first <= 57) || first == UInt8(ascii: "-") else {
                throw InputError(.wrongType, file: "", field: "id", "expected a string or a number")
            }
            id = String(decoding: raw, as: UTF8.self)
        } else if let defaultID, json.isNullOrAbsent("id") {
            id = defaultID()
        } else {
            id = try json.requiredString("id")
        }
        source = try json.string("source")
        var known = Document.knownFields
        known.insert(textField)
        extra = json.otherFields(excluding: known)
    }

    public func jsonLine() -> [UInt8] {
        var w = JSONObjectWriter(reserving: 64 + {
            switch storage { case .raw(let j): j.count; case .decoded(let s): s.utf8.count + s.utf8.count / 8 }
        }())
        w.string("id", id)
        switch storage {
        case .raw(let json): w.raw("text", json)
        case .decoded(let s): w.string("text", s)
        }
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

    static func decode(_ json: ArraySlice<UInt8>) -> String {
        json.withUnsafeBufferPointer { b in
            let body = UnsafeBufferPointer(rebasing: b[1..<(b.count - 1)])
            var out: [UInt8] = []
            out.reserveCapacity(body.count)
            JSONString.unescape(body, into: &out)
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// Decoded length of a canonical JSON string: each escape stands for one byte.
    static func decodedLength(_ json: ArraySlice<UInt8>) -> Int {
        json.withUnsafeBufferPointer { b in
            var n = b.count - 2
            var i = 1
            let end = b.count - 1
            while i < end, let hit = memchr(b.baseAddress! + i, Int32(UInt8(ascii: "\\")), end - i) {
                let k = UnsafeRawPointer(hit) - UnsafeRawPointer(b.baseAddress!)
                let isU = b[k + 1] == UInt8(ascii: "u")
                n -= isU ? 5 : 1
                i = k + (isU ? 6 : 2)
            }
            return n
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
