// Parallel.swift: the two cores. Work is split into a fixed number of chunks that does not depend on
// scheduling, so results are bitwise reproducible run to run.
import Dispatch
import Glibc

/// Threads used for elementwise, attention and loss kernels (OpenBLAS has its own setting).
public enum Compute {
    nonisolated(unsafe) public static var threads: Int = 2
}

/// Runs `body(i)` for i in 0..<n, spread over `Compute.threads` threads.
@inline(__always)
func parallelFor(_ n: Int, _ body: (Int) -> Void) {
    if n <= 1 || Compute.threads <= 1 {
        for i in 0..<n { body(i) }
    } else {
        // The kernels hand out disjoint slices of raw buffers; Sendable checking cannot see that.
        withoutActuallyEscaping(body) { b in
            DispatchQueue.concurrentPerform(iterations: n, execute: unsafeBitCast(b, to: (@Sendable (Int) -> Void).self))
        }
    }
}

/// Runs `body(range)` over `Compute.threads` contiguous pieces of 0..<n (`grain` at least per piece).
@inline(__always)
func parallelRanges(_ n: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
    let pieces = max(1, min(Compute.threads, n / max(grain, 1)))
    if pieces == 1 { body(0..<n); return }
    parallelFor(pieces) { p in body((p * n / pieces)..<((p + 1) * n / pieces)) }
}

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
