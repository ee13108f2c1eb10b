// ParameterLayout.swift: every weight of the model as a slice of one flat fp32 buffer, under its
// Hugging Face name. One buffer makes AdamW, clipping, accumulation and checkpoints single loops.

/// One named tensor inside the flat parameter buffer.
public struct ParameterTensor: Sendable, Equatable {
    public let name: String       // Hugging Face name, e.g. model.layers.0.self_attn.q_proj.weight
    public let shape: [Int]       // [out, in] for projections, [dim] for norms
    public let offset: Int
    public var count: Int { shape.reduce(1, *) }
    /// AdamW weight decay applies: projections and the untied head; not norms, not embeddings.
    public let decays: Bool
}

/// Offsets of one transformer block's weights.
public struct LayerOffsets: Sendable {
    public let attnNorm, wq, wk, wv, wo, ffnNorm, w1, w2, w3: Int  // w1 gate, w2 down, w3 up
}

/// Where each weight lives in the flat buffer.
public struct ParameterLayout: Sendable {
    public let tensors: [ParameterTensor]
    public let totalCount: Int
    public let embed: Int
    public let layers: [LayerOffsets]
    public let finalNorm: Int
    /// Output head: the embedding's offset when tied; -1 with a score head only.
    public let head: Int
    /// `score.weight` [1, dim], or -1.
    public let score: Int

    public init(_ c: LlamaConfig) {
        var ts: [ParameterTensor] = []
        var off = 0
        func add(_ name: String, _ shape: [Int], decays: Bool) -> Int {
            let t = ParameterTensor(name: name, shape: shape, offset: off, decays: decays)
            ts.append(t); off += t.count
            return t.offset
        }
        let d = c.dim, q = c.nHeads * c.headDim, kv = c.kvDim, h = c.hiddenDim
        embed = add("model.embed_tokens.weight", [c.vocabSize, d], decays: false)
        var ls: [LayerOffsets] = []
        for i in 0..<c.nLayers {
            let p = "model.layers.\(i)."
            ls.append(LayerOffsets(
                attnNorm: add(p + "input_layernorm.weight", [d], decays: false),
                wq: add(p + "self_attn.q_proj.weight", [q, d], decays: true),
                wk: add(p + "self_attn.k_proj.weight", [kv, d], decays: true),
                wv: add(p + "self_attn.v_proj.weight", [kv, d], decays: true),
                wo: add(p + "self_attn.o_proj.weight", [d, q], decays: true),
                ffnNorm: add(p + "post_attention_layernorm.weight", [d], decays: false),
                w1: add(p + "mlp.gate_proj.weight", [h, d], decays: true),
                w2: add(p + "mlp.down_proj.weight", [d, h], decays: true),
                w3: add(p + "mlp.up_proj.weight", [h, d], decays: true)))
        }
        layers = ls
        finalNorm = add("model.norm.weight", [d], decays: false)
        if c.scoreHead {
            head = -1
            score = add("score.weight", [1, d], decays: true)
        } else {
            head = c.tieEmbeddings ? embed : add("lm_head.weight", [c.vocabSize, d], decays: true)
            score = -1
        }
        tensors = ts
        totalCount = off
    }

    public func tensor(named n: String) -> ParameterTensor? { tensors.first { $0.name == n } }
}
