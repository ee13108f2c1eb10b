// Llama2cFormat.swift: read llama2.c checkpoints (`export.py --version 0` legacy and `--version 1`),
// whose q/k rows are in Meta's interleaved rotary layout; they are permuted into HF's half-split
// layout on load (within each head, HF row r < hd/2 is Meta row 2r, HF row hd/2 + r is Meta row 2r+1).
import Foundation

extension Checkpoint {
    /// Loads a llama2.c `.bin` (v0: 7 int32 header, negative vocab = untied classifier at the end;
    /// v1: "ak42" magic, 256-byte header). rms eps 1e-5 and rope theta 10000 are not stored there.
    public static func loadLlama2c(_ path: String) throws -> LlamaModel {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TrainerError.io(file: path, message: "cannot read llama2.c checkpoint")
        }
        func bad(_ m: String) -> TrainerError { .format(file: path, message: "not a llama2.c checkpoint: \(m)") }
        guard data.count >= 28 else { throw bad("shorter than its header") }
        func i32(_ off: Int) -> Int32 {
            data.withUnsafeBytes { Int32(littleEndian: $0.loadUnaligned(fromByteOffset: off, as: Int32.self)) }
        }
        var h = (0..<7).map { Int(i32(4 * $0)) }
        var offset = 28
        var tied: Bool
        if UInt32(bitPattern: i32(0)) == 0x616b_3432 {          // v1
            guard data.count >= 256, i32(4) == 1 else { throw bad("unsupported version \(i32(4)) (v0 and v1 are read)") }
            h = (0..<7).map { Int(i32(8 + 4 * $0)) }
            tied = data[data.startIndex + 36] != 0
            offset = 256
        } else {
            tied = h[5] > 0
            h[5] = abs(h[5])
        }
        let (dim, hidden, layers, heads, kvHeads, vocab, seqLen) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6])
        guard [dim, hidden, layers, heads, kvHeads, vocab, seqLen].allSatisfy({ $0 > 0 && $0 < 1 << 24 }) else {
            throw bad("implausible header \(h)")
        }
        let config = LlamaConfig(dim: dim, nLayers: layers, nHeads: heads, nKVHeads: kvHeads, hiddenDim: hidden,
                                 vocabSize: vocab, maxSeqLen: seqLen, tieEmbeddings: tied)
        try config.validate()
        let hd = config.headDim, kv = config.kvDim
        let freqFloats = offset == 28 ? seqLen * hd : 0          // v0 stores (and run.c ignores) the rope tables
        // The size the header implies, checked before the model is allocated: a 1 KB file with a 7B header
        // is a format error, not an out-of-memory trap. Each dimension is < 2^24, so only `* layers` can overflow.
        let perLayer = 2 * dim + 2 * dim * dim + 2 * kv * dim + 3 * hidden * dim
        let (layerFloats, overflow) = perLayer.multipliedReportingOverflow(by: layers)
        guard !overflow, layerFloats < 1 << 56 else { throw bad("implausible header \(h): \(layers) layers of \(perLayer) floats") }
        let needed = offset + 4 * (vocab * dim + layerFloats + dim + freqFloats + (tied ? 0 : vocab * dim))
        guard data.count >= needed else { throw bad("\(data.count) bytes, the header implies at least \(needed)") }
        // v1 files do not store the rope table (seq_len × head_dim floats) that loading builds: a 3 KB file
        // claiming 16M positions took seconds and 512 MB. Allowed up to the weights' own size (or 2^24 floats).
        if offset == 256, seqLen * hd > max(vocab * dim + layerFloats, 1 << 24) {
            throw bad("implausible header \(h): seq_len \(seqLen) × head_dim \(hd) rope table is larger than the weights")
        }
        let model = try LlamaModel(config: config, seed: 0, randomWeights: false)
        let L = model.layout
        // Tensor order (each layer-stacked): tok_embeddings, attention_norm, wq, wk, wv, wo, ffn_norm,
        // w1, w2, w3, norm, [v0: freq_cis_real, freq_cis_imag], [output if untied].
        var plan: [(offsets: [Int], count: Int, permuteHeads: Int)] = [
            ([L.embed], vocab * dim, 0),
            (L.layers.map(\.attnNorm), dim, 0),
            (L.layers.map(\.wq), dim * dim, heads),
            (L.layers.map(\.wk), kv * dim, kvHeads),
            (L.layers.map(\.wv), kv * dim, 0),
            (L.layers.map(\.wo), dim * dim, 0),
            (L.layers.map(\.ffnNorm), dim, 0),
            (L.layers.map(\.w1), hidden * dim, 0),
            (L.layers.map(\.w2), dim * hidden, 0),
            (L.layers.map(\.w3), hidden * dim, 0),
            ([L.finalNorm], dim, 0),
        ]
        assert(needed == offset + 4 * (plan.reduce(0) { $0 + $1.offsets.count * $1.count } + freqFloats + (tied ? 0 : vocab * dim)))
        if !tied { plan.append(([L.head], vocab * dim, 0)) }
        let P = model.params.p
        data.withUnsafeBytes { raw in
            var pos = offset
            func readFloats(into dst: UnsafeMutablePointer<Float>, _ n: Int) {
                for i in 0..<n { dst[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: pos + 4 * i, as: UInt32.self))) }
                pos += 4 * n
            }
            for (i, step) in plan.enumerated() {
                if i == plan.count - (tied ? 0 : 1), !tied { pos += 4 * freqFloats }   // skip rope tables before the classifier
                for o in step.offsets {
                    if step.permuteHeads == 0 {
                        readFloats(into: P + o, step.count)
                    } else {
                        // Meta row (head, 2r + s) → HF row (head, s·hd/2 + r).
                        let tmp = UnsafeMutablePointer<Float>.allocate(capacity: step.count); defer { tmp.deallocate() }
                        readFloats(into: tmp, step.count)
                        for head in 0..<step.permuteHeads {
                            for r in 0..<(hd / 2) {
                                for s in 0..<2 {
                                    (P + o + (head * hd + s * hd / 2 + r) * dim).update(from: tmp + (head * hd + 2 * r + s) * dim, count: dim)
                                }
                            }
                        }
                    }
                }
            }
        }
        return model
    }
}
