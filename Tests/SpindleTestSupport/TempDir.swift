import Foundation

/// A fresh directory under the system temporary directory. Remove it with `cleanup()`, usually
/// `let t = TempDir(); defer { t.cleanup() }` (an explicit call, so it cannot vanish while in use).
public struct TempDir: Sendable {
    public let path: String

    public init(_ tag: String = "test") {
        path = NSTemporaryDirectory() + "spindle-\(tag)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// `PATH/NAME` (not created).
    public func sub(_ name: String) -> String { path + "/" + name }

    /// Writes `text` to `PATH/NAME` and returns that path.
    @discardableResult
    public func write(_ name: String, _ text: String) throws -> String {
        try Data(text.utf8).write(to: URL(fileURLWithPath: sub(name)))
        return sub(name)
    }

    /// Writes `lines`, each ended by a newline, to `PATH/NAME` and returns that path.
    @discardableResult
    public func file(_ name: String, _ lines: [String]) throws -> String {
        try write(name, lines.map { $0 + "\n" }.joined())
    }

    /// The contents of `PATH/NAME`, decoded as UTF-8.
    public func read(_ name: String) throws -> String {
        String(decoding: try Data(contentsOf: URL(fileURLWithPath: sub(name))), as: UTF8.self)
    }

    public func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

public func readBytes(_ path: String) -> [UInt8] { Array(FileManager.default.contents(atPath: path) ?? Data()) }
public func writeBytes(_ bytes: [UInt8], _ path: String) { _ = FileManager.default.createFile(atPath: path, contents: Data(bytes)) }
