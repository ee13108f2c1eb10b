// Loading a checkpoint to run with a given tokenizer: the head must be the one the command needs, the
// vocabulary the tokenizer's, and the tokenizer the one the checkpoint's shards were packed with.
import SpindleShards

extension Checkpoint {
    /// Which head a command needs.
    public enum Head: Sendable { case languageModel, score }

    /// Loads `dir` and refuses it when its head is not `head`, its vocabulary is not `tokenizer`'s, or its
    /// tokenizer stamp names another tokenizer (`tokenizerName` is how the user gave it).
    public static func load(_ dir: String, head: Head, tokenizer: any TokenEncoder, tokenizerName: String) throws -> LlamaModel {
        let m = try load(dir)
        switch head {
        case .languageModel where m.layout.head < 0:
            throw TrainerError.config(field: "checkpoint", message: "\(dir) is a reward model (score head), not a language model")
        case .score where m.layout.score < 0:
            throw TrainerError.config(field: "checkpoint", message: "\(dir) is not a reward model (no score head)")
        default: break
        }
        guard tokenizer.vocabSize == m.config.vocabSize else {
            throw TrainerError.config(field: "tokenizer", message: "\(tokenizerName) has \(tokenizer.vocabSize) tokens, the model a vocabulary of \(m.config.vocabSize)")
        }
        try checkStamp(of: dir, tokenizer: tokenizer, tokenizerName: tokenizerName)
        return m
    }

    /// Refuses a tokenizer other than the one `dir` was trained with (when it records one).
    public static func checkStamp(of dir: String, tokenizer: any TokenEncoder, tokenizerName: String) throws {
        if let s = try PostTrainData.readStamp(dir), s.fingerprint != tokenizer.fingerprint {
            throw TrainerError.config(field: "tokenizer",
                                      message: "\(dir) was trained on shards from tokenizer \(s.fingerprint.prefix(16))…, not \(tokenizerName)")
        }
    }
}
