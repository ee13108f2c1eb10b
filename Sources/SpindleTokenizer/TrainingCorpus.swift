// Sentences for BPE training: read from text or JSONL files (or stdin), filtered like sentencepiece
// (empty lines, lines over max_sentence_length bytes and lines containing U+2585 are skipped) and
// optionally reservoir-sampled to input_sentence_size.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SpindleIO

/// Why training input could not be read.
public struct TrainingInputError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int?
    public var message: String
    public var description: String { line.map { "\(file):\($0): \(message)" } ?? "\(file): \(message)" }
}

/// All training sentences in one byte arena.
public struct TrainingCorpus: Sendable {
    public var bytes: [UInt8] = []
    /// Sentence i is bytes[starts[i] ..< ends[i]] (text files are kept as read: no copy per line).
    public var starts: [Int] = []
    public var ends: [Int] = []
    public var skipped = 0
    public var count: Int { ends.count }

    public init() {}

    public func range(_ i: Int) -> Range<Int> { starts[i]..<ends[i] }

    public enum Format: String, Sendable { case text, jsonl }

    /// Loads sentences from files ("-" is stdin). JSONL: each object's `field` string, split at newlines.
    public static func load(paths: [String], format: Format, field: String = "text", maxSentenceLength: Int,
                            log: (String) -> Void = { _ in }) throws(TrainingInputError) -> TrainingCorpus {
        var c = TrainingCorpus()
        var text: [UInt8] = []
        var scanner = JSONFieldScanner()
        for path in paths {
            let readStart = now()
            let data: [UInt8]
            do { data = try readWhole(path) } catch {
                throw TrainingInputError(file: path == "-" ? "<stdin>" : path, message: "\(error)")
            }
            let name = path == "-" ? "<stdin>" : path
            var lineNo = 0
            if format == .text {
                // Keep the file's bytes; sentences are ranges into them.
                let base = c.bytes.count
                if base == 0 { c.bytes = data } else { c.bytes.append(contentsOf: data) }
                var starts = c.starts, ends = c.ends, skipped = c.skipped
                c.starts = []; c.ends = []
                c.bytes.withUnsafeBufferPointer { b in
                    var s = base
                    let end = b.count
                    while s < end {
                        let e = s + TrainingCorpus.firstIndex(of: 0x0A, b.baseAddress! + s, end - s)
                        lineNo += 1
                        switch TrainingCorpus.accepts(UnsafeBufferPointer(rebasing: b[s..<e]), maxSentenceLength) {
                        case true?: starts.append(s); ends.append(e)
                        case false?: skipped += 1
                        case nil: break
                        }
                        s = e + 1
                    }
                }
                c.starts = starts; c.ends = ends; c.skipped = skipped
                log("read \(name): \(data.count) bytes, \(lineNo) lines (\(fmt(now() - readStart)) s)")
                continue
            }
            try data.withUnsafeBufferPointer { (b) throws(TrainingInputError) in
                var s = 0
                while s < b.count {
                    var e = s
                    while e < b.count && b[e] != 0x0A { e += 1 }
                    lineNo += 1
                    let line = UnsafeBufferPointer(rebasing: b[s..<e])
                    var allSpace = true
                    for x in line where x != 0x20 && x != 0x09 && x != 0x0D { allSpace = false; break }
                    if !allSpace {
                        text.removeAll(keepingCapacity: true)
                        do throws(InputError) { try scanner.string(field, in: line, into: &text) } catch {
                            throw TrainingInputError(file: name, line: lineNo, message: error.detail)
                        }
                        text.withUnsafeBufferPointer { t in
                            var ts = 0
                            for k in 0...t.count where k == t.count || t[k] == 0x0A {
                                c.add(UnsafeBufferPointer(rebasing: t[ts..<k]), maxSentenceLength)
                                ts = k + 1
                            }
                        }
                    }
                    s = e + 1
                }
            }
            log("read \(name): \(data.count) bytes, \(lineNo) lines (\(fmt(now() - readStart)) s)")
        }
        return c
    }

