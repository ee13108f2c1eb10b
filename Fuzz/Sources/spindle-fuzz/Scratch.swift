// Scratch files for the parsers that read a path: each input is written to a private directory
// ($SPINDLE_FUZZ_SCRATCH, else /tmp/spindle-fuzz-PID) and overwritten by the next one.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum Scratch {
    /// The directory, created on first use.
    static let directory: String = {
        let env = getenv("SPINDLE_FUZZ_SCRATCH").map { String(cString: $0) }
        let dir = env.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp/spindle-fuzz-\(getpid())"
        makeDirectory(dir)
        return dir
    }()

    static func makeDirectory(_ path: String) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += part
            mkdir(prefix, 0o700)
            prefix += "/"
        }
    }

    /// A subdirectory of the scratch directory (for parsers that read a directory).
    static func subdirectory(_ name: String) -> String {
        let dir = directory + "/" + name
        mkdir(dir, 0o700)
        return dir
    }

    /// Writes `bytes` to `directory/name` (replacing it) and returns the path.
    @discardableResult
    static func put<C: Collection>(_ bytes: C, to name: String, in dir: String = directory) -> String
    where C.Element == UInt8 {
        let path = dir + "/" + name
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        precondition(fd >= 0, "spindle-fuzz: cannot write scratch file \(path)")
        defer { close(fd) }
        let array = Array(bytes)
        array.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = write(fd, raw.baseAddress! + done, raw.count - done)
                precondition(n > 0, "spindle-fuzz: short write to \(path)")
                done += n
            }
        }
        return path
    }

    /// Removes `dir/name` if present.
    static func remove(_ name: String, in dir: String) { unlink(dir + "/" + name) }
}
