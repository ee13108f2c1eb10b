// Column encodings of MosaicML streaming's MDS format (streaming/base/format/mds/encodings.py): the
// subset a token shard needs, spelled exactly as streaming spells them so its MDSReader decodes ours.

/// A numeric element type, named as numpy names it (`np.dtype.name`).
public enum MDSDType: String, CaseIterable, Sendable {
    case uint8, int8, uint16, int16, uint32, int32, uint64, int64, float32, float64

    /// Bytes per element.
    public var byteWidth: Int {
        switch self {
        case .uint8, .int8: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64: return 8
        }
    }

    /// The code streaming writes before values when an ndarray column leaves the dtype dynamic.
    var streamingCode: UInt8 {
        switch self {
        case .uint8: return 8
        case .int8: return 9
        case .uint16: return 16
        case .int16: return 17
        case .uint32: return 32
        case .int32: return 33
        case .float32: return 34
        case .uint64: return 64
        case .int64: return 65
        case .float64: return 66
        }
    }

    static func fromStreamingCode(_ c: UInt8) -> MDSDType? { allCases.first { $0.streamingCode == c } }

    /// The integer range the type holds (floats: nil).
    public var integerRange: ClosedRange<Int64>? {
        switch self {
        case .uint8: return 0...Int64(UInt8.max)
        case .int8: return Int64(Int8.min)...Int64(Int8.max)
        case .uint16: return 0...Int64(UInt16.max)
        case .int16: return Int64(Int16.min)...Int64(Int16.max)
        case .uint32: return 0...Int64(UInt32.max)
        case .int32: return Int64(Int32.min)...Int64(Int32.max)
        case .uint64, .int64: return Int64.min...Int64.max
        case .float32, .float64: return nil
        }
    }
}

/// One column's encoding: `bytes`, `str`, `int` (int64), a scalar (`uint8` … `float64`), or
/// `ndarray[:dtype[:d0,d1,…]]`. Fixed-size encodings carry no per-sample size in the sample header.
public enum MDSEncoding: Hashable, Sendable, CustomStringConvertible {
    case bytes
    case str
    case int
    case scalar(MDSDType)
    case ndarray(dtype: MDSDType?, shape: [Int]?)

    /// Parses streaming's spelling ("ndarray:uint16:4096", "str", "uint32", …); nil when unknown.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch parts[0] {
        case "bytes" where parts.count == 1: self = .bytes
        case "str" where parts.count == 1: self = .str
        case "int" where parts.count == 1: self = .int
        case "ndarray":
            guard parts.count <= 3 else { return nil }
            var dtype: MDSDType? = nil
            var shape: [Int]? = nil
            if parts.count >= 2 {
                guard let d = MDSDType(rawValue: parts[1]) else { return nil }
                dtype = d
            }
            if parts.count == 3 {
                var dims: [Int] = []
                for s in parts[2].split(separator: ",", omittingEmptySubsequences: false) {
                    guard let d = Int(s), d >= 1, d <= 1 << 31 else { return nil }
                    dims.append(d)
                }
                guard !dims.isEmpty, dims.count < 64 else { return nil }
                // The total size must be representable (a shard is at most 4 GiB anyway).
                var total = 1
                for d in dims {
                    let (p, overflow) = total.multipliedReportingOverflow(by: d)
                    guard !overflow, p <= 1 << 32 else { return nil }
                    total = p
                }
                shape = dims
            }
            self = .ndarray(dtype: dtype, shape: shape)
        default:
            guard parts.count == 1, let d = MDSDType(rawValue: parts[0]) else { return nil }
            self = .scalar(d)
        }
    }

    public var description: String {
        switch self {
        case .bytes: return "bytes"
        case .str: return "str"
        case .int: return "int"
        case .scalar(let d): return d.rawValue
        case .ndarray(let dtype, let shape):
            guard let dtype else { return "ndarray" }
            guard let shape else { return "ndarray:\(dtype.rawValue)" }
            return "ndarray:\(dtype.rawValue):" + shape.map(String.init).joined(separator: ",")
        }
    }

    /// Bytes per sample when fixed (streaming's `column_sizes` entry), nil when variable.
    public var fixedSize: Int? {
        switch self {
        case .bytes, .str: return nil
        case .int: return 8
        case .scalar(let d): return d.byteWidth
        case .ndarray(let dtype, let shape):
            guard let dtype, let shape else { return nil }
            return shape.reduce(1, *) * dtype.byteWidth
        }
    }
}

/// A value to write into one column of a sample.
public enum MDSValue: Sendable, Equatable {
    /// Integers for an `ndarray` column, converted to the column's dtype with a range check.
    case integers([Int32])
    /// Small unsigned integers for an `ndarray:uint8` column (loss masks).
    case uint8s([UInt8])
    /// An integer for `int` or an integer scalar column.
    case integer(Int64)
    /// Text for a `str` column.
    case string(String)
    /// Raw bytes for a `bytes` column.
    case bytes([UInt8])
}

