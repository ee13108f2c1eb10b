// RoPEScaling.swift: the rotary frequency scalings transformers reads from config.json `rope_scaling`
// (4.x) / `rope_parameters` (5.x): linear (position interpolation), dynamic (NTK-aware, recomputed from
// the sequence length), yarn (NTK-by-parts with an attention factor) and llama3 (Llama 3.1's smooth
// interpolation). Each gives the inverse frequencies θ_i (i < hd/2) and a factor `mscale` that
// multiplies cos and sin (so q·k by mscale²). Formulas, in float32 where transformers computes in float32
// (modeling_rope_utils.py, 5.x), with b = rope_theta, d = head_dim, s = factor, L = original length:
//   default  θ_i = 1 / b^(2i/d)
//   linear   θ_i / s
//   dynamic  b' = b · (s·T/L − (s − 1))^(d/(d−2)) with T = max(seq_len, L); θ_i from b'
//   yarn     θ_i·(1−γ_i)/s + θ_i·γ_i, γ_i = 1 − clamp((i − lo)/(hi − lo), 0, 1),
//            lo/hi = floor/ceil of d·ln(L/(2π·β))/(2 ln b) for β_fast (32), β_slow (1); mscale 0.1·ln s + 1
//   llama3   wavelength λ_i = 2π/θ_i: λ < L/hf keeps θ_i, λ > L/lf takes θ_i/s, between
//            (1−κ)·θ_i/s + κ·θ_i with κ = (L/λ − lf)/(hf − lf)
import Foundation
import SpindleIO

/// A RoPE scaling as Hugging Face writes it. `nil` in `LlamaConfig.ropeScaling` is the default rotary.
public struct RoPEScaling: Equatable, Sendable {
    public enum Kind: String, CaseIterable, Sendable { case linear, dynamic, yarn, llama3 }
    public var kind: Kind
    public var factor: Float
    /// The length the model was trained at: dynamic's L (config.json's max_position_embeddings), yarn's
    /// and llama3's `original_max_position_embeddings`; not used by linear (nil there unless known).
    public var originalMaxPositions: Int?
    // yarn
    public var attentionFactor: Float?
    public var betaFast: Float?
    public var betaSlow: Float?
    public var mscale: Float?
    public var mscaleAllDim: Float?
    public var truncate: Bool?
    // llama3 (Llama 3.1 ships low 1, high 4)
    public var lowFreqFactor: Float = 1
    public var highFreqFactor: Float = 4

    public init(kind: Kind, factor: Float, originalMaxPositions: Int? = nil) {
        self.kind = kind; self.factor = factor; self.originalMaxPositions = originalMaxPositions
    }

    /// `TYPE:FACTOR` as the command line gives it (`linear:4`, `dynamic:2`, `yarn:4`, `llama3:8`).
    public init(argument: String) throws {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let kind = Kind(rawValue: String(parts[0])), let f = Float(parts[1]), f.isFinite, f >= 1 else {
            throw TrainerError.config(field: "--rope-scaling", message: "\"\(argument)\": expected TYPE:FACTOR, TYPE one of \(Kind.allCases.map(\.rawValue).joined(separator: ", ")), FACTOR a number >= 1 (e.g. linear:4)")
        }
        self.init(kind: kind, factor: f)
    }

    public var argument: String { "\(kind.rawValue):\(jsonNumber(factor))" }

    func validate() throws {
        func bad(_ f: String, _ why: String) -> TrainerError { .config(field: "rope_scaling." + f, message: why) }
        if !(factor >= 1) || !factor.isFinite { throw bad("factor", "must be a finite number >= 1, got \(factor)") }
        if kind != .linear {
            guard let l = originalMaxPositions, l >= 2 else {
                throw bad("original_max_position_embeddings", "\(kind.rawValue) scaling needs the trained length (>= 2)")
            }
        }
        if kind == .llama3 && !(highFreqFactor > lowFreqFactor && lowFreqFactor > 0) {
            throw bad("high_freq_factor", "must exceed low_freq_factor (> 0), got \(highFreqFactor) and \(lowFreqFactor)")
        }
        for (f, v) in [("attention_factor", attentionFactor), ("beta_fast", betaFast), ("beta_slow", betaSlow)] {
            if let v, !(v > 0) || !v.isFinite { throw bad(f, "must be a positive finite number, got \(v)") }
        }
    }

