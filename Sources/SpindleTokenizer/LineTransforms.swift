// LineTransforms.swift: the tokenizer's per-line filters for `spindle tokenizer encode|decode`, run by
// SpindleIO's `streamLines`.
import SpindleIO

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
// Its scratch properties are `@exclusivity(unchecked)`: one thread owns each transform, and the runtime's
// dynamic exclusivity checks on these class properties were measured (callgrind, Llama 2 model, 3 MB)
// at 84 M instructions — half of all that -O added over -Ounchecked to `tokenizer encode`.
public final class EncodeLineTransform: LineTransform {
    let model: SentencePieceModel
    let options: EncodeLineOptions
    @exclusivity(unchecked) var ids: [Int32] = []
    @exclusivity(unchecked) var text: [UInt8] = []
    @exclusivity(unchecked) var scanner = JSONFieldScanner()

    public init(model: SentencePieceModel, options: EncodeLineOptions) { self.model = model; self.options = options }

    public func transform(_ line: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) throws(LineProblem) {
        ids.removeAll(keepingCapacity: true)
        if let field = options.jsonlField {
            text.removeAll(keepingCapacity: true)
            let brace: Int
            do { brace = try scanner.string(field, in: line, into: &text) } catch { throw LineProblem(error) }
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
    @exclusivity(unchecked) var ids: [Int32] = []   // one thread per transform (see EncodeLineTransform)

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
        while x > 0 { t[n] = UInt8(truncatingIfNeeded: 48 &+ x % 10); x /= 10; n &+= 1 }
        while n > 0 { n &-= 1; out.append(t[n]) }
    }
}
