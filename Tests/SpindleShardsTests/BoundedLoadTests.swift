// Allocation follows evidence (issue 12 item 7): a zstd shard whose index.json claims more than it
// holds, or a zstd bomb, is refused with a typed error naming the file and the field, while reading
// stays within bounded buffers; hashes are computed as the bytes stream in.
import Foundation
import Testing
import SpindleIO
@testable import SpindleShards
import SpindleTestSupport

/// A zstd frame of `bytes` zeros made of RLE blocks (4 bytes per 128 KiB): ~32,000x expansion. With
/// `declareSize` the frame header records the content size, otherwise it is left unknown.
func zstdBomb(bytes: Int, declareSize: Bool) -> [UInt8] {
    var out: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]
    out.append(declareSize ? 0xC0 : 0x00)  // frame header descriptor: 8-byte content size, or none
    out.append(0x38)                       // window descriptor: 2^(10+7) = 128 KiB
    if declareSize { for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: UInt64(bytes) >> (8 * UInt64(k)))) } }
    var left = bytes
    while left > 0 {
        let n = min(left, 1 << 17)
        left -= n
        let header = UInt32(left == 0 ? 1 : 0) | (1 << 1) | (UInt32(n) << 3)  // last flag, RLE, size
        out += [UInt8(header & 0xFF), UInt8((header >> 8) & 0xFF), UInt8(header >> 16), 0x00]
    }
    return out
}

/// Rewrites index.json of `dir` through `edit`.
func editIndex(_ dir: String, _ edit: (inout MDSIndex) -> Void) throws {
    let path = dir + "/index.json"
    var index = try MDSIndex.parse(readBytes(path), path: path)
    edit(&index)
    writeBytes(Array(index.dumps().utf8), path)
}

/// The golden MDS data set, zstd-compressed, with shard 0's compressed file replaced by `zip` (its
/// zip_data size and hashes updated to match, so only the claim is a lie) and raw_data.bytes = `claim`.
func forgedZstdShard(_ dir: String, zip: [UInt8]?, claim: Int) throws {
    try MDSFormatTests().writeGolden(dir, compression: ShardCompression())
    let zipPath = dir + "/shard.00000.mds.zstd"
    if let zip { writeBytes(zip, zipPath) }
    let bytes = readBytes(zipPath)
    try editIndex(dir) { index in
        index.shards[0].zipData!.bytes = bytes.count
        index.shards[0].zipData!.hashes = Dictionary(uniqueKeysWithValues: ShardHash.allCases.map {
            h in (h.rawValue, bytes.withUnsafeBytes { h.hex($0) })
        })
        index.shards[0].rawData.bytes = claim
    }
}

@Suite("Bounded shard loading")
struct BoundedLoadTests {
    /// The streaming XXH64 equals the one-shot hash however the input is cut.
    @Test func xxh64StreamMatchesOneShot() {
        var rng = TestRNG(11)
        for length in [0, 1, 3, 4, 7, 8, 31, 32, 33, 63, 64, 65, 100, 1000, 5003] {
            let data = (0..<length).map { _ in UInt8(rng.int(256)) }
            for _ in 0..<5 {
                var s = XXH64Stream()
                var i = 0
                while i < length {
                    let n = min(length - i, 1 + rng.int(70))
                    data.withUnsafeBytes { s.update(UnsafeRawBufferPointer(rebasing: $0[i..<(i + n)])) }
                    i += n
                }
                #expect(s.digest == XXH64.hash(data), "length \(length)")
            }
        }
    }

    /// A read hands every byte to `each`, in order, across chunk boundaries; a limit below the file's
    /// size is refused before reading.
    @Test func readStreamsEveryByte() throws {
        let t = TempDir(); defer { t.cleanup() }
        var rng = TestRNG(3)
        let data = (0..<(3 * ShardFiles.chunkSize + 17)).map { _ in UInt8(rng.int(256)) }
        writeBytes(data, t.sub("f"))
        var seen: [UInt8] = []
        let got = try ShardFiles.read(t.sub("f")) { seen.append(contentsOf: $0) }
        #expect(got == data && seen == data)
        #expect(throws: ShardError.self) { try ShardFiles.read(t.sub("f"), limit: data.count - 1) }
        writeBytes([], t.sub("empty"))
        #expect(try ShardFiles.read(t.sub("empty")) == [])
    }

