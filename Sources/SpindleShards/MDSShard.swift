// The bytes of one MDS shard file (streaming/base/format/mds/writer.py `encode_joint_shard`):
//
//   uint32 n | uint32 offsets[n + 1] (absolute, from the file start) | column config JSON | samples
//
// and one sample (`encode_sample`): a uint32 size for each variable-size column, in column order, then
// every column's bytes in column order. Everything little-endian.
import SpindleIO

/// Encodes shards and samples, and parses them back with every length and offset checked.
enum MDSShardCodec {
    /// One sample's bytes: the sizes of the variable-size columns, then the column data.
    static func encodeSample(_ values: [MDSValue], columns: MDSColumns, into out: inout [UInt8]) throws(ShardError) {
        guard values.count == columns.names.count else {
            throw .invalidSample(reason: "\(values.count) values for \(columns.names.count) columns")
        }
        var body: [UInt8] = []
        var sizes: [UInt32] = []
        for (i, v) in values.enumerated() {
            let enc = columns.encodings[i]
            let before = body.count
            try enc.encode(v, column: columns.names[i], into: &body)
            let n = body.count - before
            if let fixed = enc.fixedSize {
                guard n == fixed else {
                    throw .invalidSample(reason: "column \(columns.names[i]): \(n) bytes, the encoding \(enc) holds exactly \(fixed)")
                }
            } else {
                guard n <= Int(UInt32.max) else { throw .invalidSample(reason: "column \(columns.names[i]) is larger than 4 GiB") }
                sizes.append(UInt32(n))
            }
        }
        out.reserveCapacity(out.count + sizes.count * 4 + body.count)
        for s in sizes { appendLE(Int64(s), width: 4, into: &out) }
        out.append(contentsOf: body)
    }

    /// A whole shard file from encoded samples and the config text.
    static func encodeShard(samples: [[UInt8]], config: [UInt8]) throws(ShardError) -> [UInt8] {
        let header = 4 + 4 * (samples.count + 1) + config.count
        let total = samples.reduce(header) { $0 + $1.count }
        guard total <= Int(UInt32.max) else { throw .invalidSample(reason: "a shard would exceed 4 GiB; lower --shard-size") }
        var out: [UInt8] = []
        out.reserveCapacity(total)
        appendLE(Int64(samples.count), width: 4, into: &out)
        var offset = header
        appendLE(Int64(offset), width: 4, into: &out)
        for s in samples {
            offset += s.count
            appendLE(Int64(offset), width: 4, into: &out)
        }
        out.append(contentsOf: config)
        for s in samples { out.append(contentsOf: s) }
        return out
    }
}

@inline(__always)
func readU32(_ b: [UInt8], _ at: Int) -> UInt32 {
    UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
}

/// A parsed shard file held in memory: checked once on load, then samples are sliced without copying.
public struct MDSShardView: Sendable {
    public let path: String
    public let columns: MDSColumns
    let bytes: [UInt8]
    let offsets: [Int]
    /// Where each column starts and ends within each sample (absolute byte ranges), filled lazily.
    public var count: Int { offsets.count - 1 }

    /// Parses and checks a shard: the header, the config (which must describe `columns`), monotonic
    /// offsets that tile the file exactly, and every sample's column sizes.
    init(bytes: [UInt8], path: String, columns: MDSColumns, expectedSamples: Int?) throws(ShardError) {
        guard bytes.count >= 8 else { throw .truncated(path: path, reason: "\(bytes.count) bytes, shorter than the 8-byte header") }
        let n = Int(readU32(bytes, 0))
        if let expectedSamples, n != expectedSamples {
            throw .corrupt(path: path, offset: 0, reason: "holds \(n) samples, index.json says \(expectedSamples)")
        }
        let tableEnd = 4 + 4 * (n + 1)
        guard tableEnd <= bytes.count else {
            throw .truncated(path: path, reason: "the offset table of \(n) samples needs \(tableEnd) bytes, the file has \(bytes.count)")
        }
        var offsets: [Int] = []
        offsets.reserveCapacity(n + 1)
        for i in 0...n { offsets.append(Int(readU32(bytes, 4 + 4 * i))) }
        guard offsets[0] >= tableEnd, offsets[0] <= bytes.count else {
            throw .corrupt(path: path, offset: 4, reason: "first sample offset \(offsets[0]) is outside the file")
        }
        for i in 0..<n where offsets[i + 1] < offsets[i] {
            throw .corrupt(path: path, offset: 8 + 4 * i, reason: "sample offsets decrease at sample \(i)")
        }
        if offsets[n] > bytes.count {
            throw .truncated(path: path, reason: "samples end at byte \(offsets[n]), the file has \(bytes.count)")
        }
        guard offsets[n] == bytes.count else {
            throw .corrupt(path: path, offset: offsets[n], reason: "\(bytes.count - offsets[n]) stray bytes after the last sample")
        }
        // The config between the table and the first sample must describe the same columns.
        let configBytes = bytes[tableEnd..<offsets[0]]
        let config: JSONValue
        do { config = try JSONValue.parse(configBytes) } catch {
            throw .corrupt(path: path, offset: tableEnd + error.offset, reason: "column config is not JSON: \(error.message)")
        }
        let names = config["column_names"]?.arrayValue?.compactMap(\.stringValue)
        let encs = config["column_encodings"]?.arrayValue?.compactMap(\.stringValue)
        guard names == columns.names, encs == columns.encodings.map(\.description) else {
            throw .corrupt(path: path, offset: tableEnd, reason: "the shard's column config does not match index.json")
        }
        self.path = path
        self.columns = columns
        self.bytes = bytes
        self.offsets = offsets
        for i in 0..<n { _ = try columnRanges(i) }
    }

