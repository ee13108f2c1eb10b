// RMSNorm.swift: y = g ⊙ x / sqrt(mean(x²) + eps), eps inside the sqrt, no mean, no bias (HF LlamaRMSNorm).
import SpindleIO

/// x, y: [n, d]; g: [d]; rstd: [n] saved for the backward pass.
func rmsNormForward(_ par: Parallel, _ x: CFPtr, _ g: CFPtr, _ y: FPtr, _ rstd: FPtr, n: Int, d: Int, eps: Float) {
    par.ranges(n, grain: 16) { rows in
        for r in rows {
            let xr = x + r * d, yr = y + r * d
            let ms = dot(xr, xr, d) / Float(d)
            let s = 1 / (ms + eps).squareRoot()
            rstd[r] = s
            for i in 0..<d { yr[i] = g[i] * (xr[i] * s) }
        }
    }
}

/// dx[n, d] += ∂L/∂x;  dg[d] += Σ_rows dy ⊙ x̂ (serial over rows: deterministic, no races).
/// With x̂ = x·rstd and u = dy ⊙ g:  dx = rstd · (u − x̂ · mean(u ⊙ x̂)).
func rmsNormBackward(_ par: Parallel, _ x: CFPtr, _ g: CFPtr, _ rstd: CFPtr, _ dy: CFPtr, dx: FPtr, dg: FPtr, n: Int, d: Int) {
    par.ranges(n, grain: 16) { rows in
        for r in rows {
            let xr = x + r * d, dyr = dy + r * d, dxr = dx + r * d
            let s = rstd[r]
            var m: Float = 0
            for i in 0..<d { m += dyr[i] * g[i] * xr[i] }
            m *= s * s / Float(d)          // x̂·mean(u ⊙ x̂) = x · (s² Σ u x / d)
            for i in 0..<d { dxr[i] += s * (dyr[i] * g[i] - xr[i] * m) }
        }
    }
    for r in 0..<n {
        let xr = x + r * d, dyr = dy + r * d
        let s = rstd[r]
        for i in 0..<d { dg[i] += dyr[i] * xr[i] * s }
    }
}
