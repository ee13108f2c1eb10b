import SpindleIO

/// Plain text in, documents out: one document per file, or (`blocks`) one per block of lines
/// separated by blank lines. Ids are `SOURCE:PATH` or `SOURCE:PATH#BLOCK`, stable across runs.
public struct TextIngest {
    public var source: String
    public var blocks: Bool

    public init(source: String, blocks: Bool) {
        self.source = source
        self.blocks = blocks
    }

    /// Reads `path` (nil or "-" for stdin) line by line; invalid UTF-8 is an error naming the line.
    public func run(path: String?, emit: (Document) throws -> Void) throws {
        let reader = try LineReader(path: path)
        let label = path == nil || path == "-" ? "stdin" : path!
        var text: [UInt8] = []
        var block = 0
        func flush() throws {
            while let last = text.last, last == 0x0A { text.removeLast() }
            guard !text.isEmpty else { return }
            block += 1
            let id = blocks ? "\(source):\(label)#\(block)" : "\(source):\(label)"
            try emit(Document(id: id, text: String(decoding: text, as: UTF8.self), source: source))
            text.removeAll(keepingCapacity: true)
        }
        var first = true
        while let line = try reader.next() {
            var bytes = line.bytes
            // A UTF-8 byte order mark (Windows editors write one) is not text: drop it from the first line.
            if first, bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
                bytes = UnsafeBufferPointer(rebasing: bytes[3...])
            }
            first = false
            if let bad = UTF8Validation.firstInvalid(bytes) {
                throw InputError(.invalidUTF8, file: reader.name, line: line.number, "invalid UTF-8 at column \(bad + 1)")
            }
            let blank = bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 }
            if blocks && blank {
                try flush()
                continue
            }
            if !text.isEmpty || !blank {
                text.append(contentsOf: bytes)
                text.append(0x0A)
            }
        }
        try flush()
    }
}
