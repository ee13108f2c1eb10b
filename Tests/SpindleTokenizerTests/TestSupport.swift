import Foundation
import SpindleTestSupport
@testable import SpindleTokenizer

extension SharedData {
    /// The Llama 2 tokenizer from ../shared, loaded once.
    static func llama2() throws -> SentencePieceModel { try llama2Cache.get { try SentencePieceModel(contentsOf: llama2Model) } }
    private static let llama2Cache = Once<SentencePieceModel>()
}

/// A value computed once and shared by the tests that use it.
final class Once<T>: @unchecked Sendable {   // `value` is only touched under `lock`
    private var value: T?
    private let lock = NSLock()
    func get(_ make: () throws -> T) rethrows -> T {
        lock.lock(); defer { lock.unlock() }
        if let v = value { return v }
        let v = try make()
        value = v
        return v
    }
}

/// Runs a Python snippet with stdin, returning stdout (fails with Python's stderr when it does).
func runPython(_ script: String, stdin: Data = Data(), args: [String] = []) throws -> Data {
    try Python.output(script, args: args, stdin: stdin)
}

