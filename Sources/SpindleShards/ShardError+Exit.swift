import SpindleIO

// Exit codes of the shard errors (the CLI reports every `SpindleError` the same way).

extension ShardError: SpindleError {
    /// A path that is not there is missing input (66); one that is there but fails is I/O (74).
    public var exitCode: Int32 {
        switch self {
        case let .io(path, _): return ExitStatus.missingOrIO(path)
        case .outputExists: return ExitStatus.ioError
        case .missingIndex: return ExitStatus.noInput
        default: return ExitStatus.dataError
        }
    }
}

extension ChatTemplateError: SpindleError {
    public var exitCode: Int32 { ExitStatus.dataError }
}
