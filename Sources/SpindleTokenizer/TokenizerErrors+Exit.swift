import SpindleIO

// Exit codes of the tokenizer's errors (the CLI reports every `SpindleError` the same way): a model
// file that is missing is missing input (66), one that does not parse is bad data (65).

extension ModelProtoError: SpindleError {
    public var exitCode: Int32 {
        switch self {
        case .wire, .invalidModel: return ExitStatus.dataError
        case let .io(_, file): return ExitStatus.missingOrIO(file)
        }
    }
}

extension ProtoWireError: SpindleError {
    public var exitCode: Int32 { ExitStatus.dataError }
}

extension TokenizerError: SpindleError {
    public var exitCode: Int32 { ExitStatus.dataError }
}

extension TrainingError: SpindleError {
    public var exitCode: Int32 { ExitStatus.dataError }
}

extension TrainingInputError: SpindleError {
    /// A bad line is bad data; a file that cannot be read is missing (66) or failing (74).
    public var exitCode: Int32 { line != nil ? ExitStatus.dataError : ExitStatus.missingOrIO(file) }
}