extension MDSEncoding {
    /// Appends `value` encoded for this column to `out`, as streaming's `mds_encode` would write it.
    func encode(_ value: MDSValue, column: String, into out: inout [UInt8]) throws(ShardError) {
        switch (self, value) {
        case (.bytes, .bytes(let b)): out.append(contentsOf: b)
        case (.str, .string(let s)): out.append(contentsOf: Array(s.utf8))
        case (.int, .integer(let v)): appendLE(v, width: 8, into: &out)
        case (.scalar(let d), .integer(let v)):
            guard let r = d.integerRange, r.contains(v) else {
                throw .invalidSample(reason: "column \(column): \(v) does not fit \(d.rawValue)")
            }
            appendLE(v, width: d.byteWidth, into: &out)
        case (.ndarray(let dtype?, let shape), .integers(let xs)):
            try Self.writeShapeHeader(count: xs.count, shape: shape, column: column, into: &out)
            try Self.appendIntegers(xs, dtype: dtype, column: column, into: &out)
        case (.ndarray(let dtype?, let shape), .uint8s(let xs)):
            try Self.writeShapeHeader(count: xs.count, shape: shape, column: column, into: &out)
            if dtype == .uint8 || dtype == .int8 && xs.allSatisfy({ $0 < 128 }) {
                out.append(contentsOf: xs)
            } else {
                try Self.appendIntegers(xs.map { Int32($0) }, dtype: dtype, column: column, into: &out)
            }
        default:
            throw .invalidSample(reason: "column \(column): a \(value.kindName) value cannot be written as \(self)")
        }
    }

    /// Dynamic-shape ndarrays carry `[ndim << 2 | shape dtype code]` and the shape before the values.
    private static func writeShapeHeader(count: Int, shape: [Int]?, column: String, into out: inout [UInt8]) throws(ShardError) {
        if let shape {
            guard shape.reduce(1, *) == count else {
                throw .invalidSample(reason: "column \(column): \(count) values, the column holds exactly \(shape.reduce(1, *))")
            }
            return
        }
        guard count > 0 else { throw .invalidSample(reason: "column \(column): streaming cannot store an empty array") }
        // 1-D: the smallest unsigned type that holds the length (streaming's _rightsize_shape_dtype).
        let (code, width): (UInt8, Int) = count < 1 << 8 ? (0, 1) : count < 1 << 16 ? (1, 2) : (2, 4)
        out.append((1 << 2) | code)
        appendLE(Int64(count), width: width, into: &out)
    }

    private static func appendIntegers(_ xs: [Int32], dtype: MDSDType, column: String, into out: inout [UInt8]) throws(ShardError) {
        guard let range = dtype.integerRange else {
            throw .invalidSample(reason: "column \(column): integer values for a \(dtype.rawValue) column")
        }
        let w = dtype.byteWidth
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: xs.count * w))
        var bad: Int32? = nil
        out.withUnsafeMutableBytes { raw in
            let base = raw.baseAddress! + start
            xs.withUnsafeBufferPointer { src in
                switch dtype {
                case .uint16:
                    let dst = base.assumingMemoryBound(to: UInt16.self)
                    for i in 0..<src.count {
                        let v = src[i]
                        if v < 0 || v > 0xFFFF { bad = v; return }
                        dst[i] = UInt16(truncatingIfNeeded: v).littleEndian
                    }
                case .int32:
                    let dst = base.assumingMemoryBound(to: Int32.self)
                    for i in 0..<src.count { dst[i] = src[i].littleEndian }
                default:
                    for i in 0..<src.count {
                        let v = Int64(src[i])
                        if !range.contains(v) { bad = src[i]; return }
                        var u = UInt64(bitPattern: v)
                        for k in 0..<w { base.storeBytes(of: UInt8(truncatingIfNeeded: u), toByteOffset: i * w + k, as: UInt8.self); u >>= 8 }
                    }
                }
            }
        }
        if let bad { throw .invalidSample(reason: "column \(column): value \(bad) does not fit \(dtype.rawValue)") }
    }
}

extension MDSValue {
    var kindName: String {
        switch self {
        case .integers: return "integer array"
        case .uint8s: return "uint8 array"
        case .integer: return "integer"
        case .string: return "string"
        case .bytes: return "bytes"
        }
    }
}

@inline(__always)
func appendLE(_ v: Int64, width: Int, into out: inout [UInt8]) {
    var u = UInt64(bitPattern: v)
    for _ in 0..<width { out.append(UInt8(truncatingIfNeeded: u)); u >>= 8 }
}
