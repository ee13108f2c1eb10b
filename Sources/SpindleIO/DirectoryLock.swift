// DirectoryLock.swift: one writer per output directory. A second `spindle pack` or `spindle train`
// into a directory another process is writing would interleave shards or checkpoints; it is refused.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// An exclusive `flock` on `PARENT/.NAME.lock`, held while this value lives and removed after. The
/// kernel drops the lock when the process ends however it ends, so a killed run leaves no stale lock
/// (only the small file, which the next run takes over).
/// Taking the lock again in the same process (a stage that calls another on the same directory)
/// shares the first hold.
public final class DirectoryLock: Sendable {
    public let directory: String
    private let path: String

    /// Locks `directory` for writing, or throws `DirectoryBusy` naming the process holding it.
    public init(_ directory: String) throws {
        self.directory = directory
        let trimmed = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
        let slash = trimmed.lastIndex(of: "/")
        let parent = slash.map { String(trimmed[..<$0]) } ?? "."
        let name = slash.map { String(trimmed[trimmed.index(after: $0)...]) } ?? trimmed
        path = (parent.isEmpty ? "" : parent) + "/." + name + ".lock"
        try Self.held.withLock { held throws in
            if let entry = held[path] { held[path] = (entry.fd, entry.count + 1); return }
            _ = mkdir(parent.isEmpty ? "/" : parent, 0o755)
            held[path] = (try Self.acquire(path, directory: directory), 1)
        }
    }

    deinit {
        Self.held.withLock { held in
            guard let entry = held[path] else { return }
            if entry.count > 1 { held[path] = (entry.fd, entry.count - 1); return }
            unlink(path)      // while still locked: a process that opened it meanwhile sees it vanish and retries
            close(entry.fd)   // releases the flock
            held[path] = nil
        }
    }

    /// Opens and locks the file at `path`, retrying when it was removed between the open and the lock
    /// (then the lock was taken on a file nobody else will open).
    private static func acquire(_ path: String, directory: String) throws -> Int32 {
        while true {
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw SystemError(path: path, operation: "create the lock file", errno: errno) }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                var buf = [UInt8](repeating: 0, count: 32)
                let n = pread(fd, &buf, 31, 0)
                close(fd)
                throw DirectoryBusy(directory: directory, holder: n > 0 ? String(decoding: buf[0..<n], as: UTF8.self) : "?")
            }
            var mine = stat(), there = stat()
            if fstat(fd, &mine) == 0, stat(path, &there) == 0, mine.st_ino == there.st_ino, mine.st_dev == there.st_dev {
                let me = Array("\(getpid())".utf8)
                _ = ftruncate(fd, 0)
                _ = pwrite(fd, me, me.count, 0)
                return fd
            }
            close(fd)
        }
    }

    /// Locks this process holds: lock-file path -> (descriptor, holders). Why a process-wide table: a
    /// `flock` belongs to an open file description, so a second open of the same file in this process
    /// would conflict with the first; holders in one process share the first descriptor instead.
    private static let held = Mutex<[String: (fd: Int32, count: Int)]>([:])
}

/// Another process holds the directory's lock (exit 74: the output cannot be written now).
public struct DirectoryBusy: SpindleError, Sendable {
    public var directory: String
    public var holder: String
    public var description: String {
        "\(directory): being written by another spindle process (pid \(holder)); wait for it or choose another output"
    }
    public var exitCode: Int32 { ExitStatus.ioError }
}
