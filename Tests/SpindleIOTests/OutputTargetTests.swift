import Foundation
import Testing
import SpindleIO
import SpindleTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `-o` never replaces what is not a regular file, and never names one of the inputs.
@Suite struct OutputTargetTests {
    @Test func devNullStaysADevice() throws {
        let out = try OutputFile(path: "/dev/null")
        try out.write("discarded\n")
        try out.commit()
        var st = stat()
        #expect(stat("/dev/null", &st) == 0)
        #expect(st.st_mode & S_IFMT == S_IFCHR)
        #expect(OutputTarget.isSpecial("/dev/null"))
    }

    @Test func fifoIsWrittenInPlace() throws {
        let tmp = TempDir("otarget"), dir = tmp.path
        defer { tmp.cleanup() }
        let fifo = dir + "/pipe"
        #expect(mkfifo(fifo, 0o600) == 0)
        // A reader on another thread drains the pipe while the output writes and commits.
        nonisolated(unsafe) var got = Data()
        let reader = Thread { got = FileHandle(forReadingAtPath: fifo)?.readDataToEndOfFile() ?? Data() }
        reader.start()
        let out = try OutputFile(path: fifo)
        try out.write("one\ntwo\n")
        try out.commit()
        while !reader.isFinished { usleep(1000) }
        #expect(String(decoding: got, as: UTF8.self) == "one\ntwo\n")
        var st = stat()
        #expect(stat(fifo, &st) == 0 && st.st_mode & S_IFMT == S_IFIFO)
    }

    @Test func outputEqualToAnInputIsRefused() throws {
        let tmp = TempDir("otarget"), dir = tmp.path
        defer { tmp.cleanup() }
        let input = dir + "/in.jsonl"
        try Data("{\"text\":\"x\"}\n".utf8).write(to: URL(fileURLWithPath: input))
        // Spelled differently, still the same file.
        #expect(throws: UsageError.self) { try OutputTarget.checkDistinct(dir + "/./in.jsonl", option: "-o", from: [input]) }
        #expect(throws: UsageError.self) { _ = try RecordInput(paths: [input], policy: .skip, rejectsPath: input) }
        try OutputTarget.checkDistinct(dir + "/out.jsonl", option: "-o", from: [input])
        try OutputTarget.checkDistinct(nil, option: "-o", from: [input])
        #expect((try? UsageError("x").exitCode) == 64)
    }
}
