/// One JSONL record, validated and scanned at the top level only.
///
/// The line is checked completely (UTF-8 and JSON grammar), but only the top-level members are
/// located; a stage decodes the fields it reads (`string(_:)`, `value(_:)`) and copies the rest
/// through as raw bytes (`raw(_:)`), so unknown fields survive every stage byte for byte.
public struct JSONLine: Sendable {
    /// The line's bytes.
    public let bytes: [UInt8]
    var members: [JSONScanner.Member]

    /// Parses one line. Errors name the column (1-based byte offset) where the problem is, or the
    /// key that appears twice (a record has one reading: no stage may pick another duplicate).
    public init(_ line: UnsafeBufferPointer<UInt8>) throws(InputError) {
        var members: [JSONScanner.Member] = []
        members.reserveCapacity(8)
        try JSONScanner.scanRecord(line, into: &members)
        self.bytes = Array(line)
        self.members = members
    }

    public init(_ bytes: [UInt8]) throws(InputError) {
        var this: JSONLine?
        var failure: InputError?
        bytes.withUnsafeBufferPointer { buffer in
            do throws(InputError) { this = try JSONLine(buffer) } catch { failure = error }
        }
        if let failure { throw failure }
        self = this!
    }

    public init(_ string: String) throws(InputError) {
        try self.init(Array(string.utf8))
    }

    /// The keys of the top-level object, in order.
    public var keys: [String] { members.map { keyString($0) } }

    func keyString(_ m: JSONScanner.Member) -> String {
        if !m.keyEscaped {
            return String(decoding: bytes[Int(m.keyStart)..<Int(m.keyEnd)], as: UTF8.self)
        }
        return bytes.withUnsafeBufferPointer { b in
            var out: [UInt8] = []
            JSONString.unescape(UnsafeBufferPointer(rebasing: b[Int(m.keyStart)..<Int(m.keyEnd)]), into: &out)
            return String(decoding: out, as: UTF8.self)
        }
    }

    func keyEquals(_ m: JSONScanner.Member, _ key: String) -> Bool {
        if m.keyEscaped { return keyString(m) == key }
        var key = key
        return key.withUTF8 { k in
            k.count == Int(m.keyEnd - m.keyStart) &&
                bytes.withUnsafeBufferPointer { memcmp($0.baseAddress! + Int(m.keyStart), k.baseAddress!, k.count) == 0 }
        }
    }

    /// The member named `key` (keys are unique: the scan rejects repeated ones).
    func member(_ key: String) -> JSONScanner.Member? {
        members.first { keyEquals($0, key) }
    }

    public func has(_ key: String) -> Bool { member(key) != nil }

    /// True when the field is absent or `null`.
    public func isNullOrAbsent(_ key: String) -> Bool {
        guard let m = member(key) else { return true }
        return m.kind == .null
    }

    /// The raw bytes of a field's value, exactly as in the input.
    public func raw(_ key: String) -> ArraySlice<UInt8>? {
        guard let m = member(key) else { return nil }
        return bytes[Int(m.valueStart)..<Int(m.valueEnd)]
    }

    /// A string field; nil when absent or null; an error naming the field when of another type.
    public func string(_ key: String) throws(InputError) -> String? {
        guard let m = member(key), m.kind != .null else { return nil }
        guard m.kind == .string else {
            throw InputError(.wrongType, file: "", field: key, "expected a string, found \(m.kind)")
        }
        return decodeString(m)
    }

    /// A string field's raw JSON (quotes included) when it is already in Spindle's canonical
    /// escaping, so it can be written back without decoding; nil otherwise.
    public func canonicalRawString(_ key: String) -> ArraySlice<UInt8>? {
        guard let m = member(key), m.kind == .string, m.valueCanonical else { return nil }
        return bytes[Int(m.valueStart)..<Int(m.valueEnd)]
    }

    /// A required string field.
    public func requiredString(_ key: String) throws(InputError) -> String {
        guard let s = try string(key) else {
            throw InputError(.missingField, file: "", field: key, "required string field is missing")
        }
        return s
    }

    func decodeString(_ m: JSONScanner.Member) -> String {
        let start = Int(m.valueStart) + 1, end = Int(m.valueEnd) - 1
        if !m.valueEscaped {
            return bytes.withUnsafeBufferPointer { b in
                String(unsafeUninitializedCapacity: end - start) { dst in
                    _ = dst.initialize(from: UnsafeBufferPointer(rebasing: b[start..<end]))
                    return end - start
                }
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(end - start)
        bytes.withUnsafeBufferPointer { b in
            JSONString.unescape(UnsafeBufferPointer(rebasing: b[start..<end]), into: &out)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A field parsed into a full value (for nested fields such as `messages`).
    public func value(_ key: String) throws(InputError) -> JSONValue? {
        guard let m = member(key) else { return nil }
        do {
            return try bytes.withUnsafeBufferPointer { b throws(JSONValue.ParseError) in
                try JSONValue.parse(UnsafeBufferPointer(rebasing: b[Int(m.valueStart)..<Int(m.valueEnd)]))
            }
        } catch {
            throw InputError(.invalidJSON, file: "", field: key, error.message)
        }
    }

    /// Every member whose key is not in `known`, as (key, raw value) in input order.
    public func otherFields(excluding known: Set<String>) -> [RawField] {
        var out: [RawField] = []
        for m in members {
            let key = keyString(m)
            if known.contains(key) { continue }
            out.append(RawField(key: key, rawValue: Array(bytes[Int(m.valueStart)..<Int(m.valueEnd)])))
        }
        return out
    }
}

/// A field copied through untouched: its key and the raw JSON bytes of its value.
public struct RawField: Sendable, Equatable, Hashable {
    public var key: String
    public var rawValue: [UInt8]

    public init(key: String, rawValue: [UInt8]) {
        self.key = key
        self.rawValue = rawValue
    }

    public init(key: String, value: JSONValue) {
        self.key = key
        var out: [UInt8] = []
        value.serialize(into: &out)
        self.rawValue = out
    }
}

#if canImport(Glibc)
import Glibc
#endif
