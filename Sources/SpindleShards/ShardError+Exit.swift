import SpindleIO

// Exit codes of the shard errors (the CLI reports every `SpindleError` the same way).

extension ShardError: SpindleError {
    public var exitCode: Int32 {
        switch self {
        case .io, .outputExists: return ExitStatus.ioError
        case .missingIndex: return ExitStatus.noInput
        default: return ExitStatus.dataError
        }
    }
}

extension ChatTemplateError: SpindleError {
    public var exitCode: Int32 { ExitStatus.dataError }
}
