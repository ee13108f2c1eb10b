import SpindleIO
@testable import SpindleStages
import SpindleTestSupport

extension TempDir {
    /// An uncommitted output file at `PATH/NAME`.
    func out(_ name: String) throws -> OutputFile { try OutputFile(path: sub(name)) }
}

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