    /// Every claim that does not match the compressed shard is a typed error naming the file and
    /// raw_data.bytes, hashes checked or not.
    @Test(arguments: [true, false])
    func forgedClaimsOnARealShard(verify: Bool) throws {
        let t = TempDir(); defer { t.cleanup() }
        try MDSFormatTests().writeGolden(t.path, compression: ShardCompression())
        let actual = try MDSReader(directory: t.path).index.shards[0].rawData.bytes
        for claim in [Int(UInt32.max), actual + 1000, actual - 10] {
            try forgedZstdShard(t.sub("c\(claim)"), zip: nil, claim: claim)
            let r = try MDSReader(directory: t.sub("c\(claim)"), verifyHashes: verify)
            do { _ = try r.loadShard(0); Issue.record("claim \(claim) accepted") } catch {
                guard case .sizeClaim(let path, let field, _) = error else { Issue.record("\(error)"); continue }
                #expect(path.hasSuffix("shard.00000.mds.zstd") && field == "raw_data.bytes", "\(error)")
            }
            #expect(try r.loadShard(1).count == 1)  // the other shards still read
        }
        // 64 GB is more than any MDS file can be: refused with the index itself.
        try forgedZstdShard(t.sub("huge"), zip: nil, claim: 64 << 30)
        do { _ = try MDSReader(directory: t.sub("huge")); Issue.record("64 GB claim accepted") } catch {
            #expect(error.description.contains("raw_data.bytes"), "\(error)")
        }
    }

    /// A 1 GiB zstd bomb: with an honest-looking claim it is refused before decompressing (it is
    /// 32,000x its file); with a small claim decompression stops as soon as the output passes it.
    @Test(arguments: [true, false])
    func zstdBombs(declareSize: Bool) throws {
        let t = TempDir(); defer { t.cleanup() }
        let bomb = zstdBomb(bytes: 1 << 30, declareSize: declareSize)
        #expect(bomb.count < 40_000)
        try forgedZstdShard(t.sub("whole"), zip: bomb, claim: 1 << 30)
        try forgedZstdShard(t.sub("small"), zip: bomb, claim: 1 << 20)
        for (dir, reason) in [("whole", "plausibly hold"), ("small", declareSize ? "frame declares" : "more than the 1048576")] {
            for verify in [true, false] {
                do { _ = try MDSReader(directory: t.sub(dir), verifyHashes: verify).loadShard(0); Issue.record("bomb accepted") } catch {
                    guard case .sizeClaim(_, "raw_data.bytes", let why) = error else { Issue.record("\(error)"); continue }
                    #expect(why.contains(reason), "\(dir): \(error)")
                    #expect(error.exitCode == 65)
                }
            }
        }
    }

    /// A damaged compressed file whose decompression fails is reported by its hash (the root cause)
    /// when hashes are checked.
    @Test func damagedZstdIsAHashMismatch() throws {
        let t = TempDir(); defer { t.cleanup() }
        try MDSFormatTests().writeGolden(t.path, compression: ShardCompression())
        var b = readBytes(t.sub("shard.00000.mds.zstd"))
        b[b.count - 2] ^= 0xFF
        writeBytes(b, t.sub("shard.00000.mds.zstd"))
        do { _ = try MDSReader(directory: t.path, verifyHashes: true).loadShard(0); Issue.record("accepted") } catch {
            guard case .hashMismatch(let path, "zip_data", _, _, _) = error else { Issue.record("\(error)"); return }
            #expect(path.hasSuffix("shard.00000.mds.zstd"))
        }
    }
}

/// The CLI on the same hostile shards: exit 65 naming the file and field, and bounded memory.
@Suite("Bounded shard loading (CLI)", .requires(.spindleBinary))
struct BoundedLoadCLITests {
    /// Maximum resident set size of `spindle ARGS` in KiB (GNU time), with its result.
    func maxRSS(_ args: [String]) throws -> (ProcessResult, Int?) {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/time") else {
            return (try SpindleBinary.run(args), nil)
        }
        let p = try runProcess("/usr/bin/time", ["-f", "maxrss=%M", SpindleBinary.path] + args)
        let line = p.stderr.split(separator: "\n").last { $0.hasPrefix("maxrss=") }
        return (p, line.flatMap { Int($0.dropFirst(7)) })
    }

    @Test func verifyRefusesBombsAndForgedClaimsInBoundedMemory() throws {
        let t = TempDir(); defer { t.cleanup() }
        let bomb = zstdBomb(bytes: 1 << 30, declareSize: true)
        try forgedZstdShard(t.sub("bomb"), zip: bomb, claim: 1 << 30)
        try forgedZstdShard(t.sub("stream"), zip: zstdBomb(bytes: 1 << 30, declareSize: false), claim: 40 << 20)
        try forgedZstdShard(t.sub("forged"), zip: nil, claim: Int(UInt32.max))
        for dir in ["bomb", "stream", "forged"] {
            let (p, rss) = try maxRSS(["shards", "verify", t.sub(dir)])
            #expect(p.status == 65, "\(dir): \(p.output)")
            #expect(p.stdout.contains("shard.00000.mds.zstd: raw_data.bytes:"), "\(dir): \(p.output)")
            // The claims are 1 GiB, 40 MiB and 4 GiB; the binary alone takes ~26 MiB. Nothing near a
            // claim is ever allocated: the streamed bomb is hashed and counted in bounded buffers.
            if let rss { #expect(rss < 56 * 1024, "\(dir): max RSS \(rss) KiB") }
        }
    }
}
