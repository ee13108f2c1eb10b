// Reads an MDS shard directory: index.json, then shards on demand (raw `.mds`, or `.mds.zstd`
// decompressed in memory), each checked against index.json before any sample is returned.

/// Random access to the samples of an MDS shard directory.
public final class MDSReader {
    public let directory: String
    public let index: MDSIndex
    public let columns: MDSColumns
    /// Global index of the first sample of each shard, plus the total at the end.
    public let shardStarts: [Int]
    /// Check each file's hash against index.json when it is first loaded.
    public let verifyHashes: Bool

    private var cachedShard: Int = -1
    private var cachedView: MDSShardView? = nil

    public var count: Int { shardStarts.last ?? 0 }

    /// Opens a shard directory. Every shard must have the same columns.
    public init(directory: String, verifyHashes: Bool = false) throws(ShardError) {
        self.directory = directory
        self.verifyHashes = verifyHashes
        let indexPath = ShardFiles.join(directory, "index.json")
        guard ShardFiles.exists(indexPath) else {
            if !ShardFiles.isDirectory(directory) { throw .io(path: directory, message: "no such directory") }
            throw .missingIndex(directory: directory)
        }
        let index = try MDSIndex.parse(try ShardFiles.read(indexPath, limit: 1 << 30), path: indexPath)
        // An empty data set (nothing was written) lists no shards and has no columns.
        let first = index.shards.first
        var starts = [0]
        for (i, s) in index.shards.enumerated() {
            guard s.columns == first!.columns else {
                throw .malformedIndex(path: indexPath, reason: "shards[\(i)] has other columns than shards[0]")
            }
            starts.append(starts.last! + s.samples)
        }
        self.index = index
        self.columns = first?.columns ?? MDSColumns([:])
        self.shardStarts = starts
    }

    /// Which shard holds global sample `i`, and its index within that shard.
    public func locate(_ i: Int) throws(ShardError) -> (shard: Int, local: Int) {
        guard i >= 0, i < count else { throw .sampleOutOfRange(index: i, count: count) }
        // Binary search for the last start <= i.
        var lo = 0, hi = index.shards.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if shardStarts[mid] <= i { lo = mid } else { hi = mid - 1 }
        }
        return (lo, i - shardStarts[lo])
    }

    /// Global sample `i`.
    public func sample(_ i: Int) throws(ShardError) -> MDSSample {
        let (s, local) = try locate(i)
        return try shard(s).sample(local)
    }

    /// Loads and checks shard `s` (kept in a one-shard cache: sequential reads load each shard once).
    public func shard(_ s: Int) throws(ShardError) -> MDSShardView {
        if s == cachedShard, let v = cachedView { return v }
        let v = try loadShard(s)
        cachedShard = s
        cachedView = v
        return v
    }

    /// Reads, hashes (when asked), decompresses and parses one shard.
    public func loadShard(_ s: Int, verifyHashes: Bool? = nil) throws(ShardError) -> MDSShardView {
        let info = index.shards[s]
        let check = verifyHashes ?? self.verifyHashes
        let rawPath = ShardFiles.join(directory, info.rawData.basename)
        var raw: [UInt8]
        if let zip = info.zipData, !ShardFiles.exists(rawPath) {
            let zipPath = ShardFiles.join(directory, zip.basename)
            guard ShardFiles.exists(zipPath) else {
                throw .io(path: zipPath, message: "shard file listed in index.json is missing")
            }
            let z = try ShardFiles.read(zipPath, limit: zip.bytes)
            try Self.checkFile(z, info: zip, path: zipPath, hashes: check)
            raw = try ShardZstd.decompress(z, path: zipPath, maxSize: info.rawData.bytes)
            if check { try Self.checkHashes(raw, info: info.rawData, path: zipPath + " (decompressed)") }
            guard raw.count == info.rawData.bytes else {
                throw .corrupt(path: zipPath, offset: 0, reason: "decompresses to \(raw.count) bytes, index.json says \(info.rawData.bytes)")
            }
        } else {
            guard ShardFiles.exists(rawPath) else {
                throw .io(path: rawPath, message: "shard file listed in index.json is missing")
            }
            raw = try ShardFiles.read(rawPath, limit: info.rawData.bytes)
            try Self.checkFile(raw, info: info.rawData, path: rawPath, hashes: check)
        }
        return try MDSShardView(bytes: raw, path: rawPath, columns: info.columns, expectedSamples: info.samples)
    }

    static func checkFile(_ data: [UInt8], info: MDSFileInfo, path: String, hashes: Bool) throws(ShardError) {
        if data.count < info.bytes {
            throw .truncated(path: path, reason: "\(data.count) bytes, index.json records \(info.bytes)")
        }
        guard data.count == info.bytes else {
            throw .corrupt(path: path, offset: info.bytes, reason: "\(data.count) bytes, index.json records \(info.bytes)")
        }
        if hashes { try checkHashes(data, info: info, path: path) }
    }

    static func checkHashes(_ data: [UInt8], info: MDSFileInfo, path: String) throws(ShardError) {
        for (algo, expected) in info.hashes.sorted(by: { $0.key < $1.key }) {
            guard let h = ShardHash(rawValue: algo) else { continue }  // other algorithms: not ours to check
            let actual = data.withUnsafeBytes { h.hex($0) }
            guard actual == expected.lowercased() else {
                throw .hashMismatch(path: path, algorithm: algo, expected: expected, actual: actual)
            }
        }
    }
}
