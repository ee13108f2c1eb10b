import ArgumentParser
import SpindleTokenizer

struct TokenizerEncodeCommand: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Encode text lines (or a JSONL field) into piece ids or pieces.",
        discussion: """
        Reads one text per line from FILE or stdin and writes one line of
        space-separated ids per input line (sentencepiece's spm_encode format). No
        BOS/EOS is added unless asked.
          echo "Hello world" |
            spindle tokenizer encode --model tokenizer.model --output-format piece
          ▁Hello ▁world
        JSONL mode tokenises one string field of each object and appends the result
        to the object, keeping every other field as it was:
          spindle tokenizer encode --model m.model --jsonl --field text \
            < docs.jsonl > docs.ids.jsonl
        """)

    @Option(help: "SentencePiece .model file.") var model: String
    @OptionGroup var config: ConfigOptions
    @Argument(help: "Input file (default: stdin; '-' is stdin).") var input: String?
    @Option(name: .customLong("output-format"), help: "id or piece.") var outputFormat: String = "id"
    @Flag(name: .customLong("add-bos"), help: "Prepend the BOS id (<s>).") var addBOS = false
    @Flag(name: .customLong("add-eos"), help: "Append the EOS id (</s>).") var addEOS = false
    @Flag(help: "Input is JSONL: tokenise --field of each object.") var jsonl = false
    @Option(help: "JSONL text field to tokenise.") var field: String = "text"
    @Option(name: .customLong("output-field"), help: "JSONL field that receives the result (default: ids or pieces).")
    var outputField: String?
    @Option(help: "Encoding threads.") var threads: Int = 1

    func validate() throws {
        guard outputFormat == "id" || outputFormat == "piece" else { throw ValidationError("--output-format must be id or piece") }
        guard threads >= 1 && threads <= 256 else { throw ValidationError("--threads must be between 1 and 256") }
    }

    func run() throws {
        let m = try SentencePieceModel(contentsOf: model)
        var opts = EncodeLineOptions()
        opts.pieces = outputFormat == "piece"
        opts.addBOS = addBOS; opts.addEOS = addEOS
        if jsonl { opts.jsonlField = field; opts.outputField = outputField ?? (opts.pieces ? "pieces" : "ids") }
        try runLineCommand(input: input) { (0..<threads).map { _ in EncodeLineTransform(model: m, options: opts) } }
    }
}
