// Safetensors.swift: the Hugging Face safetensors format — u64 little-endian header size N, N bytes of
// JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}, then the raw data.
// Reads F32, F16 and BF16 (converted to fp32); writes F32. Malformed files throw, never crash.
import Foundation
import SpindleIO

/// One tensor read from a safetensors file, converted to fp32.
public struct SafetensorsTensor: Sendable {
    public let shape: [Int]
    public let dtype: String
    public let values: [Float]
}

public enum Safetensors {
    /// Reads every tensor of `path`.
    public static func read(_ path: String) throws -> [String: SafetensorsTensor] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TrainerError.io(file: path, message: "cannot read file")
        }
        return try parse(data, path: path)
    }

    static func parse(_ data: Data, path: String) throws -> [String: SafetensorsTensor] {
        func bad(_ m: String) -> TrainerError { .format(file: path, message: "not a valid safetensors file: \(m)") }
        guard data.count >= 8 else { throw bad("shorter than the 8-byte header size") }
        let n = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard n <= UInt64(data.count - 8), n < 100_000_000 else { throw bad("header size \(n) exceeds the file") }
        let headerEnd = 8 + Int(n)
        let header: JSONFields
        do { header = try JSONFields(parsing: data[8..<headerEnd], file: path, errors: .format) } catch {
            throw bad("header is not a JSON object (\(error))")
        }
        let body = data.subdata(in: headerEnd..<data.count)
        var out: [String: SafetensorsTensor] = [:]
        for (name, value) in header.members where name != "__metadata__" {
            guard let t = try? JSONFields(value, file: path, prefix: name + ".", errors: .format),
                  let dtype = try? t.string("dtype"), let shape = try? t.ints("shape"),
                  let offs = try? t.ints("data_offsets"), offs.count == 2 else {
                throw bad("tensor \(name): missing dtype, shape or data_offsets")
            }
            let width: Int
            switch dtype {
            case "F32": width = 4
            case "F16", "BF16": width = 2
            default: throw TrainerError.format(file: path, message: "tensor \(name): dtype \(dtype) not supported (F32, F16, BF16)")
            }
            // A product that overflows Int (say [2^32, 2^32]) is a bad shape, not a trap.
            let (count, overflow) = shape.reduce((1, false)) { acc, d in
                let r = acc.0.multipliedReportingOverflow(by: d)
                return (r.partialValue, acc.1 || r.overflow)
            }
            guard shape.allSatisfy({ $0 >= 0 }), !overflow, count < Int32.max
            else { throw bad("tensor \(name): bad shape \(shape)") }
            guard offs[0] >= 0, offs[0] <= offs[1], offs[1] <= body.count, offs[1] - offs[0] == count * width else {
                throw bad("tensor \(name): data_offsets \(offs) do not match shape \(shape) × \(width) bytes in a \(body.count)-byte body")
            }
            var values = [Float](repeating: 0, count: count)
            body.withUnsafeBytes { raw in
                let src = raw.baseAddress! + offs[0]
                for i in 0..<count {
                    switch dtype {
                    case "F32": values[i] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                    case "F16": values[i] = halfToFloat(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                    default: values[i] = Float(bitPattern: UInt32(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16)
                    }
                }
            }
            out[name] = SafetensorsTensor(shape: shape, dtype: dtype, values: values)
        }
        return out
    }

    /// Writes fp32 tensors (in the given order, 8-byte aligned header) atomically: temp file + rename.
    static func write(_ path: String, tensors: [(name: String, shape: [Int], data: UnsafeBufferPointer<Float>)],
                             metadata: [String: String] = ["format": "pt"]) throws {
        var members: [(String, JSONValue)] = [
            ("__metadata__", .object(metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
        ]
        var offset = 0
        for t in tensors {
            precondition(t.data.count == t.shape.reduce(1, *))
            let bytes = t.data.count * 4
            members.append((t.name, .object([("dtype", .string("F32")), ("shape", .array(t.shape.map { .int($0) })),
                                             ("data_offsets", .array([.int(offset), .int(offset + bytes)]))])))
            offset += bytes
        }
        var header = JSONValue.object(members).text(.compact)
        while (header.utf8.count) % 8 != 0 { header += " " }
        var data = Data(capacity: 8 + header.utf8.count + offset)
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        for t in tensors {
            #if _endian(little)
            data.append(UnsafeBufferPointer(start: UnsafeRawPointer(t.data.baseAddress!).assumingMemoryBound(to: UInt8.self), count: t.data.count * 4))
            #else
            for v in t.data { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
            #endif
        }
        try writeAtomically(data, to: path)
    }
}

/// IEEE half → single.
func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h >> 15) << 31
    let exp = Int((h >> 10) & 0x1F), man = UInt32(h & 0x3FF)
    if exp == 0 {
        if man == 0 { return Float(bitPattern: sign) }
        return Float(sign == 0 ? 1 : -1) * Float(man) * 0x1p-24   // subnormal
    }
    if exp == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (man << 13)) }
    return Float(bitPattern: sign | UInt32(exp - 15 + 127) << 23 | (man << 13))
}

/// Writes `data` to `path` through a temporary file in the same directory and a rename.
func writeAtomically(_ data: Data, to path: String) throws {
    let tmp = path + ".tmp-\(getpid())"
    guard FileManager.default.createFile(atPath: tmp, contents: data) else {
        throw TrainerError.io(file: path, message: "cannot write (directory missing or not writable?)")
    }
    if rename(tmp, path) != 0 {
        unlink(tmp)
        throw TrainerError.io(file: path, message: "cannot rename the temporary file into place")
    }
}
