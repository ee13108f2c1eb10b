// Profile.swift: where a step's time goes (`--benchmark` prints it when SPINDLE_PROFILE=1).
import Dispatch
import Foundation

/// Phases of a training step.
public enum Phase: Int, CaseIterable, Sendable {
    case matmul, attention, loss, norm, rope, swiglu, embedding, optimizer
}

/// Accumulated seconds per phase; off unless enabled (then each kernel call is timed).
public enum Profile {
    // Why nonisolated(unsafe): set before training starts and updated only from the thread that drives
    // the model (kernels time whole calls from the caller's side, never from their worker threads).
    nonisolated(unsafe) public static var enabled = ProcessInfo.processInfo.environment["SPINDLE_PROFILE"] == "1"
    nonisolated(unsafe) static var seconds = [Double](repeating: 0, count: Phase.allCases.count)

    @inline(__always)
    static func time<T>(_ p: Phase, _ body: () -> T) -> T {
        if !enabled { return body() }
        let t0 = DispatchTime.now().uptimeNanoseconds
        let r = body()
        seconds[p.rawValue] += Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
        return r
    }

    public static func reset() { seconds = [Double](repeating: 0, count: Phase.allCases.count) }

    /// "matmul 71.2%  attention 9.1% ..." for the time recorded so far.
    public static var summary: String {
        let total = seconds.reduce(0, +)
        guard total > 0 else { return "profile: nothing recorded (set SPINDLE_PROFILE=1)" }
        return "profile: " + Phase.allCases.map { String(format: "%@ %.1f%%", "\($0)", 100 * seconds[$0.rawValue] / total) }
            .joined(separator: "  ")
    }
}
