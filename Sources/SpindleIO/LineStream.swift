// LineStream.swift: line-oriented streaming for filters that turn each line into output bytes (the
// tokenizer's encode and decode): big blocks are read, split at line boundaries into one part per
// thread, transformed in parallel and written back in input order. A bad line is an `InputError` with
// its file and line, like every other reader's.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// What is wrong with one input line; the stream adds file and line number and throws it as an `InputError`.
public struct LineProblem: Error, CustomStringConvertible, Sendable {
    public var kind: InputError.Kind
    public var field: String?
    public var message: String
    public init(_ message: String, kind: InputError.Kind = .invalidValue, field: String? = nil) {
        self.kind = kind; self.field = field; self.message = message
    }
    /// A record reader's error, placed later at the stream's file and line.
    public init(_ e: InputError) { self.init(e.message, kind: e.kind, field: e.field) }
    public var description: String { (field.map { "field '\($0)': " } ?? "") + message }
}

/// Transforms one line (without its newline) into output bytes (the newline is added by the caller).
/// One instance per thread, so it may keep scratch state.
public protocol LineTransform: AnyObject {
    func transform(_ line: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) throws(LineProblem)
}

/// Streams `input` to `output` line by line through `transforms` (one per thread; count = threads).
/// Returns (lines, input bytes). A bad line throws `InputError` (file, line, field); I/O failures `SystemError`.
@discardableResult
public func streamLines(input: InputFile, output: OutputFile,
                        transforms: [LineTransform], blockSize: Int = 4 << 20) throws -> (lines: Int, bytes: Int) {
    let inputName = input.name
    let threads = max(1, transforms.count)
    var buffer = [UInt8](repeating: 0, count: blockSize * threads)
    var carry = 0
    var lineNo = 0
    var totalBytes = 0
    var eof = false
    let outs = ThreadSlots<[UInt8]>(threads, [])
    let errors = ThreadSlots<InputError?>(threads, nil)
    while !eof || carry > 0 {
        if buffer.count - carry < blockSize { buffer += [UInt8](repeating: 0, count: buffer.count) }
        let n = try buffer.withUnsafeMutableBytes { try input.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[carry...])) }
        if n == 0 { eof = true }
        let filled = carry + n
        totalBytes += n
        // Complete lines end at the last newline (or at EOF, everything).
        var end = filled
        if !eof {
            while end > 0 && buffer[end - 1] != 0x0A { end -= 1 }
            if end == 0 { carry = filled; continue }   // one line longer than the buffer: read more
        }
        if end == 0 { break }
        // Split [0, end) into parts at newlines, counting lines for error messages.
        var parts: [(Range<Int>, Int)] = []
        buffer.withUnsafeBufferPointer { b in
            var s = 0
            let target = max(1, end / threads)
            var ln = lineNo
            while s < end {
                var e = min(end, s + target)
                while e < end && b[e - 1] != 0x0A { e += 1 }
                if parts.count == threads - 1 { e = end }
                var c = 0
                for k in s..<e where b[k] == 0x0A { c += 1 }
                if e == end && b[e - 1] != 0x0A { c += 1 }
                parts.append((s..<e, ln))
                ln += c
                s = e
            }
            lineNo = ln
        }
        buffer.withUnsafeBufferPointer { b in
            let base = b.baseAddress!
            // Why nonisolated(unsafe): the block buffer outlives the parallel loop and is only read in it;
            // transform p is used by part p alone.
            nonisolated(unsafe) let basePtr = base
            let parts = parts
            nonisolated(unsafe) let transforms = transforms
            let work: @Sendable (Int) -> Void = { (p: Int) in
                let (r, firstLine) = parts[p]
                var out: [UInt8] = []
                out.reserveCapacity(r.count * 2)
                var s = r.lowerBound
                var ln = firstLine
                let t = transforms[p]
                while s < r.upperBound {
                    var e = s
                    while e < r.upperBound && basePtr[e] != 0x0A { e += 1 }
                    ln += 1
                    do throws(LineProblem) {
                        try t.transform(UnsafeBufferPointer(start: basePtr + s, count: e - s), into: &out)
                    } catch {
                        errors[p] = InputError(error.kind, file: inputName, line: ln, field: error.field, error.message)
                        break
                    }
                    out.append(0x0A)
                    s = e + 1
                }
                outs[p] = out
            }
            Parallel(threads: parts.count).forEach(parts.count, work)
            _ = base
        }
        for p in 0..<parts.count {
            let o = outs.take(p, replacement: [])
            if !o.isEmpty { try output.write(o) }
            if let e = errors[p] { throw e }
        }
        // Move the incomplete tail to the front.
        let rest = filled - end
        if rest > 0 { buffer.withUnsafeMutableBytes { m in _ = memmove(m.baseAddress!, m.baseAddress! + end, rest) } }
        carry = rest
        if eof { break }
    }
    return (lineNo, totalBytes)
}

