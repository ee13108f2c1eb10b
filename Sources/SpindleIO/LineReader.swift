#if canImport(Glibc)
import Glibc
#endif

/// Splits an input stream into lines in constant memory (one buffer, grown only for a line longer
/// than it). Line endings (`\n`, and a `\r` before it) are not part of the line.
public final class LineReader {
    /// One line: its bytes stay valid only until the next call to `next()`.
    public struct Line {
        public var bytes: UnsafeBufferPointer<UInt8>
        /// 1-based line number in the input.
        public var number: Int
    }

    public let input: InputFile
    public var name: String { input.name }
    private var buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private var eof = false
    private var lineNumber = 0
    /// Decoded bytes handed out so far (line ends included).
    public private(set) var bytesConsumed = 0

    public init(_ input: InputFile, bufferSize: Int = 4 << 20) {
        self.input = input
        if input.isStdin { lineNumber = InputFile.stdinLabel.firstLine - 1 }
        buffer = .allocate(byteCount: max(bufferSize, 16), alignment: 64)
    }

    public convenience init(path: String?) throws {
        self.init(try InputFile(path: path))
    }

    deinit { buffer.deallocate() }

    /// The next line, or nil at the end of the input.
    public func next() throws -> Line? {
        while true {
            let base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            if start < end, let nl = memchr(base + start, 0x0A, end - start) {
                let nlIndex = UnsafeRawPointer(nl) - UnsafeRawPointer(base)
                var lineEnd = nlIndex
                if lineEnd > start && base[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                let line = UnsafeBufferPointer(start: base + start, count: lineEnd - start)
                bytesConsumed += nlIndex + 1 - start
                start = nlIndex + 1
                lineNumber += 1
                return Line(bytes: line, number: lineNumber)
            }
            if eof {
                if start < end {
                    var lineEnd = end
                    if base[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                    let line = UnsafeBufferPointer(start: base + start, count: lineEnd - start)
                    bytesConsumed += end - start
                    start = end
                    lineNumber += 1
                    return Line(bytes: line, number: lineNumber)
                }
                return nil
            }
            try fill()
        }
    }

    private func fill() throws {
        if start > 0 {
            let live = end - start
            if live > 0 { buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: live) }
            start = 0
            end = live
        }
        if end == buffer.count {
            // A line longer than the buffer: grow it.
            let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count * 2, alignment: 64)
            bigger.baseAddress!.copyMemory(from: buffer.baseAddress!, byteCount: end)
            buffer.deallocate()
            buffer = bigger
        }
        let n = try input.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[end...]))
        if n == 0 { eof = true }
        end += n
    }
}
