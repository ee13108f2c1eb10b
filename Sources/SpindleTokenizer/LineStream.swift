// Line-oriented streaming for the encode/decode commands: big blocks are read, split at line boundaries
// into one part per thread, transformed in parallel and written back in input order.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import SpindleIO

/// A failure on one input line.
public struct LineError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int
    public var message: String
    public init(file: String, line: Int, message: String) { self.file = file; self.line = line; self.message = message }
    public var description: String { "\(file):\(line): \(message)" }
}

/// What is wrong with one input line (the stream adds file and line number).
public struct LineProblem: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Transforms one line (without its newline) into output bytes (the newline is added by the caller).
/// One instance per thread, so it may keep scratch state.
public protocol LineTransform: AnyObject {
    func transform(_ line: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) throws(LineProblem)
}

/// Streams `input` to `output` line by line through `transforms` (one per thread; count = threads).
/// Returns (lines, input bytes). Line failures throw `LineError`; I/O failures throw SpindleIO's errors.
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
    let errors = ThreadSlots<LineError?>(threads, nil)
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
                    do {
                        try t.transform(UnsafeBufferPointer(start: basePtr + s, count: e - s), into: &out)
                    } catch {
                        errors[p] = LineError(file: inputName, line: ln, message: "\(error)")
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

/// Options of `spindle tokenizer encode`.
public struct EncodeLineOptions: Sendable {
    public var pieces = false
    public var addBOS = false
    public var addEOS = false
    /// JSONL mode: tokenise this string field and append the result as `outputField` to the object.
    public var jsonlField: String? = nil
    public var outputField = "ids"
    public init() {}
}

/// Encodes one line of text (or one JSONL object's field) into ids or pieces.
public final class EncodeLineTransform: LineTransform {
    let model: SentencePieceModel
    let options: EncodeLineOptions
    var ids: [Int32] = []
    var text: [UInt8] = []
    var scanner = JSONFieldScanner()

    public init(model: SentencePieceModel, options: EncodeLineOptions) { self.model = model; self.options = options }

    public func transform(_ line: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) throws(LineProblem) {
        ids.removeAll(keepingCapacity: true)
        if let field = options.jsonlField {
            text.removeAll(keepingCapacity: true)
            let brace: Int
            do { brace = try scanner.string(field, in: line, into: &text) } catch { throw LineProblem(error.detail) }
            text.withUnsafeBufferPointer { model.encode(utf8: $0, into: &ids, addBOS: options.addBOS, addEOS: options.addEOS) }
            out.append(contentsOf: line[0..<brace])
            out.append(0x2C)   // the object has at least the field just read
            JSONString.append(options.outputField, to: &out); out.append(contentsOf: ":[".utf8)
            for (k, id) in ids.enumerated() {
                if k > 0 { out.append(0x2C) }
                if options.pieces { model.table.bytes(Int(id)).withUnsafeBufferPointer { JSONString.append($0, to: &out) } } else { appendInt(Int(id), to: &out) }
            }
            out.append(0x5D)
            out.append(contentsOf: line[brace...])
            return
        }
        model.encode(utf8: line, into: &ids, addBOS: options.addBOS, addEOS: options.addEOS)
        for (k, id) in ids.enumerated() {
            if k > 0 { out.append(0x20) }
            if options.pieces { out.append(contentsOf: model.table.bytes(Int(id))) } else { appendInt(Int(id), to: &out) }
        }
    }
}

/// Decodes one line of space-separated ids (or pieces) into text.
public final class DecodeLineTransform: LineTransform {
    let model: SentencePieceModel
    let pieces: Bool
    var ids: [Int32] = []

    public init(model: SentencePieceModel, pieces: Bool) { self.model = model; self.pieces = pieces }

    public func transform(_ line: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) throws(LineProblem) {
        ids.removeAll(keepingCapacity: true)
        var i = 0
        let n = line.count
        while i < n {
            while i < n && (line[i] == 0x20 || line[i] == 0x09 || line[i] == 0x0D) { i += 1 }
            if i >= n { break }
            let s = i
            while i < n && line[i] != 0x20 && line[i] != 0x09 && line[i] != 0x0D { i += 1 }
            if pieces {
                let id = model.table.find(line.baseAddress! + s, i - s)
                guard id >= 0 else { throw LineProblem("unknown piece \"\(String(decoding: line[s..<i], as: UTF8.self))\" at byte \(s)") }
                ids.append(id)
            } else {
                var v = 0
                var neg = false
                var k = s
                if line[k] == 0x2D { neg = true; k += 1 }
                guard k < i else { throw LineProblem("not an id at byte \(s)") }
                while k < i {
                    let d = Int(line[k]) - 48
                    guard d >= 0 && d <= 9, v < 1 << 40 else { throw LineProblem("not an id: \"\(String(decoding: line[s..<i], as: UTF8.self))\" at byte \(s)") }
                    v = v * 10 + d; k += 1
                }
                v = neg ? -v : v
                guard v >= 0 && v < model.vocabSize else { throw LineProblem("id \(v) is out of range (vocabulary size \(model.vocabSize))") }
                ids.append(Int32(v))
            }
        }
        do { try model.decode(ids, into: &out) } catch { throw LineProblem(error.description) }
    }
}

@inline(__always)
func appendInt(_ v: Int, to out: inout [UInt8]) {
    if v < 0 { out.append(0x2D); appendInt(-v, to: &out); return }
    if v < 10 { out.append(UInt8(48 + v)); return }
    var tmp: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var n = 0
    var x = v
    withUnsafeMutableBytes(of: &tmp) { t in
        while x > 0 { t[n] = UInt8(48 + x % 10); x /= 10; n += 1 }
        while n > 0 { n -= 1; out.append(t[n]) }
    }
}
