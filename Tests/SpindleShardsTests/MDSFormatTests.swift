import Foundation
import SpindleIO
import Testing
@testable import SpindleShards
import SpindleTestSupport

@Suite("Hashes")
struct HashTests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func sha256Vectors(input: String, hex: String) {
        #expect(SHA256.hex(Array(input.utf8)) == hex)
    }

    @Test func sha256MillionA() {
        #expect(SHA256.hex([UInt8](repeating: 0x61, count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Every length 0..<200 (all block-boundary cases): the SHA-256 of the concatenated hex digests,
    /// from Python's hashlib and xxhash.
    @Test func allLengthsMatchPython() {
        func data(_ n: Int) -> [UInt8] { (0..<n).map { UInt8(($0 * 13 + 5) % 256) } }
        let sha = (0..<200).map { SHA256.hex(data($0)) }.joined()
        #expect(SHA256.hex(Array(sha.utf8)) == "762a135ecfa3367fa4a8fa779a617d2efedcf4ae0ad54339ec2d3a572e1d08d5")
        let xx = (0..<200).map { n in data(n).withUnsafeBytes { XXH64.hex($0) } }.joined()
        #expect(SHA256.hex(Array(xx.utf8)) == "d50f76796b971814b7161cb4491c719d8d3a8fd7aeabbf61309e9ab15ae555d2")
    }

    /// Reference digests from Python's `xxhash.xxh64(data).hexdigest()`.
    @Test func xxh64Vectors() {
        func h(_ b: [UInt8]) -> String { b.withUnsafeBytes { XXH64.hex($0) } }
        #expect(h([]) == "ef46db3751d8e999")
        #expect(h(Array("a".utf8)) == "d24ec4f1a98c6e5b")
        #expect(h(Array("abc".utf8)) == "44bc2cf5ad770999")
        let long = (0..<3).flatMap { _ in (0..<256).map { UInt8($0) } } + Array("xyz".utf8)
        #expect(h(long) == "e921a1b45bd779f8")
        // Every tail path: 32-byte stripes, 8-, 4- and 1-byte remainders.
        func bytes(_ n: Int) -> [UInt8] { (0..<n).map { UInt8(($0 * 7 + 3) % 256) } }
        #expect(h(bytes(45)) == "86faee00897c4b41")
        #expect(h(bytes(12)) == "d52e407833af5133")
        #expect(h(bytes(100)) == "a61f8d4c170fe531")
    }
}

@Suite("MDS writer and reader")
struct MDSFormatTests {
    static let goldenColumns: [String: MDSEncoding] = [
        "input_ids": MDSEncoding("ndarray:uint16:8")!, "segment_ids": MDSEncoding("ndarray:uint16:8")!,
        "loss_mask": MDSEncoding("ndarray:uint8:8")!, "chosen_ids": MDSEncoding("ndarray:uint16")!,
        "prompt_len": .scalar(.uint32), "margin_degree": .scalar(.uint8), "aspect": .str, "id": .int,
    ]

    static let goldenSamples: [[String: MDSValue]] = [
        ["input_ids": .integers([1, 2, 3, 4, 5, 6, 7, 8]), "segment_ids": .integers([1, 1, 1, 1, 2, 2, 2, 0]),
         "loss_mask": .uint8s([0, 0, 1, 1, 0, 1, 1, 0]), "chosen_ids": .integers([1, 300, 65535]),
         "prompt_len": .integer(2), "margin_degree": .integer(3), "aspect": .string("helpfulness"), "id": .integer(-5)],
        ["input_ids": .integers([9, 9, 9, 9, 9, 9, 9, 9]), "segment_ids": .integers([1, 1, 1, 1, 1, 1, 1, 1]),
         "loss_mask": .uint8s([1, 1, 1, 1, 1, 1, 1, 1]), "chosen_ids": .integers([7]),
         "prompt_len": .integer(0), "margin_degree": .integer(0), "aspect": .string("sécurité 😀"), "id": .integer(123456789012)],
        ["input_ids": .integers([0, 0, 0, 0, 0, 0, 0, 0]), "segment_ids": .integers([0, 0, 0, 0, 0, 0, 0, 0]),
         "loss_mask": .uint8s([0, 0, 0, 0, 0, 0, 0, 0]), "chosen_ids": .integers([2, 2]),
         "prompt_len": .integer(4294967295), "margin_degree": .integer(255), "aspect": .string(""), "id": .integer(0)],
    ]

