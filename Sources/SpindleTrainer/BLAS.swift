// SpindleTrainer: the embedded CPU trainer — Llama forward/backward on OpenBLAS, AdamW, schedules,
// Hugging Face-layout checkpoints, sampling and scoring.
//
// BLAS.swift: OpenBLAS loaded at run time. Debian's OpenBLAS 0.3.21 (a DYNAMIC_ARCH build) picks its
// kernels from cpuid in a load-time constructor and can misdetect the CPUs of virtual machines as an
// old core (Prescott kernels run ~12 GFLOP/s here against ~90 for Haswell/Zen). The only reliable knob
// is OPENBLAS_CORETYPE, read by that constructor — so the library must not be linked at build time.
// We choose the core type from the CPU's own feature bits, set it, then dlopen the library and resolve
// cblas_sgemm with dlsym. A user's OPENBLAS_CORETYPE is respected. Without OpenBLAS the naive kernel
// below is used (correct, slow) and a warning goes to stderr.
// If the library was nevertheless linked at build time (SwiftPM adds pkg-config's -lopenblas for the
// COpenBLAS system-library target), its constructor has already run before main: then
// `prepareProcess()` compares the core it picked with ours and, when it picked an older class of
// kernels, re-executes the process once with OPENBLAS_CORETYPE set (commands call it before reading
// any input).
import COpenBLAS
import Foundation
import SpindleIO

/// The BLAS backend in use: which library, which OpenBLAS core type, and how it was chosen.
// Why @unchecked Sendable: configured once at start-up (library handle, core type), then only read;
// `threads` mirrors OpenBLAS's own process-wide setting, which is set from the main thread.
public final class BLASBackend: @unchecked Sendable {
    /// The process-wide backend, loaded on first use.
    public static let shared = BLASBackend()

    let sgemmFn: spindle_sgemm_fn?
    let setThreadsFn: spindle_set_num_threads_fn?
    let getThreadsFn: spindle_get_num_threads_fn?
    /// Path of the loaded library, nil when falling back to the naive kernel.
    public let libraryPath: String?
    /// Core type OpenBLAS reports using (`openblas_get_corename`), e.g. "Zen", "Haswell", "SkylakeX".
    public let coreName: String
    /// How the core type was chosen: "cpuid" (set by Spindle), "environment" (user's
    /// OPENBLAS_CORETYPE), "library" (OpenBLAS's own detection) or "none".
    public let coreSource: String

    /// The OpenBLAS core type to request for a CPU with these `SPINDLE_CPU_*` feature bits, or nil to
    /// let OpenBLAS decide (non-x86, or too old to matter).
    public static func coreType(forFeatures f: UInt32) -> String? {
        func has(_ bit: Int) -> Bool { Int(f) & bit != 0 }
        guard has(SPINDLE_CPU_X86) else { return nil }
        if has(SPINDLE_CPU_AVX512) {
            return has(SPINDLE_CPU_AVX512BF16) ? "Cooperlake" : "SkylakeX"
        }
        if has(SPINDLE_CPU_AVX2) && has(SPINDLE_CPU_FMA) {
            return has(SPINDLE_CPU_AMD) ? "Zen" : "Haswell"
        }
        if has(SPINDLE_CPU_AVX) { return "Sandybridge" }
        return nil
    }

