import ArgumentParser
import SpindleTokenizer

struct TokenizerDecodeCommand: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode lines of space-separated ids (or pieces) back into text.",
        discussion: """
        The inverse of `encode`: one line of ids in, one line of text out, exactly
        as sentencepiece decodes (control ids vanish, byte pieces are reassembled
        into UTF-8, invalid bytes become U+FFFD).
          echo "15043 3186" | spindle tokenizer decode --model tokenizer.model
          Hello world
        """)

    @Option(help: "SentencePiece .model file.") var model: String
    @OptionGroup var config: ConfigOptions
    @Argument(help: "Input file (default: stdin).") var input: String?
    @Option(name: .customLong("input-format"), help: "id or piece.") var inputFormat: String = "id"
    @Option(help: "Decoding threads.") var threads: Int = 1

    func validate() throws {
        guard inputFormat == "id" || inputFormat == "piece" else { throw ValidationError("--input-format must be id or piece") }
        guard threads >= 1 && threads <= 256 else { throw ValidationError("--threads must be between 1 and 256") }
    }

    func run() throws {
        let m = try SentencePieceModel(contentsOf: model)
        try runLineCommand(input: input) { (0..<threads).map { _ in DecodeLineTransform(model: m, pieces: inputFormat == "piece") } }
    }
}
