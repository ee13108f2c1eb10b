import SpindleIO
@testable import SpindleStages
#if canImport(Glibc)
import Glibc
#endif

/// A scratch directory removed at the end of the test.
final class ScratchDir {
    let path: String
    init() {
        var template = Array("/tmp/spindle-stages-test-XXXXXX".utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = String(cString: p!)
    }
    deinit { _ = system("rm -rf '\(path)'") }

    func file(_ name: String, _ lines: [String]) throws -> String {
        let p = "\(path)/\(name)"
        try OutputFile.write(Array((lines.map { $0 + "\n" }.joined()).utf8), to: p)
        return p
    }
    func read(_ name: String) throws -> String {
        String(decoding: try InputFile.readAll(path: "\(path)/\(name)"), as: UTF8.self)
    }
    func out(_ name: String) throws -> OutputFile { try OutputFile(path: "\(path)/\(name)") }
}

/// Shared data directory (`<package>/../shared/data`), nil when absent.
let sharedData: String? = {
    var parts = String(#filePath).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    parts.removeLast(3)  // Tests/SpindleStagesTests/file.swift
    let root = parts.joined(separator: "/")
    let data = root + "/../shared/data"
    return access(data + "/README.md", R_OK) == 0 ? data : nil
}()

func jsonLine(_ id: String, _ text: String, extra: String = "") -> String {
    var b: [UInt8] = []
    JSONString.append(text, to: &b)
    return "{\"id\":\"\(id)\",\"text\":\(String(decoding: b, as: UTF8.self))\(extra)}"
}

/// Deterministic pseudo-English documents: words drawn from a fixed vocabulary.
func syntheticDocuments(_ n: Int, words: Int = 120, seed: UInt64 = 1) -> [String] {
    let vocab = ("the of and to in a is that for it as was with be by on not he this are or his from at which but have an they "
        + "river mountain city history science music language system government energy water market school network theory "
        + "ancient modern early late north south great small public private national local united general central").split(separator: " ")
    var rng = SeededRandom(seed: seed)
    return (0..<n).map { _ in (0..<words).map { _ in String(vocab[Int(rng.next() % UInt64(vocab.count))]) }.joined(separator: " ") }
}

/// Edit a text: replace `k` words (deterministically) with new tokens.
func substitute(_ text: String, _ k: Int, seed: UInt64) -> String {
    var w = text.split(separator: " ").map(String.init)
    var rng = SeededRandom(seed: seed)
    for j in 0..<k { w[Int(rng.next() % UInt64(w.count))] = "edit\(j)x\(seed)" }
    return w.joined(separator: " ")
}