    /// The byte ranges of each column of sample `i`, after checking the sizes header.
    func columnRanges(_ i: Int) throws(ShardError) -> [Range<Int>] {
        let start = offsets[i], end = offsets[i + 1]
        var cursor = start
        var sizes: [Int] = []
        sizes.reserveCapacity(columns.names.count)
        for enc in columns.encodings {
            if let fixed = enc.fixedSize { sizes.append(fixed); continue }
            guard cursor + 4 <= end else { throw .corrupt(path: path, offset: cursor, reason: "sample \(i): size header runs past the sample") }
            sizes.append(Int(readU32(bytes, cursor)))
            cursor += 4
        }
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(sizes.count)
        for (c, s) in sizes.enumerated() {
            guard s <= end - cursor else {
                throw .corrupt(path: path, offset: cursor, reason: "sample \(i): column \(columns.names[c]) (\(s) bytes) runs past the sample end")
            }
            ranges.append(cursor..<(cursor + s))
            cursor += s
        }
        guard cursor == end else {
            throw .corrupt(path: path, offset: cursor, reason: "sample \(i): \(end - cursor) bytes left over after the last column")
        }
        return ranges
    }

    /// Sample `i` of this shard.
    public func sample(_ i: Int) throws(ShardError) -> MDSSample {
        guard i >= 0, i < count else { throw .sampleOutOfRange(index: i, count: count) }
        return MDSSample(shardPath: path, index: i, columns: columns, bytes: bytes, ranges: try columnRanges(i))
    }
}

/// One decoded sample: typed accessors over the column bytes of a loaded shard.
public struct MDSSample: Sendable {
    public let shardPath: String
    public let index: Int
    public let columns: MDSColumns
    let bytes: [UInt8]
    let ranges: [Range<Int>]

    func range(_ name: String) throws(ShardError) -> (MDSEncoding, Range<Int>) {
        guard let c = columns.index(of: name) else {
            throw .invariant(path: shardPath, sample: index, reason: "no column \"\(name)\" (columns: \(columns.names.joined(separator: ", ")))")
        }
        return (columns.encodings[c], ranges[c])
    }

    /// The raw bytes of a column.
    public func raw(_ name: String) throws(ShardError) -> ArraySlice<UInt8> {
        bytes[try range(name).1]
    }

