// In-process encode/decode throughput, measured the way ../shared/bench/peers/encode_bench.py measures
// sentencepiece: the non-empty lines of a file (or blank-line separated documents), best of N runs, wall
// time and thread CPU time.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import SpindleIO

public struct ThroughputResult: Sendable {
    public var bytes: Int
    public var tokens: Int
    public var encodeSeconds: Double
    public var encodeCPUSeconds: Double
    public var decodeSeconds: Double
    public var decodeCPUSeconds: Double
    public var roundTrip: Double
    public var threads: Int

    public var summary: String {
        func f(_ x: Double) -> String { String(Int((x * 100).rounded()) / 100) + "." + String(format2(Int((x * 100).rounded()) % 100)) }
        func format2(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let mb = Double(bytes) / 1e6
        return "encode_mb_s=\(f(mb / encodeSeconds)) decode_mb_s=\(f(mb / decodeSeconds)) " +
            "encode_cpu_mb_s=\(f(mb / encodeCPUSeconds)) decode_cpu_mb_s=\(f(mb / decodeCPUSeconds)) " +
            "tokens=\(tokens) bytes=\(bytes) roundtrip=\(f(roundTrip * 100) )% threads=\(threads)"
    }
}

func now() -> Double { var t = timespec(); clock_gettime(CLOCK_MONOTONIC, &t); return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9 }
func processCPU() -> Double { var t = timespec(); clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t); return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9 }

/// Encodes then decodes `items` `repeat` times (best run counts); with threads > 1, items are split
/// into contiguous shares, one per thread (decode is always single-threaded).
public func measureThroughput(model: SentencePieceModel, items: [[UInt8]], repeats: Int = 3, threads: Int = 1) -> ThroughputResult {
    let bytes = items.reduce(0) { $0 + $1.count }
    var ids = [[Int32]](repeating: [], count: items.count)
    var bestE = Double.infinity, bestEC = Double.infinity
    for _ in 0..<max(1, repeats) {
        var result = [[Int32]](repeating: [], count: items.count)
        model.resetCaches()   // every run starts cold: no word memo carried over from the previous run
        let t0 = now(), c0 = processCPU()
        if threads <= 1 {
            for (k, it) in items.enumerated() { var v: [Int32] = []; model.encode(utf8: it, into: &v); result[k] = v }
        } else {
            let share = (items.count + threads - 1) / threads
            let parts = ThreadSlots<[[Int32]]>(threads, [])
            Parallel(threads: threads).forEach(threads) { t in
                let lo = t * share, hi = min(items.count, lo + share)
                if lo >= hi { return }
                var local: [[Int32]] = []
                local.reserveCapacity(hi - lo)
                for k in lo..<hi { var v: [Int32] = []; model.encode(utf8: items[k], into: &v); local.append(v) }
                parts[t] = local
            }
            result = []
            for t in 0..<threads { result += parts.take(t, replacement: []) }
        }
        bestE = min(bestE, now() - t0); bestEC = min(bestEC, processCPU() - c0)
        ids = result
    }
    var bestD = Double.infinity, bestDC = Double.infinity
    var ok = 0
    for r in 0..<max(1, repeats) {
        var texts: [[UInt8]] = []
        texts.reserveCapacity(items.count)
        let t0 = now(), c0 = processCPU()
        for v in ids { var o: [UInt8] = []; try? model.decode(v, into: &o); texts.append(o) }
        bestD = min(bestD, now() - t0); bestDC = min(bestDC, processCPU() - c0)
        if r == 0 { ok = zip(texts, items).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) } }
    }
    return ThroughputResult(bytes: bytes, tokens: ids.reduce(0) { $0 + $1.count }, encodeSeconds: bestE, encodeCPUSeconds: bestEC,
                            decodeSeconds: bestD, decodeCPUSeconds: bestDC, roundTrip: Double(ok) / Double(max(1, items.count)), threads: threads)
}

/// Splits file bytes into non-empty lines (or blank-line separated documents), as encode_bench.py does.
public func benchmarkItems(_ data: [UInt8], documents: Bool) -> [[UInt8]] {
    var items: [[UInt8]] = []
    var s = 0
    var i = 0
    let n = data.count
    while i <= n {
        let atEnd = i == n
        let sep: Bool
        if documents { sep = atEnd || (i + 1 < n && data[i] == 0x0A && data[i + 1] == 0x0A) } else { sep = atEnd || data[i] == 0x0A }
        if sep {
            if i > s { items.append(Array(data[s..<i])) }
            i += documents && !atEnd ? 2 : 1
            s = i
        } else { i += 1 }
    }
    return items
}
