// The OpenBLAS core type chosen from cpuid bits, and that the library really loaded with it.
import Testing
import COpenBLAS
@testable import SpindleTrainer
import SpindleTestSupport

@Suite struct BLASTests {
    @Test func coreTypeFromFeatures() {
        let x86 = SPINDLE_CPU_X86, avx2fma = SPINDLE_CPU_AVX | SPINDLE_CPU_AVX2 | SPINDLE_CPU_FMA
        func core(_ bits: Int) -> String? { BLASBackend.coreType(forFeatures: UInt32(bits)) }
        #expect(core(x86 | avx2fma | SPINDLE_CPU_AMD) == "Zen")
        #expect(core(x86 | avx2fma) == "Haswell")
        #expect(core(x86 | avx2fma | SPINDLE_CPU_AVX512) == "SkylakeX")
        #expect(core(x86 | avx2fma | SPINDLE_CPU_AVX512 | SPINDLE_CPU_AVX512BF16) == "Cooperlake")
        #expect(core(x86 | SPINDLE_CPU_AVX) == "Sandybridge")
        #expect(core(x86) == nil)
        #expect(core(0) == nil)   // not x86: OpenBLAS decides
    }

    @Test func reexecOnlyForAnOlderKernelClass() {
        #expect(BLASBackend.needsReexec(detected: "Prescott", wanted: "Haswell"))
        #expect(BLASBackend.needsReexec(detected: "Nehalem", wanted: "SkylakeX"))
        #expect(BLASBackend.needsReexec(detected: "Haswell", wanted: "SkylakeX"))
        #expect(!BLASBackend.needsReexec(detected: "Zen", wanted: "Zen"))
        #expect(!BLASBackend.needsReexec(detected: "Zen", wanted: "Haswell"))
        #expect(!BLASBackend.needsReexec(detected: "SapphireRapids", wanted: "Cooperlake"))
    }

    @Test(.requires(Requirement(BLASBackend.shared.libraryPath != nil, "no OpenBLAS on this host (the naive fallback runs)")))
    func loadedLibraryUsesAFastCore() {
        let b = BLASBackend.shared
        // An AVX2+FMA machine must not be running Prescott/Nehalem/Core2 kernels.
        let f = Int(spindle_cpu_features())
        if f & SPINDLE_CPU_AVX2 != 0 && f & SPINDLE_CPU_FMA != 0 {
            #expect(["Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids"].contains(b.coreName), "\(b.summary)")
        }
    }
}