    // MARK: frequencies

    /// The default inverse frequencies 1 / b^(2i/d), float32 like transformers.
    static func defaultInvFreq(headDim: Int, theta: Float) -> [Float] {
        (0..<(headDim / 2)).map { i in Float(1) / Float(pow(Double(theta), Double(Float(2 * i) / Float(headDim)))) }
    }

    /// Inverse frequencies and the cos/sin factor for a forward pass whose longest position is
    /// `seqLen − 1` (only dynamic depends on it).
    public func frequencies(headDim d: Int, theta: Float, seqLen: Int) -> (invFreq: [Float], mscale: Float) {
        switch kind {
        case .linear:
            return (RoPEScaling.defaultInvFreq(headDim: d, theta: theta).map { $0 / factor }, 1)
        case .dynamic:
            let l = originalMaxPositions ?? seqLen, t = max(seqLen, l)
            // float32 throughout, as transformers computes it from the position tensor
            let ratio = factor * Float(t) / Float(l) - (factor - 1)
            let base = theta * Float(pow(Double(ratio), Double(Float(d) / Float(d - 2))))
            return (RoPEScaling.defaultInvFreq(headDim: d, theta: base), 1)
        case .yarn:
            return yarn(headDim: d, theta: theta)
        case .llama3:
            return (llama3(headDim: d, theta: theta), 1)
        }
    }

    /// yarn's attention factor: the given one, else 0.1·mscale·ln s + 1 (over the same for mscale_all_dim).
    var yarnAttentionFactor: Float {
        if let attentionFactor { return attentionFactor }
        func m(_ scale: Double, _ ms: Double) -> Double { scale <= 1 ? 1 : 0.1 * ms * log(scale) + 1 }
        let s = Double(factor)
        if let a = mscale, let b = mscaleAllDim, a != 0, b != 0 { return Float(m(s, Double(a)) / m(s, Double(b))) }
        return Float(m(s, 1))
    }

    func yarn(headDim d: Int, theta: Float) -> (invFreq: [Float], mscale: Float) {
        let l = Double(originalMaxPositions ?? 1), b = Double(theta), dd = Double(d)
        func correctionDim(_ rotations: Double) -> Double { dd * log(l / (rotations * 2 * Double.pi)) / (2 * log(b)) }
        var lo = correctionDim(Double(betaFast ?? 32)), hi = correctionDim(Double(betaSlow ?? 1))
        if truncate ?? true { lo = lo.rounded(.down); hi = hi.rounded(.up) }
        lo = max(lo, 0); hi = min(hi, dd - 1)
        if lo == hi { hi += 0.001 }
        let flo = Float(lo), span = Float(hi - lo)
        let inv = (0..<(d / 2)).map { i -> Float in
            let posFreq = Float(pow(b, Double(Float(2 * i) / Float(d))))
            let extrapolation = 1 / posFreq, interpolation = 1 / (factor * posFreq)
            let keep = 1 - min(max((Float(i) - flo) / span, 0), 1)   // the share of the unscaled frequency
            return interpolation * (1 - keep) + extrapolation * keep
        }
        return (inv, yarnAttentionFactor)
    }

    func llama3(headDim d: Int, theta: Float) -> [Float] {
        let old = Float(originalMaxPositions ?? 1)
        let lowWave = Double(old) / Double(lowFreqFactor), highWave = Double(old) / Double(highFreqFactor)
        return RoPEScaling.defaultInvFreq(headDim: d, theta: theta).map { f in
            let wave = Float(2 * Double.pi) / f
            let scaled = Double(wave) > lowWave ? f / factor : f
            guard !(Double(wave) < highWave) && !(Double(wave) > lowWave) else { return scaled }
            let smooth = (old / wave - lowFreqFactor) / (highFreqFactor - lowFreqFactor)
            return (1 - smooth) * scaled / factor + smooth * scaled
        }
    }
}

