// FastMath.swift: a vectorised expf (Cephes polynomial, max relative error ~2e-7 over [-87, 88]),
// 8 lanes at a time; Foundation's expf stays as the oracle in tests. The loss and softmax kernels
// spend most of their time in exp (65M calls per stories15M step for the 32000-way softmax).
import Foundation

/// Lane-wise max/min as one compare and blend. The standard library's `pointwiseMax/Min` for floats
/// stayed an out-of-line call looping over lanes (NaN-aware `Float.maximum`): 2.2% of K-sample decoding
/// time in a profile, inside every `exp8`. A NaN in `a` passes through here.
@inline(__always) func lanesMax(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a.replacing(with: b, where: a .< b) }
@inline(__always) func lanesMin(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a.replacing(with: b, where: b .< a) }

@inline(__always)
func exp8(_ v: SIMD8<Float>) -> SIMD8<Float> {
    let x = lanesMin(lanesMax(v, SIMD8(repeating: -87.3)), SIMD8(repeating: 88.3))
    // n = round(x / ln 2) by the 1.5·2²³ trick: the integer lands in the low mantissa bits of t.
    let magic = SIMD8<Float>(repeating: 12_582_912)
    let t = x * 1.442_695_04 + magic
    let n = t - magic
    var r = x - n * 0.693_359_375
    r = r - n * -2.121_944_4e-4
    var p = SIMD8<Float>(repeating: 1.987_569_15e-4)
    p = p * r + 1.398_199_95e-3
    p = p * r + 8.333_451_9e-3
    p = p * r + 4.166_579_59e-2
    p = p * r + 1.666_666_55e-1
    p = p * r + 5.000_000_12e-1
    p = p * (r * r) + r + 1
    let ni = unsafeBitCast(t, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
    return p * unsafeBitCast((ni &+ 127) &<< 23, to: SIMD8<Float>.self)
}

/// Scalar form of `exp8` (same polynomial) for tails.
@inline(__always)
func fastExp(_ x: Float) -> Float { exp8(SIMD8(repeating: x))[0] }

/// out[i] = exp(x[i] − shift) for i < n; returns Σ out (fp32, fixed order per call).
@inline(__always)
func expShiftSum(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int, shift: Float) -> Float {
    var acc = SIMD8<Float>()
    let s = SIMD8<Float>(repeating: shift)
    var i = 0
    let rx = UnsafeRawPointer(x), ro = UnsafeMutableRawPointer(out)
    while i + 8 <= n {
        let e = exp8(rx.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self) - s)
        ro.storeBytes(of: e, toByteOffset: 4 * i, as: SIMD8<Float>.self)
        acc += e
        i += 8
    }
    var sum = acc.sum()
    while i < n { let e = fastExp(x[i] - shift); out[i] = e; sum += e; i += 1 }
    return sum
}

/// Σ exp(x[i] − shift) without storing.
@inline(__always)
func sumExp(_ x: UnsafePointer<Float>, _ n: Int, shift: Float) -> Float {
    var acc = SIMD8<Float>()
    let s = SIMD8<Float>(repeating: shift)
    var i = 0
    let rx = UnsafeRawPointer(x)
    while i + 8 <= n { acc += exp8(rx.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self) - s); i += 8 }
    var sum = acc.sum()
    while i < n { sum += fastExp(x[i] - shift); i += 1 }
    return sum
}

/// Maximum of x[0..<n] (n ≥ 1).
@inline(__always)
func maxOf(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var m = SIMD8<Float>(repeating: -.infinity)
    var i = 0
    let rx = UnsafeRawPointer(x)
    while i + 8 <= n { m = lanesMax(m, rx.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)); i += 8 }
    var r = m.max()
    while i < n { r = max(r, x[i]); i += 1 }
    return r
}

/// x[i] *= a.
@inline(__always)
func scale(_ x: UnsafeMutablePointer<Float>, _ n: Int, by a: Float) {
    var i = 0
    let rx = UnsafeMutableRawPointer(x)
    while i + 8 <= n {
        rx.storeBytes(of: rx.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self) * a, toByteOffset: 4 * i, as: SIMD8<Float>.self)
        i += 8
    }
    while i < n { x[i] *= a; i += 1 }
}
