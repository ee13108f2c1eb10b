import CZlib
import CZstd

/// How a byte stream is compressed, told by its first bytes.
public enum Compression: String, Sendable {
    case none, zstd, gzip

    /// Sniffs the magic number: zstd `28 B5 2F FD`, gzip `1F 8B`.
    public static func detect(_ head: UnsafeRawBufferPointer) -> Compression {
        if head.count >= 4, head[0] == 0x28, head[1] == 0xB5, head[2] == 0x2F, head[3] == 0xFD { return .zstd }
        if head.count >= 2, head[0] == 0x1F, head[1] == 0x8B { return .gzip }
        return .none
    }
}

/// A pull decoder: fed compressed bytes, it fills an output buffer.
protocol StreamDecoder: AnyObject {
    /// Decodes from `input` into `output`; returns (consumed, produced).
    func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws(InputError) -> (Int, Int)
    /// True when the last frame seen is complete (so end of input here is a clean end).
    var atFrameBoundary: Bool { get }
}

/// libzstd streaming decompression (`ZSTD_decompressStream`); concatenated frames are read on.
final class ZstdDecoder: StreamDecoder {
    private let stream: OpaquePointer
    private(set) var atFrameBoundary = true
    let name: String

    init(name: String) {
        self.name = name
        stream = ZSTD_createDStream()
        ZSTD_initDStream(stream)
    }

    deinit { ZSTD_freeDStream(stream) }

    func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws(InputError) -> (Int, Int) {
        var inb = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        var outb = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let r = ZSTD_decompressStream(stream, &outb, &inb)
        if ZSTD_isError(r) != 0 {
            throw InputError(.truncated, file: name, "corrupt zstd data: \(String(cString: ZSTD_getErrorName(r)))")
        }
        atFrameBoundary = (r == 0)
        return (inb.pos, outb.pos)
    }
}

/// zlib inflate with gzip headers (`inflateInit2(…, 16 + MAX_WBITS)`); multi-member files read on.
final class GzipDecoder: StreamDecoder {
    private var stream = z_stream()
    private(set) var atFrameBoundary = true
    let name: String

    init(name: String) {
        self.name = name
        _ = spindle_inflateInit2(&stream, 16 + MAX_WBITS)
    }

    deinit { inflateEnd(&stream) }

    func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws(InputError) -> (Int, Int) {
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = UInt32(input.count)
        stream.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = UInt32(output.count)
        let r = inflate(&stream, Z_NO_FLUSH)
        let consumed = input.count - Int(stream.avail_in)
        let produced = output.count - Int(stream.avail_out)
        switch r {
        case Z_STREAM_END:
            atFrameBoundary = true
            inflateReset(&stream)
        case Z_OK, Z_BUF_ERROR:
            if consumed > 0 || produced > 0 { atFrameBoundary = false }
        default:
            throw InputError(.truncated, file: name, "corrupt gzip data (zlib error \(r))")
        }
        return (consumed, produced)
    }
}

/// libzstd streaming compression (`ZSTD_compressStream2`), using libzstd's worker threads when asked.
final class ZstdEncoder {
    private let stream: OpaquePointer

    init(level: Int32, workers: Int32) {
        stream = ZSTD_createCStream()
        ZSTD_CCtx_setParameter(stream, ZSTD_c_compressionLevel, level)
        if workers > 0 { ZSTD_CCtx_setParameter(stream, ZSTD_c_nbWorkers, workers) }
    }

    deinit { ZSTD_freeCStream(stream) }

    /// Compresses `input`; `end` flushes and closes the frame. `emit` receives compressed bytes.
    func compress(_ input: UnsafeRawBufferPointer, end: Bool, scratch: UnsafeMutableRawBufferPointer,
                  emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        var inb = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        while true {
            var outb = ZSTD_outBuffer(dst: scratch.baseAddress, size: scratch.count, pos: 0)
            let remaining = ZSTD_compressStream2(stream, &outb, &inb, end ? ZSTD_e_end : ZSTD_e_continue)
            if ZSTD_isError(remaining) != 0 {
                throw InputError(.io, file: "<zstd>", String(cString: ZSTD_getErrorName(remaining)))
            }
            if outb.pos > 0 { try emit(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(scratch)[0..<outb.pos])) }
            let done = end ? remaining == 0 : inb.pos == inb.size
            if done { return }
        }
    }
}
