#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A byte stream read from a file or standard input, decompressed on the fly.
///
/// `nil` or `"-"` is standard input. zstd and gzip are recognised by their magic numbers (so a `.zst`
/// file and a zstd stream piped in both work); a file named `*.zst` that is not zstd is an error.
/// A stream that ends inside a compressed frame is reported as truncated, never silently cut.
public final class InputFile {
    /// The path as given, or `<stdin>` (or `stdinLabel.name`): what error messages name.
    public let name: String
    /// Whether this is standard input.
    public let isStdin: Bool

    /// What standard input is called in messages and position-derived ids, and the number of its first
    /// line: `--stdin-name`/`--stdin-line`, for a run of lines cut from a larger file and piped in
    /// (spindle-ray), so that errors and ingest ids name the original file and line.
    public struct StdinLabel: Sendable, Equatable {
        public var name: String
        public var firstLine: Int
        public init(name: String = "<stdin>", firstLine: Int = 1) { self.name = name; self.firstLine = firstLine }
    }
    /// Set once by the command line before any input is opened, read only after that: no concurrent access.
    nonisolated(unsafe) public static var stdinLabel = StdinLabel()
    public let compression: Compression
    /// Bytes taken from the underlying file so far (compressed size), for progress and rates.
    public private(set) var rawBytesRead = 0

    private let fd: Int32
    private let ownsFD: Bool
    private var decoder: (any StreamDecoder)?
    // Raw (possibly compressed) bytes read ahead of the decoder.
    private var raw: UnsafeMutableRawBufferPointer
    private var rawStart = 0
    private var rawEnd = 0
    private var rawEOF = false

    /// Opens `path` (nil or "-" for stdin) and sniffs its compression.
    public init(path: String?) throws {
        if path == nil || path == "-" {
            name = Self.stdinLabel.name
            isStdin = true
            fd = 0
            ownsFD = false
        } else {
            name = path!
            isStdin = false
            fd = open(path!, O_RDONLY | O_CLOEXEC)
            if fd < 0 { throw SystemError(path: path!, operation: "open for reading", errno: errno) }
            ownsFD = true
        }
        raw = .allocate(byteCount: 1 << 20, alignment: 64)
        // Sniff: read until we have 4 bytes or EOF.
        var head = 0
        var eof = false
        while head < 4 {
            let n = Glibc.read(fd, raw.baseAddress! + head, raw.count - head)
            if n < 0 { if errno == EINTR { continue }; throw SystemError(path: name, operation: "read", errno: errno) }
            if n == 0 { eof = true; break }
            head += n
        }
        rawEnd = head
        rawEOF = eof
        rawBytesRead = head
        compression = Compression.detect(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(raw)[0..<head]))
        switch compression {
        case .zstd: decoder = ZstdDecoder(name: name)
        case .gzip: decoder = GzipDecoder(name: name)
        case .none:
            if !isStdin && name.hasSuffix(".zst") && head > 0 {
                throw InputError(.format, file: name, "named .zst but does not start with the zstd magic number")
            }
        }
    }

    deinit {
        ahead?.stop()
        raw.deallocate()
        if ownsFD { close(fd) }
    }

    /// Fills the raw buffer from the file; false at end of file.
    private func refill() throws -> Bool {
        if rawEOF { return false }
        if rawStart == rawEnd { rawStart = 0; rawEnd = 0 }
        if rawEnd == raw.count {
            // Move the unread tail to the front.
            let live = rawEnd - rawStart
            raw.baseAddress!.copyMemory(from: raw.baseAddress! + rawStart, byteCount: live)
            rawStart = 0
            rawEnd = live
        }
        while true {
            let n = Glibc.read(fd, raw.baseAddress! + rawEnd, raw.count - rawEnd)
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError(path: name, operation: "read", errno: errno)
            }
            if n == 0 { rawEOF = true; return false }
            rawEnd += n
            rawBytesRead += n
            return true
        }
    }

    /// Decompression runs ahead on its own thread (libzstd decodes at ~250-400 MB/s here, about
    /// what a stage spends parsing), so the two overlap on the machine's two cores.
    private var ahead: ReadAhead?

    /// Reads up to `buffer.count` decoded bytes; 0 means the end of the stream.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        if decoder != nil {
            if ahead == nil { ahead = ReadAhead(self) }
            return try ahead!.read(into: buffer)
        }
        return try readDirect(into: buffer)
    }

    /// The decoding read itself, on whichever thread calls it.
    fileprivate func readDirect(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let decoder else {
            if rawStart < rawEnd {
                let n = min(buffer.count, rawEnd - rawStart)
                buffer.baseAddress!.copyMemory(from: raw.baseAddress! + rawStart, byteCount: n)
                rawStart += n
                return n
            }
            if rawEOF { return 0 }
            while true {
                let n = Glibc.read(fd, buffer.baseAddress!, buffer.count)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw SystemError(path: name, operation: "read", errno: errno)
                }
                if n == 0 { rawEOF = true }
                rawBytesRead += n
                return n
            }
        }
        while true {
            if rawStart < rawEnd {
                let input = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(raw)[rawStart..<rawEnd])
                let (used, made) = try decoder.decode(input, into: buffer)
                rawStart += used
                if made > 0 { return made }
                if used > 0 { continue }
            } else if decoder.atFrameBoundary == false {
                // The decoder may still hold output from input it already consumed.
                let (_, made) = try decoder.decode(UnsafeRawBufferPointer(start: nil, count: 0), into: buffer)
                if made > 0 { return made }
            }
            if try !refill() {
                if rawStart < rawEnd { continue }
                if !decoder.atFrameBoundary {
                    throw InputError(.truncated, file: name, "the \(compression.rawValue) stream ends inside a frame (truncated file?)")
                }
                return 0
            }
        }
    }

    /// Reads the whole (decoded) stream into memory.
    public func readAll() throws -> [UInt8] {
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = try chunk.withUnsafeMutableBytes { try read(into: $0) }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
        }
    }

    /// Reads a whole file (or stdin), decompressing as needed.
    public static func readAll(path: String?) throws -> [UInt8] {
        try InputFile(path: path).readAll()
    }
}

