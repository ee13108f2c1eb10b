// spindle-fuzz: libFuzzer targets for every parser that reads untrusted bytes. Built only by
// `make fuzz` / `make fuzz-smoke` (SPINDLE_FUZZ=1, `--sanitize fuzzer`, scratch path .build-fuzz):
//
//     spindle-fuzz TARGET [libFuzzer flags] [corpus dirs]      spindle-fuzz list
//
// libFuzzer provides main(); the target name is taken off argv in LLVMFuzzerInitialize, before libFuzzer
// reads its flags. A thrown error is the right answer to bad input; a trap, abort, out-of-bounds access,
// out-of-memory or hang is a finding (libFuzzer writes the input to crash-*, oom-* or timeout-*).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The target chosen on the command line (set once, before the first input).
nonisolated(unsafe) var selectedTarget: FuzzTarget?

/// Picks the target named by argv[1] and removes it from argv; `list` prints the names.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<Int32>,
                           _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>) -> Int32 {
    let args = (0..<Int(argc.pointee)).map { String(cString: argv.pointee[$0]!) }
    if args.count >= 2 && args[1] == "list" {
        print(FuzzTarget.all.map(\.name).joined(separator: "\n"))
        exit(0)
    }
    guard args.count >= 2, let target = FuzzTarget.all.first(where: { $0.name == args[1] }) else {
        let usage = "usage: spindle-fuzz TARGET [libFuzzer flags] [corpus dirs]\ntargets:\n"
            + FuzzTarget.all.map { "  \($0.name.padding(toLength: 12, withPad: " ", startingAt: 0)) \($0.summary)" }
                .joined(separator: "\n") + "\n"
        _ = usage.withCString { write(2, $0, strlen($0)) }
        exit(64)
    }
    selectedTarget = target
    // Shift argv[2...] down over the target name; libFuzzer copies argv after this returns.
    let v = argv.pointee
    for i in 1..<(args.count - 1) { v[i] = v[i + 1] }
    v[args.count - 1] = nil
    argc.pointee -= 1
    return 0
}

/// libFuzzer's per-input entry point: hands the bytes to the selected target.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let target = selectedTarget else { return 0 }
    target.run(UnsafeBufferPointer(start: size == 0 ? nil : data, count: size))
    return 0
}