    /// An integer ndarray column as Int32 values (any integer dtype; values must fit Int32).
    public func int32s(_ name: String) throws(ShardError) -> [Int32] {
        let (enc, r) = try range(name)
        let (dtype, values) = try ndarrayValues(enc, r, name)
        let w = dtype.byteWidth
        let count = values.count / w
        guard values.count % w == 0 else {
            throw .corrupt(path: shardPath, offset: values.lowerBound, reason: "sample \(index): column \(name) is not a whole number of \(dtype.rawValue) values")
        }
        var out = [Int32](repeating: 0, count: count)
        let base = values.lowerBound
        var overflow = false
        bytes.withUnsafeBytes { raw in
            out.withUnsafeMutableBufferPointer { dst in
                switch dtype {
                case .uint16:
                    for i in 0..<count { dst[i] = Int32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: base + 2 * i, as: UInt16.self))) }
                case .int32:
                    for i in 0..<count { dst[i] = Int32(littleEndian: raw.loadUnaligned(fromByteOffset: base + 4 * i, as: Int32.self)) }
                case .uint8:
                    for i in 0..<count { dst[i] = Int32(raw[base + i]) }
                case .int8:
                    for i in 0..<count { dst[i] = Int32(Int8(bitPattern: raw[base + i])) }
                case .int16:
                    for i in 0..<count { dst[i] = Int32(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: base + 2 * i, as: Int16.self))) }
                case .uint32:
                    for i in 0..<count {
                        let v = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: base + 4 * i, as: UInt32.self))
                        if v > UInt32(Int32.max) { overflow = true; return }
                        dst[i] = Int32(v)
                    }
                case .int64, .uint64:
                    for i in 0..<count {
                        let v = Int64(littleEndian: raw.loadUnaligned(fromByteOffset: base + 8 * i, as: Int64.self))
                        guard let x = Int32(exactly: v), dtype == .int64 || v >= 0 else { overflow = true; return }
                        dst[i] = x
                    }
                case .float32, .float64:
                    overflow = true
                }
            }
        }
        if overflow {
            throw .invariant(path: shardPath, sample: index, reason: "column \(name) (\(dtype.rawValue)) holds values that are not 32-bit integers")
        }
        return out
    }

    /// A uint8 ndarray column (loss masks) as bytes.
    public func uint8s(_ name: String) throws(ShardError) -> [UInt8] {
        let (enc, r) = try range(name)
        let (dtype, values) = try ndarrayValues(enc, r, name)
        guard dtype == .uint8 else { return try int32s(name).map { UInt8(truncatingIfNeeded: $0) } }
        return Array(bytes[values])
    }

    /// A `str` column.
    public func string(_ name: String) throws(ShardError) -> String {
        let (enc, r) = try range(name)
        guard enc == .str else { throw .invariant(path: shardPath, sample: index, reason: "column \(name) is \(enc), not str") }
        guard let s = String(validating: bytes[r], as: UTF8.self) else {
            throw .corrupt(path: shardPath, offset: r.lowerBound, reason: "sample \(index): column \(name) is not valid UTF-8")
        }
        return s
    }

    /// An `int` or integer scalar column.
    public func integer(_ name: String) throws(ShardError) -> Int64 {
        let (enc, r) = try range(name)
        let width: Int
        var signed = true
        switch enc {
        case .int: width = 8
        case .scalar(let d) where d.integerRange != nil:
            width = d.byteWidth
            signed = [.int8, .int16, .int32, .int64].contains(d)
        default: throw .invariant(path: shardPath, sample: index, reason: "column \(name) is \(enc), not an integer")
        }
        var u: UInt64 = 0
        for k in 0..<width { u |= UInt64(bytes[r.lowerBound + k]) << UInt64(8 * k) }
        if signed && width < 8 && (u >> UInt64(8 * width - 1)) & 1 == 1 { u |= ~0 << UInt64(8 * width) }
        return Int64(bitPattern: u)
    }

    /// Strips the dtype byte and shape header of a dynamic ndarray; checks the values' length.
    private func ndarrayValues(_ enc: MDSEncoding, _ r: Range<Int>, _ name: String) throws(ShardError) -> (MDSDType, Range<Int>) {
        guard case .ndarray(let fixedType, let fixedShape) = enc else {
            throw .invariant(path: shardPath, sample: index, reason: "column \(name) is \(enc), not an ndarray")
        }
        var p = r.lowerBound
        func corrupt(_ why: String) -> ShardError { .corrupt(path: shardPath, offset: p, reason: "sample \(index): column \(name): \(why)") }
        let dtype: MDSDType
        if let fixedType { dtype = fixedType } else {
            guard p < r.upperBound, let d = MDSDType.fromStreamingCode(bytes[p]) else { throw corrupt("unknown dtype code") }
            dtype = d
            p += 1
        }
        var elements: Int
        if let fixedShape { elements = fixedShape.reduce(1, *) } else {
            guard p < r.upperBound else { throw corrupt("missing shape header") }
            let ndim = Int(bytes[p] >> 2), sw = 1 << Int(bytes[p] & 3)
            p += 1
            guard ndim >= 1, p + ndim * sw <= r.upperBound else { throw corrupt("bad shape header") }
            elements = 1
            for d in 0..<ndim {
                var v: UInt64 = 0
                for k in 0..<sw { v |= UInt64(bytes[p + d * sw + k]) << UInt64(8 * k) }
                guard v >= 1, v <= UInt64(r.count) else { throw corrupt("dimension \(v) cannot fit the sample") }
                let (product, overflow) = elements.multipliedReportingOverflow(by: Int(v))
                guard !overflow, product <= r.count else { throw corrupt("shape larger than the data") }
                elements = product
            }
            p += ndim * sw
        }
        guard elements * dtype.byteWidth == r.upperBound - p else {
            throw corrupt("\(r.upperBound - p) value bytes for \(elements) \(dtype.rawValue) values")
        }
        return (dtype, p..<r.upperBound)
    }
}