    func writeGolden(_ dir: String, compression: ShardCompression? = nil) throws {
        let w = try MDSWriter(directory: dir, columns: Self.goldenColumns, compression: compression,
                              hashes: [.xxh64, .sha256], sizeLimit: 560)
        for s in Self.goldenSamples { try w.write(s) }
        try w.finish()
    }

    /// Byte-identical to streaming's MDSWriter: the index (which carries both hashes of every shard file).
    @Test func matchesStreamingWriterByteForByte() throws {
        let t = TempDir(); defer { t.cleanup() }
        try writeGolden(t.path)
        let ours = String(decoding: readBytes(t.sub("index.json")), as: UTF8.self)
        #expect(ours == streamingGoldenIndex.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test(arguments: [false, true])
    func roundTrip(compressed: Bool) throws {
        let t = TempDir(); defer { t.cleanup() }
        try writeGolden(t.path, compression: compressed ? ShardCompression(level: 7) : nil)
        let r = try MDSReader(directory: t.path, verifyHashes: true)
        #expect(r.count == 3)
        #expect(r.index.shards.count == 3)
        if compressed {
            #expect(r.index.shards[0].compression == "zstd:7")
            #expect(FileManager.default.fileExists(atPath: t.sub("shard.00000.mds.zstd")))
            #expect(!FileManager.default.fileExists(atPath: t.sub("shard.00000.mds")))
        }
        for (i, s) in Self.goldenSamples.enumerated() {
            let x = try r.sample(i)
            guard case .integers(let ids) = s["input_ids"]!, case .integers(let chosen) = s["chosen_ids"]!,
                  case .uint8s(let mask) = s["loss_mask"]!, case .string(let aspect) = s["aspect"]!,
                  case .integer(let pl) = s["prompt_len"]!, case .integer(let id) = s["id"]!
            else { Issue.record("bad fixture"); return }
            #expect(try x.int32s("input_ids") == ids)
            #expect(try x.int32s("chosen_ids") == chosen)
            #expect(try x.uint8s("loss_mask") == mask)
            #expect(try x.string("aspect") == aspect)
            #expect(try x.integer("prompt_len") == pl)
            #expect(try x.integer("id") == id)
        }
        #expect(throws: ShardError.sampleOutOfRange(index: 3, count: 3)) { try r.sample(3) }
    }

    @Test func deterministicBytes() throws {
        let a = TempDir(), b = TempDir(); defer { a.cleanup(); b.cleanup() }
        try writeGolden(a.path, compression: ShardCompression())
        try writeGolden(b.path, compression: ShardCompression())
        for name in ["index.json", "shard.00000.mds.zstd", "shard.00001.mds.zstd", "shard.00002.mds.zstd"] {
            #expect(readBytes(a.sub(name)) == readBytes(b.sub(name)), "\(name)")
        }
    }

    @Test func sizeLimitSplitsShards() throws {
        let t = TempDir(); defer { t.cleanup() }
        let w = try MDSWriter(directory: t.path, columns: ["x": MDSEncoding("ndarray:uint16:100")!], sizeLimit: 1000)
        for i in 0..<50 { try w.write(["x": .integers(Array(repeating: Int32(i), count: 100))]) }
        let idx = try w.finish()
        #expect(idx.shards.count > 5)
        for s in idx.shards { #expect(s.rawData.bytes <= 1000) }
        #expect(idx.shards.reduce(0) { $0 + $1.samples } == 50)
        let r = try MDSReader(directory: t.path)
        for i in 0..<50 { #expect(try r.sample(i).int32s("x") == Array(repeating: Int32(i), count: 100)) }
    }

    @Test func refusesExistingOutputUnlessOverwrite() throws {
        let t = TempDir(); defer { t.cleanup() }
        try writeGolden(t.path)
        #expect(throws: ShardError.outputExists(directory: t.path)) { try writeGolden(t.path) }
        let w = try MDSWriter(directory: t.path, columns: ["x": .int], overwrite: true)
        try w.write(["x": .integer(1)])
        try w.finish()
        #expect(!FileManager.default.fileExists(atPath: t.sub("shard.00001.mds")))
        #expect(try MDSReader(directory: t.path).count == 1)
    }

    @Test func rejectsBadSamples() throws {
        let t = TempDir(); defer { t.cleanup() }
        let w = try MDSWriter(directory: t.path, columns: ["x": MDSEncoding("ndarray:uint16:4")!, "s": .scalar(.uint8)])
        #expect(throws: ShardError.self) { try w.write(["x": .integers([1, 2, 3]), "s": .integer(0)]) }
        #expect(throws: ShardError.self) { try w.write(["x": .integers([1, 2, 3, 70000]), "s": .integer(0)]) }
        #expect(throws: ShardError.self) { try w.write(["x": .integers([1, 2, 3, 4]), "s": .integer(256)]) }
        #expect(throws: ShardError.self) { try w.write(["x": .integers([1, 2, 3, 4])]) }
        #expect(throws: ShardError.self) { try w.write(["x": .string("no"), "s": .integer(1)]) }
    }

    @Test func encodingSpellings() {
        for s in ["bytes", "str", "int", "uint8", "uint32", "ndarray", "ndarray:int32", "ndarray:uint16:4096", "ndarray:uint8:2,3"] {
            #expect(MDSEncoding(s)?.description == s)
        }
        for s in ["", "ndarray:foo", "ndarray:uint16:0", "ndarray:uint16:x", "pkl", "str:3"] { #expect(MDSEncoding(s) == nil) }
        #expect(MDSEncoding("ndarray:uint16:4096")?.fixedSize == 8192)
        #expect(MDSEncoding("ndarray:uint16")?.fixedSize == nil)
    }

    @Test func missingAndForeignDirectories() throws {
        let t = TempDir(); defer { t.cleanup() }
        #expect(throws: ShardError.missingIndex(directory: t.path)) { try MDSReader(directory: t.path) }
        writeBytes(Array(#"{"version": 3, "shards": []}"#.utf8), t.sub("index.json"))
        #expect(throws: ShardError.self) { try MDSReader(directory: t.path) }
        writeBytes(Array(#"{"version": 2, "shards": [{"format": "json", "version": 2}]}"#.utf8), t.sub("index.json"))
        do { _ = try MDSReader(directory: t.path); Issue.record("expected an error") } catch {
            #expect("\(error)".contains("format \"json\""))
        }
    }

    /// A basename in index.json must not reach outside the directory.
    @Test func rejectsPathTraversal() throws {
        let t = TempDir(); defer { t.cleanup() }
        try writeGolden(t.path)
        let text = String(decoding: readBytes(t.sub("index.json")), as: UTF8.self)
            .replacingOccurrences(of: "\"shard.00000.mds\"", with: "\"../../etc/passwd\"")
        writeBytes(Array(text.utf8), t.sub("index.json"))
        do { _ = try MDSReader(directory: t.path); Issue.record("expected an error") } catch {
            #expect("\(error)".contains("not a plain file name"))
        }
    }
}

@Suite("MDS corruption")
struct MDSCorruptionTests {
    /// Reads every sample of every column; returns the error if any.
    static func readAll(_ dir: String, verify: Bool) -> ShardError? {
        do {
            let r = try MDSReader(directory: dir, verifyHashes: verify)
            for i in 0..<r.count {
                let s = try r.sample(i)
                for (name, enc) in zip(s.columns.names, s.columns.encodings) {
                    switch enc {
                    case .ndarray: _ = try s.int32s(name)
                    case .str: _ = try s.string(name)
                    case .int, .scalar: _ = try s.integer(name)
                    case .bytes: _ = try s.raw(name)
                    }
                }
            }
            return nil
        } catch { return error }
    }

    /// Every truncation of a shard and of index.json gives a typed error, never a crash.
    @Test(arguments: [false, true])
    func everyTruncationIsATypedError(compressed: Bool) throws {
        let t = TempDir(); defer { t.cleanup() }
        try MDSFormatTests().writeGolden(t.path, compression: compressed ? ShardCompression() : nil)
        let shard = t.sub(compressed ? "shard.00001.mds.zstd" : "shard.00001.mds")
        let original = readBytes(shard)
        for n in 0..<original.count {
            writeBytes(Array(original[0..<n]), shard)
            let e = Self.readAll(t.path, verify: false)
            #expect(e != nil, "truncated to \(n) bytes was accepted")
        }
        writeBytes(original, shard)
        #expect(Self.readAll(t.path, verify: true) == nil)
        let index = readBytes(t.sub("index.json"))
        for n in stride(from: 0, to: index.count, by: 7) {
            writeBytes(Array(index[0..<n]), t.sub("index.json"))
            #expect(Self.readAll(t.path, verify: false) != nil)
        }
    }

    /// Random byte flips: with hash checking every one is caught; without it the reader either
    /// detects the damage structurally or decodes without crashing.
    @Test func randomFlipsNeverCrash() throws {
        let t = TempDir(); defer { t.cleanup() }
        try MDSFormatTests().writeGolden(t.path)
        let shard = t.sub("shard.00000.mds")
        let original = readBytes(shard)
        var rng = TestRNG(42)
        for _ in 0..<400 {
            var b = original
            for _ in 0..<(1 + rng.int(3)) { b[rng.int(b.count)] ^= UInt8(1 + rng.int(255)) }
            writeBytes(b, shard)
            _ = Self.readAll(t.path, verify: false)  // must not trap
            if b != original {
                let e = Self.readAll(t.path, verify: true)
                guard case .hashMismatch = e else { Issue.record("flip not caught by hash: \(String(describing: e))"); continue }
            }
        }
        // Header damage specifically: huge sample count and offsets.
        var b = original
        b[3] = 0x7F
        writeBytes(b, shard)
        #expect(Self.readAll(t.path, verify: false) != nil)
    }

    @Test func randomIndexDamageNeverCrashes() throws {
        let t = TempDir(); defer { t.cleanup() }
        try MDSFormatTests().writeGolden(t.path)
        let original = readBytes(t.sub("index.json"))
        var rng = TestRNG(7)
        let alphabet = Array("{}[]\",:0123456789-.enulltrue\\ ".utf8)
        for _ in 0..<400 {
            var b = original
            for _ in 0..<(1 + rng.int(4)) { b[rng.int(b.count)] = alphabet[rng.int(alphabet.count)] }
            writeBytes(b, t.sub("index.json"))
            _ = Self.readAll(t.path, verify: true)
        }
    }
}

@Suite("MDS unfinished runs")
struct MDSUnfinishedRunTests {
    /// A run that died before index.json leaves shard files; the next run removes them, so no stale
    /// shard survives beside the new index.
    @Test func staleShardsOfAnUnfinishedRunAreRemoved() throws {
        let t = TempDir(); defer { t.cleanup() }
        let w = try MDSWriter(directory: t.path, columns: ["x": .int], sizeLimit: 100)
        for i in 0..<40 { try w.write(["x": .integer(Int64(i))]) }  // several shards flushed, never finished
        #expect(FileManager.default.fileExists(atPath: t.sub("shard.00003.mds")))
        let w2 = try MDSWriter(directory: t.path, columns: ["x": .int])
        try w2.write(["x": .integer(1)])
        try w2.finish()
        #expect(ShardFiles.list(t.path).sorted() == ["index.json", "shard.00000.mds"])
    }
}

@Suite("MDS hostile indexes")
struct MDSHostileIndexTests {
    /// Sizes chosen to overflow or exhaust memory are rejected before anything is allocated.
    @Test(arguments: [
        ("\"ndarray:uint8:8\"", "\"ndarray:uint8:4294967296,4294967296\""),
        ("\"samples\": 1,", "\"samples\": 9223372036854775807,"),
        ("\"bytes\": 496,", "\"bytes\": 1099511627776,"),
    ])
    func rejected(find: String, replace: String) throws {
        let t = TempDir(); defer { t.cleanup() }
        try MDSFormatTests().writeGolden(t.path)
        let text = String(decoding: readBytes(t.sub("index.json")), as: UTF8.self)
        #expect(text.contains(find))
        writeBytes(Array(text.replacingOccurrences(of: find, with: replace).utf8), t.sub("index.json"))
        #expect(throws: ShardError.self) {
            let r = try MDSReader(directory: t.path, verifyHashes: true)
            for i in 0..<min(r.count, 10) { _ = try r.sample(i) }
        }
    }
}
