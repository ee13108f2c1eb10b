// Reads an MDS shard directory: index.json, then shards on demand (raw `.mds`, or `.mds.zstd`
// decompressed in bounded chunks), each checked against index.json before any sample is returned.

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

    /// Reads, hashes (when asked), decompresses and parses one shard. Hashes are computed as the bytes
    /// stream in (no second pass); sizes are checked against the files before anything is allocated.
    public func loadShard(_ s: Int, verifyHashes: Bool? = nil) throws(ShardError) -> MDSShardView {
        let info = index.shards[s]
        let check = verifyHashes ?? self.verifyHashes
        let rawPath = ShardFiles.join(directory, info.rawData.basename)
        let raw: [UInt8]
        if let zip = info.zipData, !ShardFiles.exists(rawPath) {
            let zipPath = ShardFiles.join(directory, zip.basename)
            guard ShardFiles.exists(zipPath) else {
                throw .io(path: zipPath, message: "shard file listed in index.json is missing")
            }
            raw = try ShardLoading.zstd(zipPath, zip: zip, raw: info.rawData, verify: check)
        } else {
            guard ShardFiles.exists(rawPath) else {
                throw .io(path: rawPath, message: "shard file listed in index.json is missing")
            }
            raw = try ShardLoading.raw(rawPath, info: info.rawData, verify: check)
        }
        return try MDSShardView(bytes: raw, path: rawPath, columns: info.columns, expectedSamples: info.samples)
    }

    /// Checks that every shard file listed in index.json is there with the recorded size (one `stat`
    /// each, no reading): a truncated or missing shard is refused when the data set is opened rather
    /// than when training first reaches it. Hashes are checked as each shard is loaded.
    public func checkFileSizes() throws(ShardError) {
        for info in index.shards {
            let rawPath = ShardFiles.join(directory, info.rawData.basename)
            let (file, field) = info.zipData.map { z in ShardFiles.exists(rawPath) ? (info.rawData, "raw_data") : (z, "zip_data") }
                ?? (info.rawData, "raw_data")
            let path = ShardFiles.join(directory, file.basename)
            guard ShardFiles.exists(path) else { throw .io(path: path, message: "shard file listed in index.json is missing") }
            try ShardLoading.checkSize(path, info: file, field: field)
        }
    }

    /// Shard files whose index.json entry records no hash Spindle can check (sha256 or xxh64): opening
    /// them with `verifyHashes` checks only their sizes and structure.
    public var unhashedShards: [String] {
        index.shards.compactMap { s in
            let file = s.zipData ?? s.rawData
            return ShardDigests.unchecked(file) && ShardDigests.unchecked(s.rawData) ? file.basename : nil
        }
    }
}
