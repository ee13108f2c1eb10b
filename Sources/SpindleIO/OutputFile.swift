#if canImport(Glibc)
import Glibc
#endif

/// A buffered output stream to a file or standard output, compressed with zstd when asked.
///
/// Files are written atomically: bytes go to a hidden temporary name beside the target
/// (`.NAME.tmp-PID`) and are renamed onto the final name by `commit()`. An output that is never
/// committed — an error, a crash, a kill — leaves nothing under the final name, so a rerun
/// starts clean and earlier results are never half-overwritten. A device, FIFO or socket given as the
/// path (`-o /dev/null`, a named pipe) is written in place, never replaced (`OutputTarget`).
public final class OutputFile {
    /// The final path, or `<stdout>`.
    public let name: String
    public let compressed: Bool
    /// Uncompressed bytes written so far.
    public private(set) var bytesWritten = 0

    private let fd: Int32
    private let tempPath: String?
    private var buffer: UnsafeMutableRawBufferPointer
    private var used = 0
    private var encoder: ZstdEncoder?
    private var scratch: UnsafeMutableRawBufferPointer?
    private var finished = false

    /// Opens `path` (nil or "-" for stdout). `compress` nil means: by the `.zst` suffix.
    public init(path: String?, compress: Bool? = nil, level: Int32 = 3) throws {
        let toStdout = path == nil || path == "-"
        compressed = compress ?? (path?.hasSuffix(".zst") ?? false)
        if toStdout {
            name = "<stdout>"
            if compressed && isatty(1) != 0 {
                throw SystemError(path: name, operation: "write compressed data to a terminal (redirect it)", errno: ENOTTY)
            }
            fd = 1
            tempPath = nil
        } else if OutputTarget.isSpecial(path!) {
            name = path!
            fd = open(path!, O_WRONLY | O_CLOEXEC)
            if fd < 0 { throw SystemError(path: path!, operation: "open for writing", errno: errno) }
            tempPath = nil
        } else {
            name = path!
            let slash = path!.lastIndex(of: "/")
            let dir = slash.map { String(path![...$0]) } ?? ""
            let base = slash.map { String(path![path!.index(after: $0)...]) } ?? path!
            let temp = "\(dir).\(base).tmp-\(getpid())"
            fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            if fd < 0 { throw SystemError(path: path!, operation: "create", errno: errno) }
            tempPath = temp
            TemporaryFiles.register(temp)
        }
        buffer = .allocate(byteCount: 1 << 20, alignment: 64)
        if compressed {
            encoder = ZstdEncoder(level: level, workers: 0)
            scratch = .allocate(byteCount: 1 << 20, alignment: 64)
        }
    }

    deinit {
        if !finished, let tempPath {
            close(fd)
            unlink(tempPath)
            TemporaryFiles.unregister(tempPath)
        } else if !finished, fd != 1 {
            close(fd)
        }
        buffer.deallocate()
        scratch?.deallocate()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if bytes.count > buffer.count - used {
            try flushBuffer()
            if bytes.count >= buffer.count {
                try emit(bytes)
                bytesWritten += bytes.count
                return
            }
        }
        (buffer.baseAddress! + used).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        used += bytes.count
        bytesWritten += bytes.count
    }

    public func write(_ bytes: UnsafeBufferPointer<UInt8>) throws {
        try write(UnsafeRawBufferPointer(bytes))
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    public func write(_ string: String) throws {
        var s = string
        try s.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    public func writeByte(_ byte: UInt8) throws {
        if used == buffer.count { try flushBuffer() }
        buffer[used] = byte
        used += 1
        bytesWritten += 1
    }

    private func flushBuffer() throws {
        guard used > 0 else { return }
        try emit(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<used]))
        used = 0
    }

    private func emit(_ bytes: UnsafeRawBufferPointer) throws {
        if let encoder, let scratch {
            try encoder.compress(bytes, end: false, scratch: scratch) { try writeAll($0) }
        } else {
            try writeAll(bytes)
        }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError(path: name, operation: "write", errno: errno)
            }
            offset += n
        }
    }

    /// Flushes what is buffered (for stdout, so a downstream pipe sees progress).
    public func flush() throws {
        try flushBuffer()
    }

    /// Finishes the stream and, for a file, renames it onto its final name.
    public func commit() throws {
        guard !finished else { return }
        try flushBuffer()
        if let encoder, let scratch {
            try encoder.compress(UnsafeRawBufferPointer(start: nil, count: 0), end: true, scratch: scratch) { try writeAll($0) }
        }
        finished = true
        if let tempPath {
            if close(fd) != 0 { throw SystemError(path: name, operation: "close", errno: errno) }
            if rename(tempPath, name) != 0 {
                let e = errno
                unlink(tempPath)
                TemporaryFiles.unregister(tempPath)
                throw SystemError(path: name, operation: "rename the finished temporary file onto", errno: e)
            }
            TemporaryFiles.unregister(tempPath)
        } else if fd != 1 {
            if close(fd) != 0 { throw SystemError(path: name, operation: "close", errno: errno) }
        }
    }

    /// Writes a whole file atomically.
    public static func write(_ bytes: [UInt8], to path: String, compress: Bool? = nil) throws {
        let out = try OutputFile(path: path, compress: compress)
        try out.write(bytes)
        try out.commit()
    }
}

/// Temporary files still being written, removed if the process is interrupted (SIGINT, SIGTERM,
/// SIGPIPE), so an interrupted run leaves neither a final file nor litter.
public enum TemporaryFiles {
    // Why nonisolated(unsafe): written only under `lock`; the signal handler reads them after the process
    // stops doing anything else (it unlinks and exits), and a handler cannot take a lock.
    nonisolated(unsafe) private static var paths: [UnsafeMutablePointer<CChar>] = []
    private static let lock = NSLockLite()
    nonisolated(unsafe) private static var installed = false

    static func register(_ path: String) {
        lock.locked {
            paths.append(strdup(path))
            if !installed {
                installed = true
                acceptTerminationSignals()
                for sig in [SIGINT, SIGTERM, SIGHUP] {
                    // A signal the parent set to be ignored stays ignored (nohup's SIGHUP): the run goes on.
                    let previous = signal(sig, onSignal)
                    if unsafeBitCast(previous, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) { signal(sig, SIG_IGN) }
                }
            }
        }
    }

    /// Lets SIGINT, SIGTERM and SIGHUP reach this thread (and the threads it starts later) even when the
    /// parent spawned the process with them blocked, as Foundation's `Process` and some supervisors do:
    /// a blocked SIGTERM would leave a stalled run unstoppable but by SIGKILL. `spindle` calls it first thing.
    public static func acceptTerminationSignals() {
        var set = sigset_t()
        sigemptyset(&set)
        for sig in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&set, sig) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    static func unregister(_ path: String) {
        lock.locked {
            if let i = paths.firstIndex(where: { String(cString: $0) == path }) {
                free(paths[i])
                paths.remove(at: i)
            }
        }
    }

    /// Unlinks every registered temporary file, then dies of the same signal.
    private static let onSignal: @convention(c) (Int32) -> Void = { sig in
        for p in TemporaryFiles.paths { unlink(p) }
        signal(sig, SIG_DFL)
        raise(sig)
    }
}

/// A pthread mutex, so SpindleIO needs no Foundation for locking.
// Why @unchecked Sendable: a pthread mutex is made to be shared between threads; it is never moved.
final class NSLockLite: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }
    func locked<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body()
    }
}
