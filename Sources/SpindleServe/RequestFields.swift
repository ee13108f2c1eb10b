// RequestFields.swift: typed reads of a JSON request body's top-level members. A JSON null reads as
// absent (as OpenAI's API treats it); a present value of the wrong type is a 400 naming the field.
import SpindleIO

/// The members of a request body, checked against the fields an endpoint knows.
struct RequestFields {
    let members: [(String, JSONValue)]

    /// Parses `body` (one JSON object) and refuses members not in `known`.
    init(_ body: [UInt8], known: Set<String>) throws(APIError) {
        guard !body.isEmpty else { throw .invalid("the request body is empty: send a JSON object") }
        let value: JSONValue
        do { value = try JSONValue.parse(body) } catch {
            throw .invalid("the request body is not valid JSON (byte \(error.offset)): \(error.message)")
        }
        guard let members = value.members else { throw .invalid("the request body must be a JSON object, not \(value.typeName)") }
        for (k, _) in members where !known.contains(k) {
            throw .invalid("unrecognized request argument supplied: \(k)", param: k)
        }
        self.members = members
    }

    /// The member's value; nil when absent or null.
    func value(_ key: String) -> JSONValue? {
        guard let v = members.last(where: { $0.0 == key })?.1, !v.isNull else { return nil }
        return v
    }

    func string(_ key: String) throws(APIError) -> String? {
        guard let v = value(key) else { return nil }
        guard let s = v.stringValue else { throw .invalid("'\(key)' must be a string, not \(v.typeName)", param: key) }
        return s
    }

    func bool(_ key: String) throws(APIError) -> Bool? {
        guard let v = value(key) else { return nil }
        guard let b = v.boolValue else { throw .invalid("'\(key)' must be a boolean, not \(v.typeName)", param: key) }
        return b
    }

    /// An integer (written without a fraction; 64-bit).
    func int(_ key: String) throws(APIError) -> Int? {
        guard let v = value(key) else { return nil }
        guard let i = v.int64Value else {
            throw .invalid("'\(key)' must be an integer, not \(v.typeName == "number" ? "a fraction or a number out of range" : v.typeName)", param: key)
        }
        return Int(i)
    }

    /// A finite number inside `range`.
    func number(_ key: String, in range: ClosedRange<Double>) throws(APIError) -> Double? {
        guard let v = value(key) else { return nil }
        guard let d = v.doubleValue, d.isFinite else { throw .invalid("'\(key)' must be a number, not \(v.typeName)", param: key) }
        guard range.contains(d) else {
            throw .invalid("'\(key)' must be between \(JSONValue.format(range.lowerBound)) and \(JSONValue.format(range.upperBound)), got \(JSONValue.format(d))", param: key)
        }
        return d
    }

    /// A field OpenAI defines that this server implements only at its neutral value.
    func neutral(_ key: String, isNeutral: (JSONValue) -> Bool) throws(APIError) {
        guard let v = members.last(where: { $0.0 == key })?.1, !isNeutral(v) else { return }
        throw .invalid("'\(key)' is not supported by this server except at its default", param: key)
    }
}
