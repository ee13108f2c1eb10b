/// A pretraining config small enough for a test to train in seconds, as the JSON `train pretrain --config`
/// reads. Fields a test does not name keep the values every test so far has used.
public struct TinyTrainConfig {
    public var dim = 32, layers = 1, heads = 2, kvHeads = 2, hidden = 64, vocab = 300
    public var seqLen = 64, steps = 8, warmup = 2, checkpointEvery = 0

    public init(dim: Int = 32, layers: Int = 1, heads: Int = 2, kvHeads: Int = 2, hidden: Int = 64, vocab: Int = 300,
                seqLen: Int = 64, steps: Int = 8, warmup: Int = 2, checkpointEvery: Int = 0) {
        self.dim = dim; self.layers = layers; self.heads = heads; self.kvHeads = kvHeads; self.hidden = hidden
        self.vocab = vocab; self.seqLen = seqLen; self.steps = steps; self.warmup = warmup
        self.checkpointEvery = checkpointEvery
    }

    public var json: String {
        """
        {"model": {"dim": \(dim), "n_layers": \(layers), "n_heads": \(heads), "n_kv_heads": \(kvHeads), "hidden_dim": \(hidden), "vocab_size": \(vocab),
                   "max_seq_len": \(seqLen), "norm_eps": 1e-5, "rope_theta": 10000.0, "tie_embeddings": false},
         "training": {"seq_len": \(seqLen), "batch_size": 2, "grad_accum": 1, "steps": \(steps), "lr": 3e-3, "warmup_steps": \(warmup),
                      "min_lr_ratio": 0.1, "weight_decay": 0.1, "beta1": 0.9, "beta2": 0.95, "eps": 1e-5, "grad_clip": 1.0,
                      "seed": 5, "threads": 1, "log_every": 1},
         "eval": {"every": 0, "batches": 1}, "data": {"format": "ids"}, "output": {"dir": "unused", "checkpoint_every": \(checkpointEvery)}}
        """
    }
}
