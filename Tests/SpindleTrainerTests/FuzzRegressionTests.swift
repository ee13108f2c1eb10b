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

    /// The error message `loadLlama2c` throws for `bytes`, or nil if it loads.
    static func llama2cError(_ bytes: [UInt8]) throws -> String? {
        let path = try file(bytes, "model.bin")
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        do { _ = try Checkpoint.loadLlama2c(path); return nil } catch let e as TrainerError {
            guard case .format(let f, let m) = e else { Issue.record("not a format error: \(e)"); return "\(e)" }
            #expect(f == path)
            return m
        }
    }

    /// oom-508407f9: a 3-million-layer header on a 1 KB file allocated the whole model (2 GB+) before
    /// checking the file size.
    @Test func llama2cHugeLayerCountIsRefusedBeforeAllocating() throws {
        let header = Self.int32s([8, 16, 0x30_0001, 2, 2, 16, 8])
        let message = try Self.llama2cError(header + [UInt8](repeating: 0x3d, count: 1000))
        #expect(message?.contains("the header implies at least") == true, "\(message ?? "loaded")")
    }

    /// Layer count × layer size beyond Int: refused as implausible instead of an overflow trap.
    @Test func llama2cOverflowingSizeIsImplausible() throws {
        let header = Self.int32s([1 << 23, (1 << 24) - 1, (1 << 24) - 1, 2, 2, 16, 8])
        let message = try Self.llama2cError(header + [UInt8](repeating: 0, count: 64))
        #expect(message?.contains("implausible header") == true, "\(message ?? "loaded")")
    }

    /// A v1 ("ak42") header with the same claim is refused the same way.
    @Test func llama2cV1HugeHeaderIsRefused() throws {
        var bytes = Self.int32s([0x616b_3432, 1, 8, 16, 0x30_0001, 2, 2, 16, 8])
        bytes += [UInt8](repeating: 0, count: 256 - bytes.count + 512)
        let message = try Self.llama2cError(bytes)
        #expect(message?.contains("the header implies at least") == true, "\(message ?? "loaded")")
    }
}
