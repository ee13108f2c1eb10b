import ArgumentParser
import SpindleIO
import SpindleTokenizer

/// `spindle tokenizer …`: train, apply and inspect SentencePiece-compatible BPE models.
struct TokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Train, apply and inspect SentencePiece-compatible BPE tokenizers (.model files).",
        discussion: """
        Models are SentencePiece ModelProto files: Spindle reads Llama 2's
        tokenizer.model and gives the same ids as sentencepiece; models Spindle
        trains load in sentencepiece and Hugging Face.
          spindle tokenizer encode --model tokenizer.model < text.txt > ids.txt
          spindle tokenizer decode --model tokenizer.model < ids.txt
          spindle tokenizer explain --model tokenizer.model "Price: 1234 €"
          spindle tokenizer train --input corpus.txt --model_prefix m
        """,
        subcommands: [TokenizerEncodeCommand.self, TokenizerDecodeCommand.self, TokenizerInfoCommand.self,
                      TokenizerExplainCommand.self, TokenizerTrainCommand.self, TokenizerMergeCommand.self])
}

/// Streams the input (file or stdin; .zst/.gz decompressed) through the transforms to stdout.
func runLineCommand(input: String?, makeTransforms: () -> [LineTransform]) throws {
    let inFile = try InputFile(path: input)
    let out = try OutputFile(path: nil)
    try streamLines(input: inFile, output: out, transforms: makeTransforms())
    try out.commit()
}
