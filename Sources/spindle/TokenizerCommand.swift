import ArgumentParser
import Foundation
import SpindleTokenizer

/// `spindle tokenizer …`: train, apply and inspect SentencePiece-compatible BPE models.
struct TokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Train, apply and inspect SentencePiece-compatible BPE tokenizers (.model files).",
        discussion: """
        Models are SentencePiece ModelProto files: Spindle reads Llama 2's tokenizer.model and gives the
        same ids as sentencepiece; models Spindle trains load in sentencepiece and Hugging Face.
          spindle tokenizer encode --model tokenizer.model < text.txt > ids.txt
          spindle tokenizer decode --model tokenizer.model < ids.txt
          spindle tokenizer explain --model tokenizer.model "Price: 1234 €"
          spindle tokenizer train --input corpus.txt --model_prefix m --vocab_size 32000
        """,
        subcommands: [TokenizerEncodeCommand.self, TokenizerDecodeCommand.self, TokenizerInfoCommand.self,
                      TokenizerExplainCommand.self, TokenizerBenchCommand.self])
}

/// Loads a model or exits with a clear message (exit code 2: bad input).
func loadModel(_ path: String) throws -> SentencePieceModel {
    do { return try SentencePieceModel(contentsOf: path) } catch {
        throw ValidationError("\(error)")
    }
}

/// Writes a message to stderr.
func printError(_ s: String) {
    var e = StderrStream(); print(s, to: &e)
}

struct StderrStream: TextOutputStream {
    mutating func write(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }
}

/// C stdio streams for the standard descriptors (buffered; flushed by the commands).
nonisolated(unsafe) let stdinFile: UnsafeMutablePointer<FILE> = fdopen(0, "rb")!
nonisolated(unsafe) let stdoutFile: UnsafeMutablePointer<FILE> = fdopen(1, "wb")!
