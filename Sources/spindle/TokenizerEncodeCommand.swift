import ArgumentParser
import SpindleTokenizer
import Foundation
import SpindleIO

struct TokenizerEncodeCommand: ParsableCommand {
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
        let m = try loadModel(model)
        var opts = EncodeLineOptions()
        opts.pieces = outputFormat == "piece"
        opts.addBOS = addBOS; opts.addEOS = addEOS
        if jsonl { opts.jsonlField = field; opts.outputField = outputField ?? (opts.pieces ? "pieces" : "ids") }
        try runLineCommand(input: input) { (0..<threads).map { _ in EncodeLineTransform(model: m, options: opts) } }
    }
}

/// Streams the input (file or stdin; .zst/.gz decompressed) through the transforms to stdout.
/// Exit codes: 65 bad input line, 74 I/O error.
func runLineCommand(input: String?, makeTransforms: () -> [LineTransform]) throws {
    do {
        let inFile = try InputFile(path: input)
        let out = try OutputFile(path: nil)
        try streamLines(input: inFile, output: out, transforms: makeTransforms())
        try out.commit()
    } catch let e as LineError {
        printError("spindle tokenizer: \(e)")
        throw ExitCode(65)
    } catch let e as ExitCode {
        throw e
    } catch {
        printError("spindle tokenizer: \(error)")
        throw ExitCode(74)
    }
}