/// A producer thread that fills a small ring of chunks from `InputFile.readDirect`.
private final class ReadAhead {
    private let chunkSize = 1 << 20
    private let slots = 4
    private var chunks: [UnsafeMutableRawBufferPointer]
    private var lengths: [Int]
    private var head = 0          // next chunk the consumer reads
    private var filled = 0        // chunks ready
    private var offset = 0        // consumer position inside chunks[head]
    private var finished = false  // producer reached the end (or failed)
    private var failure: Error?
    private var stopping = false
    private var mutex = pthread_mutex_t()
    private var changed = pthread_cond_t()
    private var thread = pthread_t()
    // The file outlives this object: its deinit joins the thread before anything is freed.
    private unowned(unsafe) let file: InputFile

    init(_ file: InputFile) {
        self.file = file
        chunks = (0..<slots).map { _ in .allocate(byteCount: 1 << 20, alignment: 64) }
        lengths = Array(repeating: 0, count: slots)
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&changed, nil)
        let me = Unmanaged.passRetained(self).toOpaque()
        pthread_create(&thread, nil, { arg in
            let this = Unmanaged<ReadAhead>.fromOpaque(arg!).takeRetainedValue()
            this.produce()
            return nil
        }, me)
    }

    private func produce() {
        var tail = 0
        while true {
            pthread_mutex_lock(&mutex)
            while filled == slots && !stopping { pthread_cond_wait(&changed, &mutex) }
            let stop = stopping
            pthread_mutex_unlock(&mutex)
            if stop { break }
            var n = 0
            var error: Error?
            do {
                // Fill the chunk as far as the stream allows, so chunks stay large.
                while n < chunkSize {
                    let got = try file.readDirect(into: UnsafeMutableRawBufferPointer(rebasing: chunks[tail][n...]))
                    if got == 0 { break }
                    n += got
                }
            } catch let e { error = e }
            pthread_mutex_lock(&mutex)
            lengths[tail] = n
            if n > 0 { filled += 1; tail = (tail + 1) % slots }
            if n < chunkSize || error != nil { finished = true; failure = error }
            pthread_cond_broadcast(&changed)
            pthread_mutex_unlock(&mutex)
            if finished { break }
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        pthread_mutex_lock(&mutex)
        while filled == 0 && !finished { pthread_cond_wait(&changed, &mutex) }
        if filled == 0 {
            let f = failure
            pthread_mutex_unlock(&mutex)
            if let f { throw f }
            return 0
        }
        pthread_mutex_unlock(&mutex)
        // Only the consumer touches chunks[head] while filled > 0.
        let available = lengths[head] - offset
        let n = min(available, buffer.count)
        buffer.baseAddress!.copyMemory(from: chunks[head].baseAddress! + offset, byteCount: n)
        offset += n
        if offset == lengths[head] {
            pthread_mutex_lock(&mutex)
            offset = 0
            head = (head + 1) % slots
            filled -= 1
            pthread_cond_broadcast(&changed)
            pthread_mutex_unlock(&mutex)
        }
        return n
    }

    /// Asks the producer to stop and waits for it (the file is closing).
    func stop() {
        pthread_mutex_lock(&mutex)
        stopping = true
        pthread_cond_broadcast(&changed)
        pthread_mutex_unlock(&mutex)
        pthread_join(thread, nil)
    }

    deinit {
        for c in chunks { c.deallocate() }
        pthread_cond_destroy(&changed)
        pthread_mutex_destroy(&mutex)
    }
}
