// Inputs found by `make fuzz` (Fuzz/): each crashed or exhausted memory before its fix and must now be
// refused with a format error naming the file. Self-contained: no shared test helpers.
import Foundation
import Testing
@testable import SpindleTrainer

@Suite struct TrainerFuzzRegressionTests {
    /// Writes `bytes` to a fresh temporary file and returns its path.
    static func file(_ bytes: [UInt8], _ name: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spindle-fuzz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func int32s(_ values: [Int32]) -> [UInt8] {
        values.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    }

    /// The error `loadLlama2c` throws for `bytes` (a format error naming the file, or a config error once
    /// the shape bounds refuse the header first), or nil if it loads.
    static func llama2cError(_ bytes: [UInt8]) throws -> String? {
        let path = try file(bytes, "model.bin")
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        do { _ = try Checkpoint.loadLlama2c(path); return nil } catch let e as TrainerError {
            switch e {
            case .format(let f, let m): #expect(f == path); return m
            case .config: return "\(e)"
            default: Issue.record("not a format or config error: \(e)"); return "\(e)"
            }
        }
    }

    /// Refused either by the size check or by the model-shape bounds (both before allocating).
    static func refused(_ message: String?, _ expected: String) -> Bool {
        guard let message else { return false }
        return message.contains(expected) || message.contains("larger than any model")
    }

    /// oom-508407f9: a 3-million-layer header on a 1 KB file allocated the whole model (2 GB+) before
    /// checking the file size.
    @Test func llama2cHugeLayerCountIsRefusedBeforeAllocating() throws {
        let header = Self.int32s([8, 16, 0x30_0001, 2, 2, 16, 8])
        let message = try Self.llama2cError(header + [UInt8](repeating: 0x3d, count: 1000))
        #expect(Self.refused(message, "the header implies at least"), "\(message ?? "loaded")")
    }

    /// Layer count × layer size beyond Int: refused as implausible instead of an overflow trap.
    @Test func llama2cOverflowingSizeIsImplausible() throws {
        let header = Self.int32s([1 << 23, (1 << 24) - 1, (1 << 24) - 1, 2, 2, 16, 8])
        let message = try Self.llama2cError(header + [UInt8](repeating: 0, count: 64))
        #expect(Self.refused(message, "implausible header"), "\(message ?? "loaded")")
    }

    /// A v1 ("ak42") header with the same claim is refused the same way.
    @Test func llama2cV1HugeHeaderIsRefused() throws {
        var bytes = Self.int32s([0x616b_3432, 1, 8, 16, 0x30_0001, 2, 2, 16, 8])
        bytes += [UInt8](repeating: 0, count: 256 - bytes.count + 512)
        let message = try Self.llama2cError(bytes)
        #expect(Self.refused(message, "the header implies at least"), "\(message ?? "loaded")")
    }

    /// slow-unit 141ee911 (4 s, 512 MB): a 3 KB v1 file with seq_len 16,711,696 built its whole rope table.
    /// Within the shape bounds (seq_len 2^20, head_dim 64) a 68 KB file still asked for a 256 MB table.
    @Test func llama2cV1HugeSeqLenIsRefused() throws {
        var bytes = Self.int32s([0x616b_3432, 1, 64, 1, 1, 1, 1, 1, 1 << 20])
        bytes += [UInt8](repeating: 0, count: 256 - bytes.count + 68_000)
        let message = try Self.llama2cError(bytes)
        #expect(message?.contains("rope table is larger than the weights") == true, "\(message ?? "loaded")")
    }

    /// A safetensors file: u64 LE header length, the JSON header, then the body.
    static func safetensors(_ header: String, body: [UInt8] = []) -> [UInt8] {
        let h = Array(header.utf8)
        return withUnsafeBytes(of: UInt64(h.count).littleEndian) { Array($0) } + h + body
    }

    /// The message `Safetensors.read` throws for `bytes`, or nil if it reads.
    static func safetensorsError(_ bytes: [UInt8]) throws -> String? {
        let path = try file(bytes, "model.safetensors")
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        do { _ = try Safetensors.read(path); return nil } catch let e as TrainerError {
            guard case .format(let f, let m) = e else { Issue.record("not a format error: \(e)"); return "\(e)" }
            #expect(f == path)
            return m
        }
    }

    /// A shape whose element count overflows Int ([2^32, 2^32] wraps to 0) trapped on `reduce(1, *)`.
    @Test func safetensorsOverflowingShapeIsABadShape() throws {
        let bytes = Self.safetensors(#"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}"#)
        let message = try Self.safetensorsError(bytes)
        #expect(message?.contains("tensor a: bad shape") == true, "\(message ?? "read")")
    }

    /// An end offset of Int.min made `end - begin` overflow.
    @Test func safetensorsNegativeEndOffsetIsRefused() throws {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[1,-9223372036854775808]}}"#
        let message = try Self.safetensorsError(Self.safetensors(header, body: [UInt8](repeating: 0, count: 8)))
        #expect(message?.contains("tensor a: data_offsets") == true, "\(message ?? "read")")
    }

    /// crash-9e6c118a: `num_attention_heads: 0` with `head_dim` present divided by zero before validate().
    @Test func configJSONWithZeroHeadsAndHeadDimIsAConfigError() throws {
        let json = #"{"hidden_size": 64, "num_attention_heads": 0, "num_hidden_layers": 2, "num_key_value_heads": 2,"#
            + #" "intermediate_size": 172, "vocab_size": 2000, "head_dim": 16}"#
        let path = try Self.file(Array(json.utf8), "config.json")
        let dir = (path as NSString).deletingLastPathComponent
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: TrainerError.self) { _ = try Checkpoint.loadConfig(dir) }
        do { _ = try Checkpoint.loadConfig(dir) } catch let e as TrainerError {
            guard case .config(let field, _) = e else { Issue.record("not a config error: \(e)"); return }
            #expect(field == "n_heads")
        }
    }
}
