import SpindleIO

// Exit codes of the trainer's errors (the CLI reports every `SpindleError` the same way).

extension TrainerError: SpindleError {
    /// 64 for a config that cannot run, 65 for bad data or model files and for a run that diverged
    /// (a NaN/Inf loss or gradient), 66 for a missing input,
    /// 74 for an input that is there but cannot be read.
    public var exitCode: Int32 {
        switch self {
        case .config: return ExitStatus.usage
        case .data, .format, .diverged: return ExitStatus.dataError
        case let .io(file, _): return ExitStatus.missingOrIO(file)
        }
    }
}
