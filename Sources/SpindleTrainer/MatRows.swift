// MatRows.swift: y = x·Wᵀ for a few rows of activations (2–32 sequences decoding together), the product
// batched sampling is made of. OpenBLAS packs W before every sgemm; with a handful of rows that copy of
// the weights costs more than the arithmetic: profiled at 16 rows on stories15M, `sgemm_incopy` took 16%
// of the run against 10% for the sgemm kernel itself, and OpenBLAS's idle threads spun in sched_yield
// for another ~45% (on 2 shared cores) while the caller sampled and attended. Here each pair of W rows
// is read once from memory and used by every activation row while it sits in L1 (tiles of 4 activation
// rows × 2 weight rows: six loads feed eight FMAs), and the split over W rows runs on the SpinPool.
// Each output is one SIMD8 accumulator over k then a fixed lane sum, whatever the tile, the number
// of rows or the thread split: a sequence's logits do not depend on which others share its batch.
import CSpindleCPU

@inline(__always) private func ld(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

/// `y[r, c] = x[r, 0..<n] · W[c, 0..<n]` (or `+=` when `accumulate`) for r in 0..<m, c in `cols`;
/// x is [m, n] row-major, y is [m, ldy], W row-major with n columns.
func matRows(_ w: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
             m: Int, cols: Range<Int>, n: Int, ldy: Int, accumulate: Bool) {
    let n8 = n & ~7
    @inline(__always) func finish(_ a: SIMD8<Float>, _ xr: UnsafePointer<Float>, _ wr: UnsafePointer<Float>, _ at: Int) {
        var s = a.sum()
        for k in n8..<n { s += xr[k] * wr[k] }
        if accumulate { y[at] += s } else { y[at] = s }
    }
    var c = cols.lowerBound
    while c < cols.upperBound {
        let two = c + 1 < cols.upperBound
        let w0 = w + c * n, w1 = w + (two ? c + 1 : c) * n, next = w + (c + 2) * n   // prefetches never fault
        var r = 0
        while r + 4 <= m {
            let x0 = x + r * n, x1 = x0 + n, x2 = x1 + n, x3 = x2 + n
            var a00 = SIMD8<Float>(), a10 = SIMD8<Float>(), a20 = SIMD8<Float>(), a30 = SIMD8<Float>()
            var a01 = SIMD8<Float>(), a11 = SIMD8<Float>(), a21 = SIMD8<Float>(), a31 = SIMD8<Float>()
            var k = 0
            while k < n8 {
                spindle_prefetch(UnsafeRawPointer(next + 2 * k))   // one line of the next pair per step
                let v0 = ld(w0 + k), v1 = ld(w1 + k)
                let u0 = ld(x0 + k), u1 = ld(x1 + k), u2 = ld(x2 + k), u3 = ld(x3 + k)
                a00.addProduct(u0, v0); a10.addProduct(u1, v0); a20.addProduct(u2, v0); a30.addProduct(u3, v0)
                a01.addProduct(u0, v1); a11.addProduct(u1, v1); a21.addProduct(u2, v1); a31.addProduct(u3, v1)
                k += 8
            }
            finish(a00, x0, w0, r * ldy + c); finish(a10, x1, w0, (r + 1) * ldy + c)
            finish(a20, x2, w0, (r + 2) * ldy + c); finish(a30, x3, w0, (r + 3) * ldy + c)
            if two {
                finish(a01, x0, w1, r * ldy + c + 1); finish(a11, x1, w1, (r + 1) * ldy + c + 1)
                finish(a21, x2, w1, (r + 2) * ldy + c + 1); finish(a31, x3, w1, (r + 3) * ldy + c + 1)
            }
            r += 4
        }
        while r < m {
            let xr = x + r * n
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>()
            var k = 0
            while k < n8 {
                let u = ld(xr + k)
                a0.addProduct(u, ld(w0 + k)); a1.addProduct(u, ld(w1 + k))
                k += 8
            }
            finish(a0, xr, w0, r * ldy + c)
            if two { finish(a1, xr, w1, r * ldy + c + 1) }
            r += 1
        }
        c += two ? 2 : 1
    }
}
