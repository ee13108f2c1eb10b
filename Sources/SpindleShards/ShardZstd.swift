import CZstd

// zstd for `.mds.zstd` shards (streaming's `zstd` compression: one frame, content size in the header).
// Writing compresses a whole shard in one call; reading decompresses in bounded chunks (ZstdDecoder),
// so a forged size or a zstd bomb is stopped before it is allocated.

enum ShardZstd {
    /// Compresses `data` into one zstd frame at `level` (streaming's default level is 3). Deterministic:
    /// single-threaded, content size recorded.
    static func compress(_ data: [UInt8], level: Int32) throws(ShardError) -> [UInt8] {
        let bound = ZSTD_compressBound(data.count)
        var out = [UInt8](repeating: 0, count: bound)
        let written = out.withUnsafeMutableBytes { dst in
            data.withUnsafeBytes { src in
                ZSTD_compress(dst.baseAddress, bound, src.baseAddress, src.count, level)
            }
        }
        if ZSTD_isError(written) != 0 {
            throw .io(path: "<zstd>", message: "compression failed: " + String(cString: ZSTD_getErrorName(written)))
        }
        out.removeSubrange(written...)
        return out
    }

    /// Checks the first bytes of a `.mds.zstd` file: the zstd magic number and, when the frame header
    /// declares its content size, that it does not exceed the `maxSize` index.json records.
    static func checkHeader(_ head: UnsafeRawBufferPointer, path: String, maxSize: Int) throws(ShardError) {
        guard head.count >= 4, head[0] == 0x28, head[1] == 0xB5, head[2] == 0x2F, head[3] == 0xFD else {
            throw .corrupt(path: path, offset: 0, reason: "not a zstd frame (bad magic number)")
        }
        let declared = ZSTD_getFrameContentSize(head.baseAddress, head.count)
        // ZSTD_CONTENTSIZE_UNKNOWN = UInt64.max, ZSTD_CONTENTSIZE_ERROR = UInt64.max - 1
        if declared == UInt64.max - 1 {
            throw .corrupt(path: path, offset: 0, reason: "invalid zstd frame header")
        }
        if declared != UInt64.max && declared > UInt64(maxSize) {
            throw .sizeClaim(path: path, field: "raw_data.bytes",
                             reason: "the zstd frame declares \(declared) bytes, more than the \(maxSize) index.json records")
        }
    }
}

/// Streaming zstd decompression through one fixed output buffer: compressed chunks go in, decompressed
/// chunks of at most `outputSize` bytes come out, so no claim (index.json's or the frame's) decides
/// how much is allocated. Handles concatenated frames.
final class ZstdDecoder {
    let path: String
    private let ctx: OpaquePointer
    private let out: UnsafeMutableRawBufferPointer
    /// Compressed bytes consumed so far (the offset errors report).
    private(set) var consumed = 0
    /// zstd's last hint: 0 when the last frame is complete.
    private var remaining = 0

    init(path: String, outputSize: Int = 1 << 20) throws(ShardError) {
        guard let ctx = ZSTD_createDCtx() else { throw .io(path: path, message: "zstd: out of memory") }
        // Frames needing a window above 128 MiB are refused (zstd's default, stated: the window is
        // the decoder's own allocation).
        ZSTD_DCtx_setParameter(ctx, ZSTD_d_windowLogMax, 27)
        self.ctx = ctx
        self.path = path
        self.out = .allocate(byteCount: outputSize, alignment: 16)
    }

    deinit {
        ZSTD_freeDCtx(ctx)
        out.deallocate()
    }

    /// Decompresses `input` whole, handing each produced chunk to `emit` (which may throw to stop).
    func feed(_ input: UnsafeRawBufferPointer, _ emit: (UnsafeRawBufferPointer) throws(ShardError) -> Void) throws(ShardError) {
        var inBuf = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        var full = false
        repeat {
            var outBuf = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
            let before = inBuf.pos
            let ret = ZSTD_decompressStream(ctx, &outBuf, &inBuf)
            consumed += inBuf.pos - before
            if ZSTD_isError(ret) != 0 {
                throw .corrupt(path: path, offset: consumed, reason: "zstd: " + String(cString: ZSTD_getErrorName(ret)))
            }
            remaining = ret
            if outBuf.pos > 0 { try emit(UnsafeRawBufferPointer(rebasing: out[0..<outBuf.pos])) }
            full = outBuf.pos == outBuf.size
        } while inBuf.pos < inBuf.size || full
    }

    /// After the last chunk: the last frame must be complete.
    func finish() throws(ShardError) {
        if remaining != 0 { throw .truncated(path: path, reason: "the zstd frame ends early") }
    }
}
