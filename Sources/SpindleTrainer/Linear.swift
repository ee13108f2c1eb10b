// Linear.swift: a bias-free projection, nn.Linear's layout: W is [out, in] row-major, y = x · Wᵀ.
typealias FPtr = UnsafeMutablePointer<Float>
typealias CFPtr = UnsafePointer<Float>

/// y[n, out] = x[n, in] · W[out, in]ᵀ  (+ y when `accumulate`).
@inline(__always)
func linearForward(_ x: CFPtr, _ w: CFPtr, _ y: FPtr, n: Int, inDim: Int, outDim: Int, accumulate: Bool = false) {
    Profile.time(.matmul) {
        BLASBackend.shared.sgemm(transA: false, transB: true, m: n, n: outDim, k: inDim, a: x, lda: inDim,
                                 b: w, ldb: inDim, beta: accumulate ? 1 : 0, c: y, ldc: outDim)
    }
}

/// dx[n, in] (+)= dy[n, out] · W[out, in];  dW[out, in] += dy[n, out]ᵀ · x[n, in] (no dW for a frozen W: nil).
@inline(__always)
func linearBackward(_ x: CFPtr, _ w: CFPtr, _ dy: CFPtr, dx: FPtr?, dw: FPtr?, n: Int, inDim: Int, outDim: Int,
                    accumulateDx: Bool) {
    let blas = BLASBackend.shared
    Profile.time(.matmul) {
    if let dx {
        blas.sgemm(transA: false, transB: false, m: n, n: inDim, k: outDim, a: dy, lda: outDim, b: w, ldb: inDim,
                   beta: accumulateDx ? 1 : 0, c: dx, ldc: inDim)
    }
    if let dw {
        blas.sgemm(transA: true, transB: false, m: outDim, n: inDim, k: n, a: dy, lda: outDim, b: x, ldb: inDim,
                   beta: 1, c: dw, ldc: inDim)
    }
    }
}
