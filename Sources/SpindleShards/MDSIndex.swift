// index.json of an MDS shard directory (streaming/base/format/base/writer.py `_save_index`):
// `{"shards": [...], "version": 2}` plus, from Spindle, a top-level `"spindle"` object that streaming
// ignores (it reads only `version` and `shards`; an unknown key inside a shard entry would break its
// `MDSReader(**entry)`, so ours stay at the top level).
import SpindleIO

/// One file of a shard: streaming's `FileInfo`.
public struct MDSFileInfo: Equatable, Sendable {
    public var basename: String
    public var bytes: Int
    /// Algorithm name -> lowercase hex digest.
    public var hashes: [String: String]

    public init(basename: String, bytes: Int, hashes: [String: String]) {
        self.basename = basename
        self.bytes = bytes
        self.hashes = hashes
    }

    var json: JSONValue {
        .object(["basename": .string(basename), "bytes": .int(Int64(bytes)), "hashes": .object(hashes.mapValues { .string($0) })])
    }
}

/// The columns of a shard, sorted by name as MDSWriter sorts them.
public struct MDSColumns: Equatable, Sendable {
    public let names: [String]
    public let encodings: [MDSEncoding]

    /// Sorts the columns by name; samples list their values in this order.
    public init(_ columns: [String: MDSEncoding]) {
        let names = columns.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        self.names = names
        self.encodings = names.map { columns[$0]! }
    }

    public var sizes: [Int?] { encodings.map(\.fixedSize) }

    public func index(of name: String) -> Int? { names.firstIndex(of: name) }

    public var dictionary: [String: MDSEncoding] {
        Dictionary(uniqueKeysWithValues: zip(names, encodings))
    }
}

/// One shard's entry in index.json (a JointWriter shard: `raw_data`, optional `zip_data`, plus the
/// writer config every MDS shard repeats).
public struct MDSShardInfo: Equatable, Sendable {
    public var columns: MDSColumns
    /// streaming's compression string: nil, "zstd" or "zstd:LEVEL".
    public var compression: String?
    /// Hash algorithms recorded for each file, sorted.
    public var hashes: [String]
    public var rawData: MDSFileInfo
    public var zipData: MDSFileInfo?
    public var samples: Int
    public var sizeLimit: Int?

    /// The writer config embedded in each shard file after the offsets (`MDSWriter.get_config()`).
    public static func config(columns: MDSColumns, compression: String?, hashes: [String], sizeLimit: Int?) -> JSONValue {
        .object([
            "column_encodings": .array(columns.encodings.map { .string($0.description) }),
            "column_names": .array(columns.names.map { .string($0) }),
            "column_sizes": .array(columns.sizes.map { $0.map { .int(Int64($0)) } ?? .null }),
            "compression": compression.map { .string($0) } ?? .null,
            "format": .string("mds"),
            "hashes": .array(hashes.map { .string($0) }),
            "size_limit": sizeLimit.map { .int(Int64($0)) } ?? .null,
            "version": .int(2),
        ])
    }

    var json: JSONValue {
        var o = MDSShardInfo.config(columns: columns, compression: compression, hashes: hashes, sizeLimit: sizeLimit).objectValue!
        o["raw_data"] = rawData.json
        o["zip_data"] = zipData?.json ?? .null
        o["samples"] = .int(Int64(samples))
        return .object(o)
    }

