// Writes an MDS shard directory byte-for-byte as MosaicML streaming's MDSWriter would for the same
// samples and settings (same size-limit rule, same config text, same index.json), so a
// StreamingDataset reads it unchanged. Shards are written under a temporary name and renamed;
// index.json is written last, so a directory without one is an unfinished run.
import SpindleIO

/// Optional per-shard compression: streaming's `zstd[:LEVEL]`.
public struct ShardCompression: Equatable, Sendable {
    public var level: Int32
    public init(level: Int32 = 3) { self.level = level }

    /// Parses "zstd" or "zstd:LEVEL" (1…22); nil for anything else.
    public init?(_ text: String) {
        if text == "zstd" { self.level = 3; return }
        guard text.hasPrefix("zstd:"), let l = Int32(text.dropFirst(5)), (1...22).contains(l) else { return nil }
        self.level = l
    }

    /// The string recorded in index.json. Level 3 is written as "zstd", as streaming users usually do.
    public var streamingName: String { level == 3 ? "zstd" : "zstd:\(level)" }
}

/// Streams samples into size-limited MDS shards.
public final class MDSWriter {
    public let directory: String
    public let columns: MDSColumns
    public let compression: ShardCompression?
    public let hashes: [ShardHash]
    public let sizeLimit: Int?

    private let configBytes: [UInt8]
    private var pending: [[UInt8]] = []
    private var pendingSize: Int
    private var shards: [MDSShardInfo] = []
    private var finished = false
    /// One writer per directory: a second pack into it is refused while this one runs.
    private let lock: DirectoryLock
    public private(set) var samplesWritten = 0
    public private(set) var bytesWritten = 0

    /// - Parameters:
    ///   - columns: column name -> encoding; stored sorted by name, as MDSWriter sorts them.
    ///   - sizeLimit: start a new shard before one would exceed this many bytes (streaming's
    ///     `size_limit`, default 1 << 26); nil puts everything in one shard.
    ///   - overwrite: replace an existing shard directory (its index.json and shard files are removed first).
    public init(directory: String, columns: [String: MDSEncoding], compression: ShardCompression? = nil,
                hashes: [ShardHash] = [.sha256], sizeLimit: Int? = 1 << 26, overwrite: Bool = false) throws(ShardError) {
        guard !columns.isEmpty else { throw .invalidSample(reason: "a shard needs at least one column") }
        do { lock = try DirectoryLock(directory) } catch let busy as DirectoryBusy {
            throw .io(path: directory, message: "being written by another spindle process (pid \(busy.holder))")
        } catch { throw .io(path: directory, message: "\(error)") }
        if let sizeLimit, sizeLimit <= 0 { throw .invalidSample(reason: "the shard size limit must be positive") }
        self.directory = directory
        self.columns = MDSColumns(columns)
        self.compression = compression
        self.hashes = Array(Set(hashes)).sorted { $0.rawValue < $1.rawValue }
        self.sizeLimit = sizeLimit
        let config = MDSShardInfo.config(columns: self.columns, compression: compression?.streamingName,
                                         hashes: self.hashes.map(\.rawValue), sizeLimit: sizeLimit)
        self.configBytes = Array(config.pythonDumps().utf8)
        self.pendingSize = 8 + configBytes.count

        let index = ShardFiles.join(directory, "index.json")
        if ShardFiles.exists(index) {
            guard overwrite else { throw .outputExists(directory: directory) }
            ShardFiles.remove(index)
        }
        if ShardFiles.exists(directory) && !ShardFiles.isDirectory(directory) {
            throw .io(path: directory, message: "exists and is not a directory")
        }
        try ShardFiles.makeDirectory(directory)
        // No index.json now: any shard files are an older or unfinished run's, and must not survive
        // beside the new ones.
        for name in ShardFiles.list(directory) where name.hasPrefix("shard.") && name.contains(".mds") {
            ShardFiles.remove(ShardFiles.join(directory, name))
        }
    }

    /// Appends one sample: a value for every column, keyed by column name.
    public func write(_ sample: [String: MDSValue]) throws(ShardError) {
        guard sample.count == columns.names.count else {
            let missing = columns.names.filter { sample[$0] == nil }
            let extra = sample.keys.filter { columns.index(of: $0) == nil }
            throw .invalidSample(reason: "columns missing: \(missing), unexpected: \(extra.sorted())")
        }
        var values: [MDSValue] = []
        values.reserveCapacity(columns.names.count)
        for name in columns.names {
            guard let v = sample[name] else { throw .invalidSample(reason: "no value for column \(name)") }
            values.append(v)
        }
        try write(values: values)
    }

    /// Appends one sample given as values in column (name-sorted) order.
    public func write(values: [MDSValue]) throws(ShardError) {
        precondition(!finished, "MDSWriter.write after finish")
        var encoded: [UInt8] = []
        try MDSShardCodec.encodeSample(values, columns: columns, into: &encoded)
        let size = encoded.count + 4  // + its offset entry
        // streaming: flush when size_limit < current + new sample (never flush an empty shard).
        if let sizeLimit, !pending.isEmpty, sizeLimit < pendingSize + size {
            try flush()
        }
        pending.append(encoded)
        pendingSize += size
        samplesWritten += 1
    }

    private func flush() throws(ShardError) {
        let number = shards.count
        let rawName = "shard." + String(repeating: "0", count: max(0, 5 - String(number).count)) + String(number) + ".mds"
        let raw = try MDSShardCodec.encodeShard(samples: pending, config: configBytes)
        let rawInfo = MDSFileInfo(basename: rawName, bytes: raw.count, hashes: digest(raw))
        var zipInfo: MDSFileInfo? = nil
        if let compression {
            let zip = try ShardZstd.compress(raw, level: compression.level)
            let zipName = rawName + ".zstd"
            zipInfo = MDSFileInfo(basename: zipName, bytes: zip.count, hashes: digest(zip))
            try ShardFiles.writeAtomically(zip, to: ShardFiles.join(directory, zipName))
            bytesWritten += zip.count
        } else {
            try ShardFiles.writeAtomically(raw, to: ShardFiles.join(directory, rawName))
            bytesWritten += raw.count
        }
        shards.append(MDSShardInfo(columns: columns, compression: compression?.streamingName,
                                   hashes: hashes.map(\.rawValue), rawData: rawInfo, zipData: zipInfo,
                                   samples: pending.count, sizeLimit: sizeLimit))
        pending.removeAll(keepingCapacity: true)
        pendingSize = 8 + configBytes.count
    }

    private func digest(_ data: [UInt8]) -> [String: String] {
        var out: [String: String] = [:]
        data.withUnsafeBytes { buf in
            for h in hashes { out[h.rawValue] = h.hex(buf) }
        }
        return out
    }

    /// Writes the last shard and index.json (with `extra` top-level fields, e.g. `"spindle"`).
    @discardableResult
    public func finish(extra: [String: JSONValue] = [:]) throws(ShardError) -> MDSIndex {
        precondition(!finished, "MDSWriter.finish called twice")
        if !pending.isEmpty { try flush() }
        finished = true
        let index = MDSIndex(shards: shards, extra: extra)
        try ShardFiles.writeAtomically(Array(index.dumps().utf8), to: ShardFiles.join(directory, "index.json"))
        return index
    }
}
