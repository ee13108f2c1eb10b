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
    /// The path as given, or `<stdin>`: what error messages name.
    public let name: String
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
            name = "<stdin>"
            fd = 0
            ownsFD = false
        } else {
            name = path!
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
            if name.hasSuffix(".zst") && head > 0 {
                throw InputError(.format, file: name, "named .zst but does not start with the zstd magic number")
            }
        }
    }

    deinit {
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

    /// Reads up to `buffer.count` decoded bytes; 0 means the end of the stream.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
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
