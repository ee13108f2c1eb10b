#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The exit codes Spindle documents (sysexits.h): what a script calling `spindle` can branch on.
public enum ExitStatus {
    public static let success: Int32 = 0
    /// Bad command line: an unknown flag, a missing argument, values that contradict each other.
    public static let usage: Int32 = 64
    /// The input is there but wrong: a bad record, a corrupt model or shard file, an invalid config.
    public static let dataError: Int32 = 65
    /// An input file or directory does not exist.
    public static let noInput: Int32 = 66
    /// The system failed around the data: a file that cannot be created, written, renamed or read.
    public static let ioError: Int32 = 74

    /// 66 when `path` does not exist, 74 when it does (it exists, so reading or writing it failed).
    public static func missingOrIO(_ path: String) -> Int32 {
        access(path, F_OK) == 0 ? ioError : noInput
    }
}

/// The one error model: every module's error types conform, so the CLI reports any of them the same
/// way — one line on stderr (`spindle COMMAND: description`) and `exitCode`.
public protocol SpindleError: Error, CustomStringConvertible {
    /// One of `ExitStatus`'s codes.
    var exitCode: Int32 { get }
}

extension InputError: SpindleError {
    public var exitCode: Int32 { kind == .io ? ExitStatus.ioError : ExitStatus.dataError }
}

extension SystemError: SpindleError {
    /// A file that is not there when Spindle opens it to read is missing input (66); every other
    /// failure, creating an output in a missing directory included, is an I/O failure (74).
    public var exitCode: Int32 {
        let reading = operation.hasPrefix("open")
        return reading && (errno == ENOENT || errno == ENOTDIR) ? ExitStatus.noInput : ExitStatus.ioError
    }
}
