import CZstd

// Whole-buffer zstd for `.mds.zstd` shards (streaming's `zstd` compression: one frame, content size in
// the header). Shards are bounded by the size limit, so one-shot calls are the simple, fast choice.

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

    /// Decompresses one or more frames. The declared content size must not exceed `maxSize`, so a
    /// corrupt header cannot make us allocate gigabytes.
    static func decompress(_ data: [UInt8], path: String, maxSize: Int) throws(ShardError) -> [UInt8] {
        guard data.count >= 4, data[0] == 0x28, data[1] == 0xB5, data[2] == 0x2F, data[3] == 0xFD else {
            throw .corrupt(path: path, offset: 0, reason: "not a zstd frame (bad magic number)")
        }
        let declared = data.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
        // ZSTD_CONTENTSIZE_UNKNOWN = UInt64.max, ZSTD_CONTENTSIZE_ERROR = UInt64.max - 1
        if declared == UInt64.max - 1 {
            throw .corrupt(path: path, offset: 0, reason: "invalid zstd frame header")
        }
        if declared != UInt64.max {
            guard declared <= UInt64(maxSize) else {
                throw .corrupt(path: path, offset: 0, reason: "zstd frame declares \(declared) bytes, more than the \(maxSize) index.json records")
            }
        }
        // Stream-decompress into a growing buffer, bounded by maxSize.
        guard let ctx = ZSTD_createDStream() else { throw .io(path: path, message: "zstd: out of memory") }
        defer { ZSTD_freeDStream(ctx) }
        ZSTD_initDStream(ctx)
        var out = [UInt8]()
        // Reserve what the frame declares, within reason: the size is checked as the data arrives.
        out.reserveCapacity(min(declared != UInt64.max ? Int(declared) : data.count * 4, maxSize, 1 << 28))
        var chunk = [UInt8](repeating: 0, count: 1 << 17)
        var lastRet = 0
        var failure: String? = nil
        var tooBig = false
        data.withUnsafeBytes { src in
            var input = ZSTD_inBuffer(src: src.baseAddress, size: src.count, pos: 0)
            while true {
                let (ret, produced) = chunk.withUnsafeMutableBytes { dst -> (Int, Int) in
                    var output = ZSTD_outBuffer(dst: dst.baseAddress, size: dst.count, pos: 0)
                    let r = ZSTD_decompressStream(ctx, &output, &input)
                    return (r, output.pos)
                }
                if ZSTD_isError(ret) != 0 { failure = String(cString: ZSTD_getErrorName(ret)); return }
                lastRet = ret
                out.append(contentsOf: chunk[0..<produced])
                if out.count > maxSize { tooBig = true; return }
                if input.pos == input.size && produced < chunk.count { return }
            }
        }
        if let failure { throw .corrupt(path: path, offset: 0, reason: "zstd: \(failure)") }
        if tooBig { throw .corrupt(path: path, offset: 0, reason: "decompresses to more than the \(maxSize) bytes index.json records") }
        if lastRet != 0 { throw .truncated(path: path, reason: "the zstd frame ends early") }
        return out
    }
}
