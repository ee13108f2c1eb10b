// swift-tools-version:6.0
// Spindle: raw text to a small aligned chat model, the Llama 2 way, on one machine.
import PackageDescription

/// Release builds: whole-module, bounds checks off in the hot kernels' modules, and on x86-64 the
/// AVX2/FMA level (x86-64-v3) that every machine Spindle runs on has: the SIMD kernels (MinHash,
/// softmax, normalisers) are measured ~1.6x faster with it. Debug builds (the tests) stay generic.
#if arch(x86_64)
let cpuFlags = ["-target-cpu", "haswell"]
#else
let cpuFlags: [String] = []
#endif
let releaseTuning: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-wmo"] + cpuFlags, .when(configuration: .release)),
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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
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

        .target(name: "SpindleIO", dependencies: ["CZstd", "CZlib"], swiftSettings: releaseTuning),
        .target(name: "SpindleStages", dependencies: ["SpindleIO", "CLibXML2"], swiftSettings: releaseTuning),
        .target(name: "SpindleTokenizer", dependencies: ["SpindleIO", "CSpindleCPU"], swiftSettings: releaseTuning),
        .target(name: "SpindleShards", dependencies: ["SpindleIO", "SpindleTokenizer", "CZstd"], swiftSettings: releaseTuning),
        .target(name: "SpindleTrainer", dependencies: ["SpindleIO", "SpindleShards", "SpindleTokenizer", "COpenBLAS", "CSpindleCPU"],
                swiftSettings: releaseTuning),
        .executableTarget(
            name: "spindle",
            dependencies: [
                "SpindleIO", "SpindleStages", "SpindleTokenizer", "SpindleShards", "SpindleTrainer",
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
        .testTarget(name: "SpindleCLITests", dependencies: ["SpindleIO", "SpindleTestSupport", "spindle"]),
    ]
)
