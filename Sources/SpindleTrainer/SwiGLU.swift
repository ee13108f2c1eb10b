// SwiGLU.swift: the Llama MLP's gate, m = silu(a) ⊙ b with a = x·W1ᵀ (gate_proj), b = x·W3ᵀ (up_proj).
// Eight lanes at a time with the vectorised exp; `swigluForwardReference` (libm expf) is the oracle.
import Foundation
import SpindleIO

@inline(__always) func sigmoid(_ z: Float) -> Float { 1 / (1 + expf(-z)) }

@inline(__always) func sigmoid8(_ z: SIMD8<Float>) -> SIMD8<Float> { 1 / (1 + exp8(-z)) }

/// m[i] = silu(a[i]) · b[i], scalar libm version.
func swigluForwardReference(_ a: CFPtr, _ b: CFPtr, _ m: FPtr, count: Int) {
    for i in 0..<count { let s = sigmoid(a[i]); m[i] = a[i] * s * b[i] }
}

/// m[i] = silu(a[i]) · b[i] over `count` elements.
func swigluForward(_ par: Parallel, _ a: CFPtr, _ b: CFPtr, _ m: FPtr, count: Int) {
    par.ranges(count / 8, grain: 512) { r in
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b), rm = UnsafeMutableRawPointer(m)
        for c in r {
            let o = 32 * c
            let av = ra.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            let bv = rb.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            rm.storeBytes(of: av * sigmoid8(av) * bv, toByteOffset: o, as: SIMD8<Float>.self)
        }
    }
    for i in (count / 8 * 8)..<count { let s = sigmoid(a[i]); m[i] = a[i] * s * b[i] }
}

/// da = dm · b · silu'(a), db = dm · silu(a);  silu'(a) = s·(1 + a·(1 − s)).
func swigluBackward(_ par: Parallel, _ a: CFPtr, _ b: CFPtr, _ dm: CFPtr, da: FPtr, db: FPtr, count: Int) {
    par.ranges(count / 8, grain: 512) { r in
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b), rdm = UnsafeRawPointer(dm)
        let rda = UnsafeMutableRawPointer(da), rdb = UnsafeMutableRawPointer(db)
        for c in r {
            let o = 32 * c
            let av = ra.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            let bv = rb.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            let g = rdm.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            let s = sigmoid8(av)
            rdb.storeBytes(of: g * av * s, toByteOffset: o, as: SIMD8<Float>.self)
            rda.storeBytes(of: g * bv * s * (1 + av * (1 - s)), toByteOffset: o, as: SIMD8<Float>.self)
        }
    }
    for i in (count / 8 * 8)..<count {
        let s = sigmoid(a[i])
        db[i] = dm[i] * a[i] * s
        da[i] = dm[i] * b[i] * s * (1 + a[i] * (1 - s))
    }
}
