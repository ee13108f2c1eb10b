import ArgumentParser
import Foundation
import SpindleTokenizer

struct TokenizerExplainCommand: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show every step of encoding TEXT: normalised text, pre-tokens, pieces, byte fallback, decoding.",
        discussion: """
          spindle tokenizer explain --model tokenizer.model "  2024 costs €5 🙂"
        Spaces become '▁' (U+2581) and a dummy '▁' is prepended; digits are single
        pieces in Llama 2; characters outside the vocabulary fall back to their
        UTF-8 bytes as <0xXX> pieces.
        """)

    @Option(help: "SentencePiece .model file.") var model: String
    @OptionGroup var config: ConfigOptions
    @Argument(help: "Text to explain.") var text: String

    func run() throws {
        let m = try SentencePieceModel(contentsOf: model)
        let e = m.explain(text)
        print("input        \(text.debugDescription)  (\(text.utf8.count) bytes)")
        print("normalized   \(e.normalized.debugDescription)")
        print("pre-tokens   " + e.chunks.map(\.debugDescription).joined(separator: " "))
        print("pieces:")
        for s in e.symbols {
            if let id = s.id, id != m.unkID {
                print("  \(String(id).padding(toLength: 7, withPad: " ", startingAt: 0)) \(s.text.debugDescription.padding(toLength: 20, withPad: " ", startingAt: 0)) score=\(m.score(id)) \(m.type(id).name)")
            } else if m.byteFallback {
                let bytes = Array(s.text.utf8)
                let ids: [Int32] = bytes.map { (b: UInt8) -> Int32 in m.pieceID(String(format: "<0x%02X>", b)) ?? m.unkID }
                let shown: [String] = ids.map { (id: Int32) -> String in "\(m.piece(id)!)=\(id)" }
                print("  \(s.text.debugDescription) not in vocabulary -> byte fallback: " + shown.joined(separator: " "))
            } else {
                print("  \(s.text.debugDescription) not in vocabulary -> \(m.piece(m.unkID)!)=\(m.unkID)")
            }
        }
        print("ids          " + e.ids.map(String.init).joined(separator: " "))
        print("tokens       \(e.ids.count)  (\(String(format: "%.2f", Double(text.utf8.count) / Double(max(1, e.ids.count)))) bytes/token)")
        let back = try m.decode(e.ids)
        print("decoded      \(back.debugDescription)" + (back == text ? "  (round trip exact)" : "  (differs from input)"))
    }
}
