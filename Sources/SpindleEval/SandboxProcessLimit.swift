// SandboxProcessLimit.swift: the sandbox's bound on how many processes a program may have at once.
// RLIMIT_NPROC does not bind root (the kernel exempts uid 0 and CAP_SYS_RESOURCE), and it counts every
// process of the user, not the program's. The pids controller of a cgroup does bind: every run gets a
// fresh child cgroup with `pids.max`, the sandbox shell moves itself into it before it execs anything
// the program controls, and fork/clone in the program and its descendants fail with EAGAIN at the cap.
// cgroup v1 (`/sys/fs/cgroup/pids/<own path>`) and v2 (`/sys/fs/cgroup/<own path>` when its
// subtree_control enables pids) are both found from /proc/self/cgroup; where neither is writable
// (an unprivileged user without delegation) there is no process-count bound and `available` is false.
import Foundation

public struct PidsCgroup: Sendable {
    /// The directory child cgroups are made in.
    public let parent: String

    /// The writable pids hierarchy of this process, or nil.
    public static func find() -> PidsCgroup? {
        guard let lines = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) else { return nil }
        var candidates: [String] = []
        for line in lines.split(separator: "\n") {
            let f = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard f.count == 3 else { continue }
            if f[1].split(separator: ",").contains("pids") { candidates.append("/sys/fs/cgroup/pids" + f[2]) }
            if f[0] == "0" && f[1].isEmpty {
                let dir = "/sys/fs/cgroup" + f[2]
                if let sub = try? String(contentsOfFile: dir + "/cgroup.subtree_control", encoding: .utf8),
                   sub.split(whereSeparator: \.isWhitespace).contains("pids") { candidates.append(dir) }
            }
        }
        for dir in candidates {
            let probe = PidsCgroup(parent: dir)
            if let cg = try? probe.make(maxProcesses: 1) { probe.remove(cg); return probe }
        }
        return nil
    }

    /// A fresh child cgroup with `pids.max` = `maxProcesses`; its path.
    public func make(maxProcesses: Int) throws -> String {
        let dir = parent + "/spindle-sandbox-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        do { try Data("\(maxProcesses)\n".utf8).write(to: URL(fileURLWithPath: dir + "/pids.max")) } catch {
            remove(dir); throw error
        }
        return dir
    }

    /// Removes a child cgroup once its processes are gone (they may take a moment to be reaped).
    public func remove(_ dir: String) {
        for _ in 0..<50 {
            if rmdir(dir) == 0 || errno == ENOENT { return }
            usleep(20_000)
        }
    }
}
