// MatVec.swift: y = W·x for one row of activations, the product that decoding is made of.
// Decoding a token streams every weight once, so this kernel is bound by memory, not arithmetic. Measured
// on stories15M (see docs/BENCHMARKS.md): one weight row at a time with four accumulators beat four rows
// interleaved (eight concurrent streams defeat the hardware prefetcher), and a software prefetch 1 KiB
// ahead added a few percent more per core.
import CSpindleCPU

/// `y[r] = W[r, 0..<n] · x` (or `+=` when `accumulate`) for r in `rows`; W row-major with n columns.
@inline(__always)
func matVec(_ w: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
            rows: Range<Int>, n: Int, accumulate: Bool) {
    let xr = UnsafeRawPointer(x)
    let n32 = n & ~31
    let ahead = 1024   // bytes; prefetching past the end of W is harmless (prefetches never fault)
    for r in rows {
        let wr = UnsafeRawPointer(w + r * n)
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
        var off = 0
        while off < n32 * 4 {
            spindle_prefetch(wr + off + ahead)
            spindle_prefetch(wr + off + ahead + 64)
            a0.addProduct(wr.loadUnaligned(fromByteOffset: off, as: SIMD8<Float>.self),
                          xr.loadUnaligned(fromByteOffset: off, as: SIMD8<Float>.self))
            a1.addProduct(wr.loadUnaligned(fromByteOffset: off + 32, as: SIMD8<Float>.self),
                          xr.loadUnaligned(fromByteOffset: off + 32, as: SIMD8<Float>.self))
            a2.addProduct(wr.loadUnaligned(fromByteOffset: off + 64, as: SIMD8<Float>.self),
                          xr.loadUnaligned(fromByteOffset: off + 64, as: SIMD8<Float>.self))
            a3.addProduct(wr.loadUnaligned(fromByteOffset: off + 96, as: SIMD8<Float>.self),
                          xr.loadUnaligned(fromByteOffset: off + 96, as: SIMD8<Float>.self))
            off += 128
        }
        var s = ((a0 + a1) + (a2 + a3)).sum()
        for i in n32..<n { s += w[r * n + i] * x[i] }
        if accumulate { y[r] += s } else { y[r] = s }
    }
}