    /// ISA class of an OpenBLAS core name: 0 unknown/old SSE, 1 AVX, 2 AVX2+FMA, 3 AVX-512.
    static func isaRank(_ core: String) -> Int {
        switch core.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids", "zen4", "zen5": return 3
        case "haswell", "zen", "skylake", "excavator", "steamroller": return 2
        case "sandybridge", "bulldozer", "piledriver": return 1
        default: return 0
        }
    }

    /// Whether an already-loaded library that reports `detected` should be reloaded with `wanted`.
    public static func needsReexec(detected: String, wanted: String) -> Bool {
        isaRank(detected) < isaRank(wanted)
    }

    /// Call first thing in a command (before reading stdin): if OpenBLAS was linked at build time and
    /// picked an older class of kernels than this CPU supports, re-execute the process once with
    /// OPENBLAS_CORETYPE set. Returns normally in every other case.
    public static func prepareProcess() {
        let env = ProcessInfo.processInfo.environment
        guard env["OPENBLAS_CORETYPE"] == nil, env["SPINDLE_BLAS_REEXEC"] == nil,
              let wanted = coreType(forFeatures: spindle_cpu_features()) else { return }
        #if os(Linux)
        guard let h = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_NOLOAD) ?? dlopen("libopenblas.so", RTLD_NOW | RTLD_NOLOAD),
              let p = dlsym(h, "openblas_get_corename"),
              let name = unsafeBitCast(p, to: spindle_get_corename_fn.self)() else { return }
        let detected = String(cString: name)
        guard needsReexec(detected: detected, wanted: wanted) else { return }
        StandardError.line("spindle: OpenBLAS picked \(detected) kernels on a CPU that runs \(wanted); restarting with OPENBLAS_CORETYPE=\(wanted)")
        setenv("OPENBLAS_CORETYPE", wanted, 1)
        setenv("SPINDLE_BLAS_REEXEC", "1", 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        StandardError.line("spindle: warning: re-exec failed (errno \(errno)); continuing with \(detected) kernels")
        #endif
    }

    private init() {
        var source = "library"
        #if os(Linux)
        let preloaded = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_NOLOAD) != nil
        #else
        let preloaded = false
        #endif
        if preloaded && ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil {
            source = "library's own detection: linked at build time, so OPENBLAS_CORETYPE cannot be set first"
        } else if ProcessInfo.processInfo.environment["SPINDLE_BLAS_REEXEC"] != nil {
            source = "cpuid, after re-exec"
        } else if let user = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"], !user.isEmpty {
            source = "environment (\(user))"
        } else if let core = BLASBackend.coreType(forFeatures: spindle_cpu_features()) {
            setenv("OPENBLAS_CORETYPE", core, 1)
            source = "cpuid"
        }
        // OpenBLAS's idle worker threads call sched_yield in a loop for 2^28 cycles (~0.1 s) after
        // each call before they sleep. Training's many small products (reward-model steps: dozens of
        // sgemms of a few MFLOP each) then share the 2 cores with a spinning thread: 25% of a nano
        // RM step's samples were in sched_yield. Sleeping at once (2^4 cycles, the least OpenBLAS
        // takes) measured 87–114 -> 138–145 pairs/s at nano and 6.4–7.1 -> 7.9–8.5 at stories15M
        // (one run each, alternating), and pretraining's large products unchanged (2078–2156 tokens/s
        // either way). A user's OPENBLAS_THREAD_TIMEOUT is respected.
        if ProcessInfo.processInfo.environment["OPENBLAS_THREAD_TIMEOUT"] == nil {
            setenv("OPENBLAS_THREAD_TIMEOUT", "4", 1)
        }
        let candidates = [ProcessInfo.processInfo.environment["SPINDLE_OPENBLAS"]].compactMap { $0 } + [
            "libopenblas.so.0", "libopenblas.so", "libopenblasp.so.0",
            "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
            "/opt/homebrew/opt/openblas/lib/libopenblas.dylib", "/usr/local/opt/openblas/lib/libopenblas.dylib",
        ]
        var handle: UnsafeMutableRawPointer?
        var path: String?
        for c in candidates {
            if let h = dlopen(c, RTLD_NOW | RTLD_LOCAL) { handle = h; path = c; break }
        }
        func sym<T>(_ name: String, _ t: T.Type) -> T? {
            guard let handle, let p = dlsym(handle, name) else { return nil }
            return unsafeBitCast(p, to: t)
        }
        sgemmFn = sym("cblas_sgemm", spindle_sgemm_fn.self)
        setThreadsFn = sym("openblas_set_num_threads", spindle_set_num_threads_fn.self)
        getThreadsFn = sym("openblas_get_num_threads", spindle_get_num_threads_fn.self)
        if let f = sym("openblas_get_corename", spindle_get_corename_fn.self), let s = f() {
            coreName = String(cString: s)
        } else {
            coreName = sgemmFn == nil ? "naive" : "unknown"
        }
        libraryPath = sgemmFn == nil ? nil : path
        coreSource = sgemmFn == nil ? "none" : source
        if sgemmFn == nil {
            StandardError.line(
                "spindle: warning: OpenBLAS not found (apt install libopenblas0, or set SPINDLE_OPENBLAS=/path/libopenblas.so); using the slow naive sgemm")
        }
    }

    /// Threads OpenBLAS uses for one call.
    public var threads: Int {
        get { Int(getThreadsFn?() ?? 1) }
        set { setThreadsFn?(Int32(newValue)) }
    }

    /// One-line description for logs: `OpenBLAS libopenblas.so.0 core Zen (cpuid), 2 threads`.
    public var summary: String {
        libraryPath.map { "OpenBLAS \($0) core \(coreName) (\(coreSource)), \(threads) threads" }
            ?? "naive sgemm (OpenBLAS not found)"
    }

    /// Row-major `C[m,n] = alpha * op(A)[m,k] · op(B)[k,n] + beta * C`, op = transpose when asked.
    @inline(__always)
    public func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 0 || n == 0 { return }
        if let f = sgemmFn {
            f(SPINDLE_CBLAS_ROW_MAJOR, transA ? SPINDLE_CBLAS_TRANS : SPINDLE_CBLAS_NO_TRANS,
              transB ? SPINDLE_CBLAS_TRANS : SPINDLE_CBLAS_NO_TRANS, Int32(m), Int32(n), Int32(k), alpha,
              a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        } else {
            naiveSgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                       b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
    }

    /// Best-of-`reps` GFLOP/s of a square `size` sgemm with the current thread count.
    public func measureSgemm(size: Int = 1024, reps: Int = 8) -> Double {
        measureSgemm(m: size, k: size, n: size, reps: reps)
    }

    /// Best-of-`reps` GFLOP/s of `C[m,n] = A[m,k] · B[k,n]`.
    public func measureSgemm(m: Int, k: Int, n: Int, reps: Int = 8) -> Double {
        let a = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: k * n)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        for i in 0..<(m * k) { a[i] = Float(i % 7) * 0.1 }
        for i in 0..<(k * n) { b[i] = Float(i % 5) * 0.1 }
        sgemm(transA: false, transB: false, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, beta: 0, c: c, ldc: n)
        var best = Double.infinity
        for _ in 0..<reps {
            let t0 = DispatchTime.now().uptimeNanoseconds
            sgemm(transA: false, transB: false, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, beta: 0, c: c, ldc: n)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9)
        }
        return 2.0 * Double(m) * Double(n) * Double(k) / best / 1e9
    }
}

/// The oracle: textbook triple loop, row-major, same contract as `BLASBackend.sgemm`.
public func naiveSgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                       a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                       beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    for i in 0..<m {
        for j in 0..<n {
            var s: Float = 0
            for p in 0..<k {
                let av = transA ? a[p * lda + i] : a[i * lda + p]
                let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
                s += av * bv
            }
            c[i * ldc + j] = alpha * s + (beta == 0 ? 0 : beta * c[i * ldc + j])
        }
    }
}
