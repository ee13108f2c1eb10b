// swift-tools-version:6.0
// Spindle: raw text to a small aligned chat model, the Llama 2 way, on one machine.
import PackageDescription

/// Release builds. The default is safe to use as a dependency: plain `-O` (bounds and overflow checks on,
/// so a bad number in untrusted bytes is an error or a trap, never an out-of-bounds read) and no unsafe
/// flags. `SPINDLE_NATIVE=1` (the Makefile sets it) adds the x86-64-v3 level (AVX2/FMA) that every
/// machine Spindle runs on has: the SIMD kernels (MinHash, softmax, normalisers) are measured ~1.6x faster
/// with it. Unchecked arithmetic and bounds live only inside kernels, written with raw pointers and
/// wrapping operators where a measurement says it pays (docs/ARCHITECTURE.md, "Where unsafe code lives").
let native = Context.environment["SPINDLE_NATIVE"].map { $0 != "" && $0 != "0" } ?? false
let unchecked = Context.environment["SPINDLE_UNCHECKED"] == "1"   // measurement only: the old -Ounchecked
#if arch(x86_64)
let cpuFlags = native ? ["-target-cpu", "haswell"] : []
#else
let cpuFlags: [String] = []
#endif
let releaseTuning: [SwiftSetting] = cpuFlags.isEmpty && !unchecked ? [] : [
    .unsafeFlags((unchecked ? ["-Ounchecked"] : []) + cpuFlags, .when(configuration: .release)),
]
/// The tokenizer's BPE trainer and encoder keep their bounds and overflow checks, but with SPINDLE_NATIVE
/// they skip the runtime's dynamic exclusivity checks (no effect on what a bad input can do: those checks
/// catch overlapping `inout` accesses in Spindle's own code, which the debug-build tests run with).
/// Measured with callgrind on 3 MB: they were 564 M of the 2.19 G instructions of 32K training (the merge
/// loop's and the word tables' captured state) and 60 M of 1.14 G of encoding.
let tokenizerTuning: [SwiftSetting] = !native ? releaseTuning : [
    .unsafeFlags((unchecked ? ["-Ounchecked"] : []) + cpuFlags + ["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "Spindle",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "spindle", targets: ["spindle"]),
        .library(name: "SpindleIO", targets: ["SpindleIO"]),
        .library(name: "SpindleStages", targets: ["SpindleStages"]),
        .library(name: "SpindleTokenizer", targets: ["SpindleTokenizer"]),
        .library(name: "SpindleShards", targets: ["SpindleShards"]),
        .library(name: "SpindleTrainer", targets: ["SpindleTrainer"]),
        .library(name: "SpindleEval", targets: ["SpindleEval"]),
        .library(name: "SpindleServe", targets: ["SpindleServe"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // HTTP/1.1 server for `spindle serve` (chunked response bodies carry the SSE streams).
        .package(url: "https://github.com/swhitty/FlyingFox", exact: "0.27.1"),
    ],
    targets: [
        // System libraries, found through pkg-config (`make deps` installs them).
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd",
                       providers: [.apt(["libzstd-dev"]), .brew(["zstd"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0",
                       providers: [.apt(["libxml2-dev"]), .brew(["libxml2"])]),
        // OpenBLAS is dlopen()ed at run time, after OPENBLAS_CORETYPE is chosen from cpuid (the library
        // reads it in its load-time constructor, so a build-time link would be too early); this module
        // only declares the signatures. `make deps` installs libopenblas-dev, which brings the library.
        .systemLibrary(name: "COpenBLAS"),
        // Header-only CPU hints (prefetch) for the hot kernels.
        .systemLibrary(name: "CSpindleCPU"),
        // Header-only system calls Glibc's Swift module lacks (renameat2 for atomic checkpoint switches).
        .systemLibrary(name: "CSpindleSys"),

        .target(name: "SpindleIO", dependencies: ["CZstd", "CZlib"], swiftSettings: releaseTuning),
        .target(name: "SpindleStages", dependencies: ["SpindleIO", "CLibXML2"], swiftSettings: releaseTuning),
        .target(name: "SpindleTokenizer", dependencies: ["SpindleIO", "CSpindleCPU"], swiftSettings: tokenizerTuning),
        .target(name: "SpindleShards", dependencies: ["SpindleIO", "SpindleTokenizer", "CZstd"], swiftSettings: releaseTuning),
        .target(name: "SpindleTrainer", dependencies: ["SpindleIO", "SpindleShards", "COpenBLAS", "CSpindleCPU", "CSpindleSys"],
                swiftSettings: releaseTuning),
        // lm-evaluation-harness tasks, prompts, metrics and results layout over SpindleTrainer's scorer.
        .target(name: "SpindleEval", dependencies: ["SpindleIO", "SpindleTokenizer", "SpindleTrainer"], swiftSettings: releaseTuning),
        // `spindle serve`: the OpenAI-compatible API and the chat page over SpindleTrainer's Generator.
        .target(name: "SpindleServe",
                dependencies: ["SpindleIO", "SpindleTokenizer", "SpindleShards", "SpindleTrainer",
                               .product(name: "FlyingFox", package: "FlyingFox")],
                swiftSettings: releaseTuning),
        .executableTarget(
            name: "spindle",
            dependencies: [
                "SpindleIO", "SpindleStages", "SpindleTokenizer", "SpindleShards", "SpindleTrainer", "SpindleEval", "SpindleServe",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Tests. SpindleTestSupport is the one place for what every test target shares: paths (package,
        // corpora/, ../shared), a temporary directory, a process runner, the Python peers and the
        // `.requires(...)` trait that records why a test skips. Only test targets use it.
        .target(name: "SpindleTestSupport", path: "Tests/SpindleTestSupport"),
        .testTarget(name: "SpindleIOTests", dependencies: ["SpindleIO", "SpindleTestSupport"]),
        .testTarget(name: "SpindleStagesTests", dependencies: ["SpindleStages", "SpindleIO", "SpindleTestSupport"]),
        .testTarget(name: "SpindleTokenizerTests", dependencies: ["SpindleTokenizer", "SpindleIO", "SpindleTestSupport"]),
        // The shard tests run `spindle pack`: they depend on the executable so it is always rebuilt with them.
        .testTarget(name: "SpindleShardsTests",
                    dependencies: ["SpindleShards", "SpindleTokenizer", "SpindleIO", "SpindleTestSupport", "spindle"]),
        .testTarget(name: "SpindleTrainerTests", dependencies: ["SpindleTrainer", "SpindleShards", "SpindleTestSupport"]),
        .testTarget(name: "SpindleEvalTests", dependencies: ["SpindleEval", "SpindleTrainer", "SpindleTokenizer", "SpindleIO", "SpindleTestSupport", "spindle"],
                    exclude: ["lm_eval_crosscheck.py"]),
        .testTarget(name: "SpindleServeTests",
                    dependencies: ["SpindleServe", "SpindleTrainer", "SpindleTokenizer", "SpindleIO", "SpindleTestSupport", "spindle"],
                    exclude: ["openai_client.py", "browser_check.py"]),
        .testTarget(name: "SpindleCLITests", dependencies: ["SpindleIO", "SpindleTestSupport", "spindle"]),
    ]
)

// libFuzzer targets for every parser of untrusted bytes (Fuzz/, `make fuzz`). Declared only under
// SPINDLE_FUZZ=1: libFuzzer provides the executable's main(), which exists only with `--sanitize fuzzer`.
if Context.environment["SPINDLE_FUZZ"] == "1" {
    package.targets += [
        .executableTarget(
            name: "spindle-fuzz",
            dependencies: ["SpindleIO", "SpindleStages", "SpindleTokenizer", "SpindleShards", "SpindleTrainer"],
            path: "Fuzz/Sources/spindle-fuzz",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
    ]
}
