// OutputTarget.swift: what an output path names before anything is written to it. A regular file (or a
// new name) is written atomically through a temporary beside it; a device, FIFO or socket is written in
// place — renaming a temporary onto /dev/null would replace the device node with a regular file.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum OutputTarget {
    /// True when `path` exists and is a character or block device, a FIFO or a socket.
    public static func isSpecial(_ path: String) -> Bool {
        var st = stat()
        guard stat(path, &st) == 0 else { return false }
        let type = st.st_mode & S_IFMT
        return type == S_IFCHR || type == S_IFBLK || type == S_IFIFO || type == S_IFSOCK
    }

    /// Refuses an existing regular file named as an output unless `overwrite`: nothing a user already has
    /// is replaced without asking (exit 64, before any work starts). A new name, standard output ("-" or
    /// nil), a device, a FIFO and a socket are never refused — those are written in place. A symbolic link
    /// is judged by what it points to.
    public static func checkFresh(_ path: String?, overwrite: Bool) throws(UsageError) {
        guard !overwrite, let path, path != "-" else { return }
        var st = stat()
        guard stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return }
        throw UsageError("\(path) exists: pass --overwrite to replace it")
    }

    /// Refuses an existing directory named as an output (a shard directory) unless it is empty or
    /// `overwrite`: an earlier run's results, finished or not, or unrelated files are never mixed with
    /// or replaced by a new run's without asking. A missing directory is created by the writer.
    public static func checkFreshDirectory(_ path: String, overwrite: Bool) throws(UsageError) {
        guard !overwrite, let dir = opendir(path) else { return }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." {
                throw UsageError("\(path) exists and is not empty: pass --overwrite to replace it")
            }
        }
    }

    /// Refuses an output that is one of the inputs (same device and inode, however the path is spelled):
    /// writing it would destroy the data being read. `option` names the flag in the message.
    public static func checkDistinct(_ output: String?, option: String, from inputs: [String]) throws(UsageError) {
        guard let output, output != "-", let out = identity(output) else { return }
        for input in inputs where input != "-" {
            if let i = identity(input), i == out {
                throw UsageError("\(option) \(output) is the input \(input): it would be overwritten while being read")
            }
        }
    }

    private struct Identity: Equatable { var device: UInt64; var inode: UInt64 }

    private static func identity(_ path: String) -> Identity? {
        var st = stat()
        guard stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
        return Identity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }
}

/// A command line that cannot be run as given (exit 64), found after parsing: values that contradict
/// each other or the files they name.
public struct UsageError: SpindleError, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var exitCode: Int32 { ExitStatus.usage }
}
