import Foundation
@testable import SpindleTokenizer

/// Paths to the shared real data, found relative to the package root; tests skip when it is absent.
enum SharedData {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let root = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
    static let llama2Model = root.appendingPathComponent("tokenizers/llama2/tokenizer.model").path
    static let llama2Parity = root.appendingPathComponent("tokenizers/llama2/parity/llama2_parity.jsonl").path
    static var hasLlama2: Bool { FileManager.default.fileExists(atPath: llama2Model) }
    static var hasParity: Bool { FileManager.default.fileExists(atPath: llama2Parity) }

    nonisolated(unsafe) static var cachedModel: SentencePieceModel?
    static let lock = NSLock()
    static func llama2() throws -> SentencePieceModel {
        lock.lock(); defer { lock.unlock() }
        if let m = cachedModel { return m }
        let m = try SentencePieceModel(contentsOf: llama2Model)
        cachedModel = m
        return m
    }
}

/// Whether Python sentencepiece can be imported (optional cross-checks skip otherwise).
let pythonSentencePieceAvailable: Bool = {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", "import sentencepiece"]
    p.standardOutput = FileHandle.nullDevice; p.standardError = FileHandle.nullDevice
    do { try p.run(); p.waitUntilExit(); return p.terminationStatus == 0 } catch { return false }
}()

/// Runs a Python snippet with stdin, returning stdout.
func runPython(_ script: String, stdin: Data = Data(), args: [String] = []) throws -> Data {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", script] + args
    let inPipe = Pipe(), outPipe = Pipe()
    p.standardInput = inPipe; p.standardOutput = outPipe
    try p.run()
    DispatchQueue.global().async { inPipe.fileHandleForWriting.write(stdin); try? inPipe.fileHandleForWriting.close() }
    let out = outPipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return out
}

