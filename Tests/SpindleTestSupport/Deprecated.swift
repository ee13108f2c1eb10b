// Old per-target helper names, kept as thin forwards so tests written against them (on other branches)
// still compile; the deprecation warning names the replacement. Delete once nothing uses them.
import Foundation

@available(*, deprecated, message: "use `let t = TempDir(); defer { t.cleanup() }`")
public typealias ScratchDir = TempDir

@available(*, deprecated, message: "use `let t = TempDir(); defer { t.cleanup() }` and t.path")
public func temporaryDirectory() throws -> String { TempDir().path }

@available(*, deprecated, message: "use `let t = TempDir(name); defer { t.cleanup() }` and t.path")
public func tempDir(_ name: String) -> String { TempDir(name).path }

@available(*, deprecated, message: "use runProcess(_:_:)")
@discardableResult
public func run(_ executable: String, _ args: [String]) throws -> ProcessResult { try runProcess(executable, args) }

@available(*, deprecated, message: "use .requires(.python(\"sentencepiece\"))")
public var pythonSentencePieceAvailable: Bool { Python.missing(["sentencepiece"]).isEmpty }
