/// A record type that reads from and writes to one JSONL line.
public protocol JSONRecord: Sendable {
    /// Builds the record from a parsed line; errors name the field (the caller adds file and line).
    init(json: JSONLine) throws(InputError)
    /// The canonical JSONL line, newline included.
    func jsonLine() -> [UInt8]
}

/// A chat message: `{"role": "system"|"user"|"assistant", "content": "..."}`.
public struct Message: Sendable, Equatable, Hashable {
    public enum Role: String, Sendable, CaseIterable { case system, user, assistant }
    public var role: Role
    public var content: String

    public init(_ role: Role, _ content: String) {
        self.role = role
        self.content = content
    }

    public var json: JSONValue { .object([("role", .string(role.rawValue)), ("content", .string(content))]) }

    /// Parses an array of messages, naming `field[i].role` in errors.
    public static func parseList(_ value: JSONValue, field: String) throws(InputError) -> [Message] {
        guard let items = value.arrayValue else {
            throw InputError(.wrongType, file: "", field: field, "expected an array of messages, found \(value.typeName)")
        }
        var out: [Message] = []
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            guard case .object = item else {
                throw InputError(.wrongType, file: "", field: "\(field)[\(i)]", "expected an object, found \(item.typeName)")
            }
            guard let roleName = item["role"]?.stringValue else {
                throw InputError(.missingField, file: "", field: "\(field)[\(i)].role", "a message needs a string role")
            }
            guard let role = Role(rawValue: roleName) else {
                throw InputError(.invalidValue, file: "", field: "\(field)[\(i)].role",
                                 "unknown role '\(roleName)' (expected system, user or assistant)")
            }
            guard let content = item["content"]?.stringValue else {
                throw InputError(.missingField, file: "", field: "\(field)[\(i)].content", "a message needs string content")
            }
            out.append(Message(role, content))
        }
        return out
    }
}

extension Array where Element == Message {
    public var json: JSONValue { .array(map(\.json)) }
}