    /// Reads one shard entry, checking every field streaming's MDSReader.from_json needs.
    static func from(_ v: JSONValue, path: String, position: Int) throws(ShardError) -> MDSShardInfo {
        func bad(_ why: String) -> ShardError { .malformedIndex(path: path, reason: "shards[\(position)]: \(why)") }
        guard let o = v.objectValue else { throw bad("not an object") }
        guard let format = o["format"]?.stringValue else { throw bad("missing \"format\"") }
        guard format == "mds" else { throw .unsupported(path: path, reason: "shards[\(position)] has format \"\(format)\"; Spindle reads MDS shards only") }
        guard let version = o["version"]?.int64Value else { throw bad("missing \"version\"") }
        guard version == 2 else { throw .unsupported(path: path, reason: "shards[\(position)] has version \(version); expected 2") }
        guard let names = o["column_names"]?.arrayValue?.compactMap(\.stringValue),
              let encs = o["column_encodings"]?.arrayValue?.compactMap(\.stringValue),
              let sizes = o["column_sizes"]?.arrayValue,
              names.count == encs.count, names.count == sizes.count, !names.isEmpty
        else { throw bad("column_names, column_encodings and column_sizes must be lists of the same non-zero length") }
        var dict: [String: MDSEncoding] = [:]
        for (i, (name, text)) in zip(names, encs).enumerated() {
            guard let enc = MDSEncoding(text) else {
                throw .unsupported(path: path, reason: "shards[\(position)] column \"\(name)\" has encoding \"\(text)\", which Spindle does not read")
            }
            guard dict[name] == nil else { throw bad("column \"\(name)\" appears twice") }
            let declared = sizes[i].int64Value.map(Int.init)
            guard sizes[i].isNull || declared != nil, declared == enc.fixedSize else {
                throw bad("column \"\(name)\": column_sizes entry does not match encoding \(text)")
            }
            dict[name] = enc
        }
        let columns = MDSColumns(dict)
        guard columns.names == names else { throw bad("column_names are not sorted (MDS sorts them)") }

        func file(_ key: String) throws(ShardError) -> MDSFileInfo? {
            guard let f = o[key], !f.isNull else { return nil }
            guard let basename = f["basename"]?.stringValue, let bytes = f["bytes"]?.int64Value, bytes >= 0 else {
                throw bad("\(key) needs \"basename\" and \"bytes\"")
            }
            // MDS offsets are uint32: no shard file can be larger.
            guard bytes <= Int64(UInt32.max) else { throw bad("\(key).bytes \(bytes) is larger than an MDS shard can be") }
            // A basename is a file in this directory: never a path that could escape it.
            guard !basename.isEmpty, !basename.contains("/"), !basename.contains("\\"), basename != ".", basename != ".." else {
                throw bad("\(key).basename \"\(basename)\" is not a plain file name")
            }
            var hashes: [String: String] = [:]
            if let h = f["hashes"]?.objectValue {
                for (k, v) in h {
                    guard let s = v.stringValue else { throw bad("\(key).hashes.\(k) is not a string") }
                    hashes[k] = s
                }
            }
            return MDSFileInfo(basename: basename, bytes: Int(bytes), hashes: hashes)
        }
        guard let raw = try file("raw_data") else { throw bad("missing \"raw_data\"") }
        let zip = try file("zip_data")
        guard let samples = o["samples"]?.int64Value, samples >= 0, samples <= Int64(UInt32.max) else {
            throw bad("missing or out-of-range \"samples\"")
        }
        let compression = o["compression"]?.stringValue
        if let c = compression {
            guard c == "zstd" || (c.hasPrefix("zstd:") && Int(c.dropFirst(5)).map { (1...22).contains($0) } == true) else {
                throw .unsupported(path: path, reason: "shards[\(position)] uses compression \"\(c)\"; Spindle reads zstd only")
            }
            guard zip != nil else { throw bad("compression is set but zip_data is null") }
        }
        var sizeLimit: Int? = nil
        if let s = o["size_limit"], !s.isNull {
            guard let v = s.int64Value else { throw bad("size_limit is not an integer") }
            sizeLimit = Int(v)
        }
        let hashes = (o["hashes"]?.arrayValue ?? []).compactMap(\.stringValue)
        return MDSShardInfo(columns: columns, compression: compression, hashes: hashes, rawData: raw, zipData: zip,
                            samples: Int(samples), sizeLimit: sizeLimit)
    }
}

/// A parsed index.json.
public struct MDSIndex: Equatable, Sendable {
    public var shards: [MDSShardInfo]
    /// Top-level keys other than `version` and `shards` (Spindle writes `"spindle"`).
    public var extra: [String: JSONValue]

    public init(shards: [MDSShardInfo], extra: [String: JSONValue] = [:]) {
        self.shards = shards
        self.extra = extra
    }

    /// index.json's text, as streaming's writer prints it (`json.dumps(obj, sort_keys=True)`).
    public func dumps() -> String {
        var o = extra
        o["version"] = .int(2)
        o["shards"] = .array(shards.map(\.json))
        return JSONValue.object(o).pythonDumps()
    }

    /// Parses index.json bytes; `path` names the file in errors.
    public static func parse(_ bytes: [UInt8], path: String) throws(ShardError) -> MDSIndex {
        let v: JSONValue
        do { v = try JSONValue.parse(bytes) } catch {
            throw .malformedIndex(path: path, reason: "not JSON (\(error.message))")
        }
        guard var o = v.objectValue else { throw .malformedIndex(path: path, reason: "the top level is not an object") }
        guard let version = o["version"]?.int64Value else { throw .malformedIndex(path: path, reason: "missing \"version\"") }
        guard version == 2 else { throw .unsupported(path: path, reason: "index version \(version); streaming and Spindle read version 2") }
        guard let list = o["shards"]?.arrayValue else { throw .malformedIndex(path: path, reason: "missing \"shards\" list") }
        var shards: [MDSShardInfo] = []
        shards.reserveCapacity(list.count)
        for (i, s) in list.enumerated() { shards.append(try MDSShardInfo.from(s, path: path, position: i)) }
        o["version"] = nil
        o["shards"] = nil
        return MDSIndex(shards: shards, extra: o)
    }
}