    /// Whether a sentence is used: not empty, not too long, no U+2585 (sentencepiece's unknown marker).
    static func accepts(_ line: UnsafeBufferPointer<UInt8>, _ maxLen: Int) -> Bool? {
        if line.isEmpty { return nil }
        if line.count > maxLen { return false }
        guard line.count >= 3, let base = line.baseAddress else { return true }
        let last = line.count - 2   // a match must start before this
        var k = firstIndex(of: 0xE2, base, last)
        while k < last {
            if line[k + 1] == 0x96 && line[k + 2] == 0x85 { return false }
            k += 1 + firstIndex(of: 0xE2, base + k + 1, last - k - 1)
        }
        return true
    }

    /// Offset of the first `byte` in `n` bytes at `p` (memchr), or `n`.
    @inline(__always)
    static func firstIndex(of byte: UInt8, _ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        guard n > 0, let hit = memchr(p, Int32(byte), n) else { return n }
        return UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - p
    }

    /// A whole input file: plain files are read straight into an array of their size; compressed
    /// files and stdin are read in chunks.
    static func readWhole(_ path: String) throws -> [UInt8] {
        let file = try InputFile(path: path)
        var st = stat()
        guard path != "-", file.compression == .none, stat(path, &st) == 0, st.st_size > 0 else { return try file.readAll() }
        let size = Int(st.st_size)
        var failure: Error?
        var data = [UInt8](unsafeUninitializedCapacity: size) { buf, count in
            while count < size {
                do {
                    let n = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buf)[count..<size]))
                    if n == 0 { break }
                    count += n
                } catch { failure = error; break }
            }
        }
        if let failure { throw failure }
        if data.count == size { data.append(contentsOf: try file.readAll()) }   // the file grew while being read
        return data
    }

    /// Appends a copy of a sentence (when accepted).
    mutating func add(_ line: UnsafeBufferPointer<UInt8>, _ maxLen: Int) {
        guard let ok = Self.accepts(line, maxLen) else { return }
        if !ok { skipped += 1; return }
        starts.append(bytes.count)
        bytes.append(contentsOf: line)
        ends.append(bytes.count)
    }

    /// Keeps `n` sentences: a seeded reservoir sample when shuffling, else the first `n`.
    public func sampled(_ n: Int, shuffle: Bool, seed: UInt64) -> TrainingCorpus {
        guard n > 0, n < count else { return self }
        var keep: [Int]
        if shuffle {
            var rng = SeededRandom(seed: seed)
            keep = Array(0..<n)
            for i in n..<count {
                let j = Int(rng.next() % UInt64(i + 1))
                if j < n { keep[j] = i }
            }
            keep.sort()
        } else {
            keep = Array(0..<n)
        }
        var out = TrainingCorpus()
        out.skipped = skipped
        for i in keep { out.starts.append(out.bytes.count); out.bytes.append(contentsOf: bytes[range(i)]); out.ends.append(out.bytes.count) }
        return out
    }
}

/// Writes bytes to `path` atomically (temporary name, renamed when complete).
public func writeFileAtomically(_ path: String, _ bytes: [UInt8]) throws(TrainingInputError) {
    do { try OutputFile.write(bytes, to: path, compress: false) } catch {
        throw TrainingInputError(file: path, message: "\(error)")
    }
}

/// sentencepiece's .vocab text: `piece<TAB>score` per line, scores printed like C++ streams do.
public func vocabText(_ m: ModelProto) -> [UInt8] {
    var out: [UInt8] = []
    for p in m.pieces {
        out.append(contentsOf: p.piece.utf8)
        out.append(0x09)
        let s = p.score
        if s == s.rounded() && abs(s) < 1e6 { out.append(contentsOf: String(Int(s)).utf8) }
        else if s == s.rounded() && abs(s) >= 1e6 {
            // C++ prints -1e9 as -1e+09.
            var e = 0; var m = Double(s)
            while abs(m) >= 10 { m /= 10; e += 1 }
            let mant = m == m.rounded() ? String(Int(m)) : String(m)
            out.append(contentsOf: "\(mant)e+\(e < 10 ? "0" : "")\(e)".utf8)
        } else { out.append(contentsOf: "\(s)".utf8) }
        out.append(0x0A)
    }
    return out
}
