// FloatBuffer.swift: the fp32 buffer every weight, gradient and activation lives in (one owner, freed
// in deinit), and the two vector helpers the kernels share. Parallel loops are SpindleIO's `Parallel`.
import Glibc
import SpindleIO

/// Dot product of two fp32 vectors, 8 lanes at a time.
@inline(__always)
func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = SIMD8<Float>()
    var i = 0
    let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
    while i + 8 <= n {
        acc += ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            * rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        i += 8
    }
    var s = acc.sum()
    while i < n { s += a[i] * b[i]; i += 1 }
    return s
}

/// y[i] += alpha * x[i].
@inline(__always)
func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    var i = 0
    let av = SIMD8<Float>(repeating: alpha)
    let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
    while i + 8 <= n {
        let v = ry.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            + av * rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        ry.storeBytes(of: v, toByteOffset: i * 4, as: SIMD8<Float>.self)
        i += 8
    }
    while i < n { y[i] += alpha * x[i]; i += 1 }
}

/// A zero-filled fp32 buffer owned by its creator (activations, gradients, optimiser state).
/// Buffers of 2 MiB and more are anonymous mappings that ask for transparent huge pages: decoding
/// streams the weights whole for every token, and 4 KiB pages cost a TLB miss every 1024 floats.
/// Their pages stay untouched (and unallocated) until first written, so a model loaded only for
/// inference never pays for its gradient buffer.
// Why @unchecked Sendable: parallel kernels write disjoint ranges of one buffer and join before anyone
// reads them; the buffer itself (pointer, count) never changes.
final class FloatBuffer: @unchecked Sendable {
    let count: Int
    let p: UnsafeMutablePointer<Float>
    private let mappedBytes: Int   // 0 when the buffer came from calloc
    init(_ count: Int) {
        self.count = count
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        let raw: UnsafeMutableRawPointer?
        if bytes >= 1 << 21 {
            let m = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            raw = m == MAP_FAILED ? nil : m
            if let raw { _ = madvise(raw, bytes, MADV_HUGEPAGE) }
            mappedBytes = bytes
        } else {
            raw = calloc(1, bytes)
            mappedBytes = 0
        }
        guard let raw else { fatalError("out of memory allocating \(bytes) bytes") }
        p = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }
    deinit { if mappedBytes > 0 { munmap(p, mappedBytes) } else { free(p) } }
    func zero() { p.update(repeating: 0, count: count) }
}