// MARK: config.json

extension RoPEScaling {
    /// Reads `rope_scaling` (transformers 4.x) or `rope_parameters` (5.x); nil for the default rotary.
    /// `maxPositions` is config.json's max_position_embeddings (dynamic's trained length, and yarn's and
    /// llama3's when `original_max_position_embeddings` is absent, as transformers defaults it).
    init?(huggingFace f: JSONFields, maxPositions: Int) throws {
        let type = try f.string("rope_type") ?? f.string("type") ?? "default"
        if type == "default" { return nil }
        guard let kind = Kind(rawValue: type) else {
            throw f.fail("rope_type", "\"\(type)\" scaling is not supported (linear, dynamic, yarn and llama3 are)")
        }
        if let p = try f.float("partial_rotary_factor"), p != 1 { throw f.fail("partial_rotary_factor", "only 1.0 is supported") }
        let original = try f.int("original_max_position_embeddings")
        var factor = try f.float("factor")
        if factor == nil, kind == .yarn, let original { factor = Float(maxPositions) / Float(original) }   // transformers' fallback
        guard let factor else { throw f.fail("factor", "required for \(type) scaling") }
        self.init(kind: kind, factor: factor)
        switch kind {
        case .linear: originalMaxPositions = nil
        case .dynamic: originalMaxPositions = maxPositions
        case .yarn, .llama3: originalMaxPositions = original ?? maxPositions
        }
        attentionFactor = try f.float("attention_factor")
        betaFast = try f.float("beta_fast"); betaSlow = try f.float("beta_slow")
        mscale = try f.float("mscale"); mscaleAllDim = try f.float("mscale_all_dim")
        truncate = try f.bool("truncate")
        if kind == .llama3 {
            lowFreqFactor = try f.required("low_freq_factor", f.float)
            highFreqFactor = try f.required("high_freq_factor", f.float)
        }
    }

    /// The members transformers writes for this scaling (sorted like `save_pretrained`), with
    /// `rope_theta` when given (5.x's `rope_parameters`; 4.x's `rope_scaling` goes without it).
    func huggingFaceMembers(theta: Float?) -> [(String, JSONValue)] {
        var m: [(String, JSONValue)] = []
        if kind == .yarn {
            if let attentionFactor { m.append(("attention_factor", .float(attentionFactor))) }
            if let betaFast { m.append(("beta_fast", .float(betaFast))) }
            if let betaSlow { m.append(("beta_slow", .float(betaSlow))) }
        }
        m.append(("factor", .float(factor)))
        if kind == .llama3 { m.append(("high_freq_factor", .float(highFreqFactor))); m.append(("low_freq_factor", .float(lowFreqFactor))) }
        if kind == .yarn {
            if let mscale { m.append(("mscale", .float(mscale))) }
            if let mscaleAllDim { m.append(("mscale_all_dim", .float(mscaleAllDim))) }
        }
        if kind == .yarn || kind == .llama3, let o = originalMaxPositions { m.append(("original_max_position_embeddings", .int(o))) }
        if let theta { m.append(("rope_theta", .float(theta))) }
        m.append(("rope_type", .string(kind.rawValue)))
        if kind == .yarn, let truncate { m.append(("truncate", .bool(truncate))) }
        return m
    }

    /// The context a model with this scaling runs at, given config.json's max_position_embeddings:
    /// dynamic stretches the trained length L to s·L; the other types name their context there.
    func context(maxPositions: Int) -> Int {
        kind == .dynamic ? Int((Double(factor) * Double(maxPositions)).rounded(.down)) : maxPositions
    }

    /// config.json's max_position_embeddings for a model running at `context` (the inverse of `context`).
    func maxPositions(context: Int) -> Int { kind == .dynamic ? (originalMaxPositions ?? context) : context }
}
