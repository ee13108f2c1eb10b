import Foundation
import Testing
@testable import SpindleIO
import SpindleTestSupport

@Suite struct StreamTests {
    func lines(_ path: String) throws -> [String] {
        let r = try LineReader(path: path)
        var out: [String] = []
        while let l = try r.next() { out.append(String(decoding: l.bytes, as: UTF8.self)) }
        return out
    }

    @Test(arguments: ["plain.jsonl", "packed.jsonl.zst"])
    func writesAndReadsBackLines(name: String) throws {
        let tmp = TempDir("io"); defer { tmp.cleanup() }
        let dir = tmp.path
        let path = dir + "/" + name
        let out = try OutputFile(path: path)
        var expected: [String] = []
        for i in 0..<20000 {
            let s = "line \(i) " + String(repeating: "x", count: i % 97)
            expected.append(s)
            try out.write(s + "\n")
        }
        #expect(!FileManager.default.fileExists(atPath: path), "nothing under the final name before commit")
        try out.commit()
        #expect(try lines(path) == expected)
        let head = try FileHandle(forReadingFrom: URL(fileURLWithPath: path)).readData(ofLength: 4)
        #expect((head == Data([0x28, 0xB5, 0x2F, 0xFD])) == name.hasSuffix(".zst"))
    }

    @Test(.requires(.tool("zstd"), .tool("gzip"))) func readsWhatTheZstdToolWritesAndGzip() throws {
        let tmp = TempDir("io"); defer { tmp.cleanup() }
        let dir = tmp.path
        try "a\nb\r\nc".write(toFile: dir + "/t.txt", atomically: true, encoding: .utf8)
        #expect(try shell("zstd -q \(dir)/t.txt -o \(dir)/t.txt.zst && gzip -k \(dir)/t.txt").status == 0)
        for p in ["/t.txt", "/t.txt.zst", "/t.txt.gz"] {
            #expect(try lines(dir + p) == ["a", "b", "c"], "\(p)")
        }
    }

    @Test func truncatedZstdIsAnErrorNotAShortRead() throws {
        let tmp = TempDir("io"); defer { tmp.cleanup() }
        let dir = tmp.path
        let out = try OutputFile(path: dir + "/t.zst")
        for i in 0..<50000 { try out.write("record number \(i) with some text\n") }
        try out.commit()
        let full = try Data(contentsOf: URL(fileURLWithPath: dir + "/t.zst"))
        try full.prefix(full.count / 2).write(to: URL(fileURLWithPath: dir + "/cut.zst"))
        #expect {
            _ = try lines(dir + "/cut.zst")
        } throws: { error in
            (error as? InputError)?.kind == .truncated
        }
    }

    @Test func uncommittedOutputLeavesNoFile() throws {
        let tmp = TempDir("io"); defer { tmp.cleanup() }
        let dir = tmp.path
        do {
            let out = try OutputFile(path: dir + "/never.jsonl")
            try out.write("partial\n")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test func longLinesGrowTheBuffer() throws {
        let tmp = TempDir("io"); defer { tmp.cleanup() }
        let dir = tmp.path
        let big = String(repeating: "z", count: 3_000_000)
        try (big + "\nsmall").write(toFile: dir + "/big.txt", atomically: true, encoding: .utf8)
        let r = LineReader(try InputFile(path: dir + "/big.txt"), bufferSize: 1024)
        #expect(try r.next()?.bytes.count == 3_000_000)
        #expect(try r.next().map { String(decoding: $0.bytes, as: UTF8.self) } == "small")
        #expect(try r.next() == nil)
    }

    @Test func recordInputSkipsAndCountsBadLines() throws {
        let tmp = TempDir("io"); defer { tmp.cleanup() }
        let dir = tmp.path
        try """
        {"id":"1","text":"ok"}
        {"id":"2","text":
        {"id":"3"}
        {"id":"4","text":"ok too"}
        """.write(toFile: dir + "/in.jsonl", atomically: true, encoding: .utf8)
        // fail: the first bad line stops the run with FILE:LINE.
        let strict = try RecordInput(paths: [dir + "/in.jsonl"])
        #expect {
            try strict.forEach(Document.self) { _ in }
        } throws: { error in
            String(describing: error).hasPrefix(dir + "/in.jsonl:2: ")
        }
        // skip: both bad lines counted and kept in the rejects file.
        let lenient = try RecordInput(paths: [dir + "/in.jsonl"], policy: .skip, rejectsPath: dir + "/rejects.jsonl")
        var ids: [String] = []
        try lenient.forEach(Document.self) { ids.append($0.id) }
        try lenient.finish(command: "test")
        #expect(ids == ["1", "4"])
        #expect(lenient.skipped[.invalidJSON] == 1 && lenient.skipped[.missingField] == 1)
        #expect(try lines(dir + "/rejects.jsonl") == [#"{"id":"2","text":"#, #"{"id":"3"}"#])
    }

    @Test func sha256KnownAnswers() {
        #expect(SHA256.hexDigest([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hexDigest(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(SHA256.hexDigest(million) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}
