/// An error in the data a command read, located so a user can open the file at the right line.
///
/// Printed as `FILE:LINE: field 'text': reason` (line and field when known), the form editors
/// and `grep -n` users expect.
public struct InputError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Why a record was rejected; `--on-error skip` counts rejects per kind.
    public enum Kind: String, Sendable, CaseIterable {
        case invalidUTF8 = "invalid UTF-8"
        case invalidJSON = "invalid JSON"
        case missingField = "missing field"
        case wrongType = "wrong type"
        case invalidValue = "invalid value"
        case truncated = "truncated input"
        case io = "I/O error"
        case format = "bad format"
    }

    public var kind: Kind
    public var file: String
    public var line: Int?
    public var field: String?
    public var message: String

    public init(_ kind: Kind, file: String, line: Int? = nil, field: String? = nil, _ message: String) {
        self.kind = kind
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    public var description: String {
        var s = file
        if let line { s += ":\(line)" }
        s += ": "
        if let field { s += "field '\(field)': " }
        return s + message
    }

    /// The same error, placed at a line of a file (readers below the line level do not know it).
    public func at(file: String, line: Int?) -> InputError {
        var e = self
        e.file = file
        e.line = line
        return e
    }
}

/// A failure of the system around the data: a file that cannot be opened or written.
public struct SystemError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var operation: String
    public var errno: Int32

    public init(path: String, operation: String, errno: Int32) {
        self.path = path
        self.operation = operation
        self.errno = errno
    }

    public var description: String {
        "\(path): cannot \(operation): \(String(cString: strerror(errno)))"
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
