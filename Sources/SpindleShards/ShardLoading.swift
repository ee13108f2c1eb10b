// Loading one shard file into memory with its sizes and hashes checked as the bytes stream in: a raw
// `.mds` is read into a buffer sized by the file on disk (which must match index.json) and hashed chunk
// by chunk as it arrives; a `.mds.zstd` is read and decompressed in bounded chunks and stopped the
// moment its output passes `raw_data.bytes`. When hashes are checked, a zstd shard is first verified
// in a pass that keeps nothing, then decompressed into a buffer of its verified size; unverified, the
// output grows only as decompressed bytes really arrive (never reserved from index.json's claim).

enum ShardLoading {
    /// zstd cannot plausibly expand a file by more than this (`raw_data.bytes` / compressed size).
    /// Real shards stay far below: rows of seq_len 4096 holding one ~10-token example each, the most
    /// padding a packer can produce, compress ~770x at level 19; compressed zeros (a zstd bomb) reach
    /// ~32,000x. Seq_len 32768 with the same padding would reach ~6,000x.
    static let maxRatio = 8192
    /// A small file may always decompress to this much (tiny shards do not compress well either way).
    static let slack = 1 << 20

    /// The most `raw_data.bytes` a compressed file of `compressed` bytes may claim.
    static func plausibleRawBytes(compressed: Int) -> Int {
        let (r, overflow) = compressed.multipliedReportingOverflow(by: maxRatio)
        return overflow ? Int.max : r + slack
    }

    /// Reads a raw `.mds` file, checking its size and (with `verify`) hashes against `info`.
    static func raw(_ path: String, info: MDSFileInfo, verify: Bool) throws(ShardError) -> [UInt8] {
        try checkSize(path, info: info, field: "raw_data")
        var digests = ShardDigests(info, field: "raw_data", path: path, enabled: verify)
        let bytes = try ShardFiles.read(path, limit: info.bytes) { digests.update($0) }
        try checkCount(bytes.count, path, info: info, field: "raw_data")
        try digests.check()
        return bytes
    }

    /// Reads and decompresses a `.mds.zstd` file, checking both files' sizes and (with `verify`) hashes.
    /// With `verify` a first pass checks everything keeping nothing (bounded buffers only), and only a
    /// file that passed is decompressed into memory: no claim, true or false, allocates before that.
    static func zstd(_ path: String, zip: MDSFileInfo, raw: MDSFileInfo, verify: Bool) throws(ShardError) -> [UInt8] {
        let onDisk = try checkSize(path, info: zip, field: "zip_data")
        let bound = plausibleRawBytes(compressed: onDisk)
        guard raw.bytes <= bound else {
            throw .sizeClaim(path: path, field: "raw_data.bytes",
                             reason: "index.json records \(raw.bytes) bytes for a \(onDisk)-byte zstd file, more than the \(bound) "
                                 + "it can plausibly hold (\(maxRatio)x); refused before allocating")
        }
        guard verify else { return try decode(path, zip: zip, raw: raw, hashes: false, keep: true) }
        _ = try decode(path, zip: zip, raw: raw, hashes: true, keep: false)
        return try decode(path, zip: zip, raw: raw, hashes: false, keep: true, reserve: raw.bytes)
    }

    /// One streaming pass over a `.mds.zstd` file: sizes always, hashes when asked; the output is kept
    /// (growing only as bytes arrive, from `reserve`) or only counted.
    private static func decode(_ path: String, zip: MDSFileInfo, raw: MDSFileInfo, hashes: Bool, keep: Bool,
                               reserve: Int = 4 * ShardFiles.chunkSize) throws(ShardError) -> [UInt8] {
        var zipDigests = ShardDigests(zip, field: "zip_data", path: path, enabled: hashes)
        var rawDigests = ShardDigests(raw, field: "raw_data", path: path + " (decompressed)", enabled: hashes)
        let decoder = try ZstdDecoder(path: path)
        var out: [UInt8] = []
        if keep { out.reserveCapacity(min(raw.bytes, reserve)) }
        var read = 0, produced = 0
        var failure: ShardError?
        try ShardFiles.stream(path) { (chunk: UnsafeRawBufferPointer) throws(ShardError) in
            read += chunk.count
            guard read <= zip.bytes else {
                throw .sizeClaim(path: path, field: "zip_data.bytes", reason: "the file grew past the \(zip.bytes) bytes index.json records")
            }
            zipDigests.update(chunk)
            guard failure == nil else { return }  // only hashing the rest, to name the root cause
            do throws(ShardError) {
                if read == chunk.count { try ShardZstd.checkHeader(chunk, path: path, maxSize: raw.bytes) }
                try decoder.feed(chunk) { (piece: UnsafeRawBufferPointer) throws(ShardError) in
                    guard piece.count <= raw.bytes - produced else {
                        throw .sizeClaim(path: path, field: "raw_data.bytes",
                                         reason: "decompresses to more than the \(raw.bytes) bytes index.json records (stopped at \(produced + piece.count))")
                    }
                    produced += piece.count
                    rawDigests.update(piece)
                    if keep { append(piece, to: &out, bound: raw.bytes) }
                }
            } catch {
                // Without hashes to check, stop now; with them, a changed file is the better answer.
                guard hashes else { throw error }
                failure = error
            }
        }
        if read == 0 { throw .corrupt(path: path, offset: 0, reason: "not a zstd frame (empty file)") }
        try checkCount(read, path, info: zip, field: "zip_data")
        try zipDigests.check()
        if let failure { throw failure }
        try decoder.finish()
        guard produced == raw.bytes else {
            throw .sizeClaim(path: path, field: "raw_data.bytes", reason: "decompresses to \(produced) bytes, index.json records \(raw.bytes)")
        }
        try rawDigests.check()
        return out
    }

    /// Appends, growing the buffer at most to `bound` (doubling, so never more than twice what arrived).
    private static func append(_ piece: UnsafeRawBufferPointer, to out: inout [UInt8], bound: Int) {
        let need = out.count + piece.count
        if need > out.capacity { out.reserveCapacity(min(bound, max(need, out.capacity * 2))) }
        out.append(contentsOf: piece)
    }

    /// The file on disk against index.json's `field.bytes`, before anything is read. Returns its size.
    @discardableResult
    static func checkSize(_ path: String, info: MDSFileInfo, field: String) throws(ShardError) -> Int {
        let onDisk = try ShardFiles.size(path)
        try checkCount(onDisk, path, info: info, field: field)
        return onDisk
    }

    private static func checkCount(_ count: Int, _ path: String, info: MDSFileInfo, field: String) throws(ShardError) {
        if count < info.bytes {
            throw .truncated(path: path, reason: "\(field).bytes: \(count) bytes, index.json records \(info.bytes)")
        }
        guard count == info.bytes else {
            throw .corrupt(path: path, offset: info.bytes, reason: "\(field).bytes: \(count) bytes, index.json records \(info.bytes)")
        }
    }
}
