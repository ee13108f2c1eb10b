// TrainerJSON.swift: the trainer's JSON files (configs, config.json, trainer_state.json, stamps,
// rejection state, safetensors headers) read through SpindleIO's one JSON reader, with typed getters
// whose errors name the file and the field; and written through its one writer.
import Foundation
import SpindleIO

/// One JSON object of a trainer file. Getters return nil when a key is absent and throw, naming the
/// file and the field, when it holds the wrong type.
struct JSONFields {
    enum Errors { case config, format }

    let members: [(String, JSONValue)]
    let file: String
    /// Prepended to field names in errors (`"training."` for a section).
    let prefix: String
    /// `.config`: `TrainerError.config(field:)` (a file a user writes); `.format`: `TrainerError.format(file:)`.
    let errors: Errors

    init(_ value: JSONValue, file: String, prefix: String = "", errors: Errors) throws {
        self.file = file; self.prefix = prefix; self.errors = errors
        guard let members = value.members else {
            throw errors == .config && !prefix.isEmpty
                ? TrainerError.config(field: String(prefix.dropLast()), message: "must be an object (\(file))")
                : TrainerError.format(file: file, message: "\(prefix.isEmpty ? "" : "field '\(prefix.dropLast())': ")not a JSON object")
        }
        self.members = members
    }

    /// Parses `bytes` as one JSON object (duplicate keys refused, like every Spindle reader).
    init<C: Collection>(parsing bytes: C, file: String, errors: Errors) throws where C.Element == UInt8 {
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch {
            throw TrainerError.format(file: file, message: "not valid JSON: \(error.message)")
        }
        try self.init(value, file: file, errors: errors)
    }

    /// Reads and parses a file; nil when it does not exist or cannot be read.
    static func load(_ path: String, errors: Errors) throws -> JSONFields? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try JSONFields(parsing: data, file: path, errors: errors)
    }

    var keys: [String] { members.map(\.0) }

    subscript(key: String) -> JSONValue? { members.first { $0.0 == key }?.1 }

    func fail(_ key: String, _ why: String) -> TrainerError {
        switch errors {
        case .config: .config(field: prefix + key, message: "\(why) (\(file))")
        case .format: .format(file: file, message: "field '\(prefix + key)': \(why)")
        }
    }

    /// Throws on the first key not in `allowed` (a typo must not silently fall back to a default).
    func rejectUnknown(_ allowed: Set<String>) throws {
        if let extra = keys.first(where: { !allowed.contains($0) }) {
            throw errors == .config ? TrainerError.config(field: prefix + extra, message: "unknown key in \(file)")
                                    : fail(extra, "unknown key")
        }
    }

    /// A nested object (absent: an empty one).
    func section(_ key: String) throws -> JSONFields {
        guard let v = self[key] else { return try JSONFields(.object([]), file: file, prefix: prefix + key + ".", errors: errors) }
        return try JSONFields(v, file: file, prefix: prefix + key + ".", errors: errors)
    }

    // The getters read `null` as absent (transformers writes `null` for unset fields).

    func number(_ key: String) throws -> Double? {
        guard let v = self[key], !v.isNull else { return nil }
        guard let d = v.doubleValue else { throw fail(key, "must be a number, found \(v.typeName)") }
        return d
    }

    func int(_ key: String) throws -> Int? {
        guard let v = self[key], !v.isNull else { return nil }
        guard let i = v.intValue else {
            throw fail(key, v.doubleValue == nil ? "must be a number, found \(v.typeName)" : "must be an integer")
        }
        return i
    }

    func float(_ key: String) throws -> Float? { try number(key).map(Float.init) }

    func string(_ key: String) throws -> String? {
        guard let v = self[key], !v.isNull else { return nil }
        guard let s = v.stringValue else { throw fail(key, "must be a string, found \(v.typeName)") }
        return s
    }

    func bool(_ key: String) throws -> Bool? {
        guard let v = self[key], !v.isNull else { return nil }
        guard let b = v.boolValue else { throw fail(key, "must be true or false") }
        return b
    }

    func array(_ key: String) throws -> [JSONValue]? {
        guard let v = self[key], !v.isNull else { return nil }
        guard let a = v.arrayValue else { throw fail(key, "must be an array, found \(v.typeName)") }
        return a
    }

    /// An array of integers.
    func ints(_ key: String) throws -> [Int]? {
        try array(key).map { items in
            try items.map { item in
                guard let i = item.intValue else { throw fail(key, "must hold integers, found \(item.typeName)") }
                return i
            }
        }
    }

    func required<T>(_ key: String, _ get: (String) throws -> T?) throws -> T {
        guard let v = try get(key) else { throw fail(key, "required") }
        return v
    }
}

extension JSONValue {
    /// A `Float` written as the trainer always wrote it: `1.0` for whole values, Swift's shortest
    /// round-tripping form otherwise.
    static func float(_ x: Float) -> JSONValue { .number(jsonNumber(x)) }
}

extension JSONValue {
    /// A number printed with a `printf` format (`"%.6f"`), as the metrics lines have always shown it.
    static func fixed(_ x: Double, _ format: String) -> JSONValue { .number(String(format: format, x)) }
}

/// One `metrics.jsonl` line: members on one line with `", "` and `": "`.
func metricsLine(_ members: [(String, JSONValue)]) -> String { JSONValue.object(members).text(.spaced) }
