// Reading a document's text bytes out of a JSONL line and splicing new values back in, so every other
// byte of the line (unknown fields, key order, number formats) passes through untouched.

import SpindleIO

/// Byte-level access to one field of a JSONL record.
public enum StageText {
    /// Decodes the string field `field` into `out`. Missing or non-string fields are errors naming the field.
    public static func text(of json: JSONLine, field: String, into out: inout [UInt8]) throws(InputError) {
        out.removeAll(keepingCapacity: true)
        guard let raw = json.raw(field), let first = raw.first, first != UInt8(ascii: "n") else {
            throw InputError(.missingField, file: "", field: field, "required string field is missing")
        }
        guard first == UInt8(ascii: "\"") else {
            throw InputError(.wrongType, file: "", field: field, "expected a string")
        }
        json.bytes.withUnsafeBufferPointer { b in
            JSONString.unescape(UnsafeBufferPointer(rebasing: b[(raw.startIndex + 1)..<(raw.endIndex - 1)]), into: &out)
        }
    }

    /// Calls `body` with the raw body of string field `field` (between the quotes, escapes intact).
    public static func withRawString<R>(_ json: JSONLine, field: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) throws(InputError) -> R {
        try requireString(json, field: field)
        let raw = json.raw(field)!
        return json.bytes.withUnsafeBufferPointer { b in
            body(UnsafeBufferPointer(rebasing: b[(raw.startIndex + 1)..<(raw.endIndex - 1)]))
        }
    }

    /// Checks that `field` is a string without decoding it (the second pass of two-pass stages, which must
    /// skip exactly the records the first pass skipped).
    public static func requireString(_ json: JSONLine, field: String) throws(InputError) {
        guard let raw = json.raw(field), let first = raw.first, first != UInt8(ascii: "n") else {
            throw InputError(.missingField, file: "", field: field, "required string field is missing")
        }
        guard first == UInt8(ascii: "\"") else { throw InputError(.wrongType, file: "", field: field, "expected a string") }
    }

    /// The line with field `field`'s value replaced by `rawJSON` (or the member appended when absent),
    /// newline included.
    public static func setting(_ json: JSONLine, field: String, rawJSON: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(json.bytes.count + rawJSON.count + field.utf8.count + 8)
        if let raw = json.raw(field) {
            out.append(contentsOf: json.bytes[..<raw.startIndex])
            out.append(contentsOf: rawJSON)
            out.append(contentsOf: json.bytes[raw.endIndex...])
        } else {
            // Insert before the closing brace.
            var end = json.bytes.count - 1
            while end > 0 && json.bytes[end] != UInt8(ascii: "}") { end -= 1 }
            var k = end - 1
            while k > 0 && (json.bytes[k] == 0x20 || json.bytes[k] == 0x09) { k -= 1 }
            let empty = json.bytes[k] == UInt8(ascii: "{")
            out.append(contentsOf: json.bytes[..<end])
            if !empty { out.append(UInt8(ascii: ",")) }
            JSONString.append(field, to: &out)
            out.append(UInt8(ascii: ":"))
            out.append(contentsOf: rawJSON)
            out.append(contentsOf: json.bytes[end...])
        }
        out.append(0x0A)
        return out
    }

    /// The line with string field `field` replaced by `text`.
    public static func settingString(_ json: JSONLine, field: String, text: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var enc: [UInt8] = []
        enc.reserveCapacity(text.count + 16)
        JSONString.append(text, to: &enc)
        return setting(json, field: field, rawJSON: enc)
    }

    /// The document id as text (string ids unescaped, numeric ids as written), or "FILE:LINE" when absent.
    public static func id(of json: JSONLine, fallback: @autoclosure () -> String) -> String {
        guard let raw = json.raw("id"), let first = raw.first else { return fallback() }
        if first == UInt8(ascii: "\"") { return (try? json.string("id")) ?? fallback() }
        if first == UInt8(ascii: "n") { return fallback() }
        return String(decoding: raw, as: UTF8.self)
    }

    /// A numeric field as Double (numbers, or strings holding numbers); nil when absent or not numeric.
    public static func number(of json: JSONLine, field: String) -> Double? {
        guard let raw = json.raw(field), let first = raw.first else { return nil }
        if first == UInt8(ascii: "\"") { return (try? json.string(field)).flatMap { Double($0) } }
        return Double(String(decoding: raw, as: UTF8.self))
    }
}
