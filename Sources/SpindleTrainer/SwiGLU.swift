// SwiGLU.swift: the Llama MLP's gate, m = silu(a) ⊙ b with a = x·W1ᵀ (gate_proj), b = x·W3ᵀ (up_proj).
import Foundation

@inline(__always) func sigmoid(_ z: Float) -> Float { 1 / (1 + expf(-z)) }

/// m[i] = silu(a[i]) · b[i] over `count` elements.
func swigluForward(_ a: CFPtr, _ b: CFPtr, _ m: FPtr, count: Int) {
    parallelRanges(count, grain: 4096) { r in
        for i in r { let s = sigmoid(a[i]); m[i] = a[i] * s * b[i] }
    }
}

/// da = dm · b · silu'(a), db = dm · silu(a);  silu'(a) = s·(1 + a·(1 − s)).
func swigluBackward(_ a: CFPtr, _ b: CFPtr, _ dm: CFPtr, da: FPtr, db: FPtr, count: Int) {
    parallelRanges(count, grain: 4096) { r in
        for i in r {
            let s = sigmoid(a[i])
            db[i] = dm[i] * a[i] * s
            da[i] = dm[i] * b[i] * s * (1 + a[i] * (1 - s))
        }
    }
}
