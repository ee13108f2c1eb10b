// CheckpointDirectory.swift: a checkpoint appears complete or not at all. Every file of a save is
// written into a staging directory beside the live one, then the two are switched with one atomic
// rename (renameat2 RENAME_EXCHANGE), so a kill at any moment leaves either the old checkpoint or the
// new one under the final name — never new weights beside old optimiser state.
import CSpindleSys
import Foundation
import SpindleIO

struct CheckpointDirectory {
    /// The live checkpoint directory.
    let final: String
    /// Where this save writes its files until `commit()`.
    let staging: String

    /// Prepares an empty staging directory for `dir` (and removes stagings left by killed saves).
    init(_ dir: String) throws {
        final = dir
        let url = URL(fileURLWithPath: dir)
        let parent = url.deletingLastPathComponent().path, name = url.lastPathComponent
        let prefix = ".\(name).saving-"
        staging = parent + "/" + prefix + "\(getpid())"
        let fm = FileManager.default
        try fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
        for other in (try? fm.contentsOfDirectory(atPath: parent)) ?? [] where other.hasPrefix(prefix) {
            let pid = Int32(other.dropFirst(prefix.count)) ?? 0
            // A staging directory of a process that no longer runs is a save that was killed.
            if pid == getpid() || (pid > 0 && kill(pid, 0) != 0 && errno == ESRCH) {
                try? fm.removeItem(atPath: parent + "/" + other)
            }
        }
        try fm.createDirectory(atPath: staging, withIntermediateDirectories: false)
    }

    /// Switches the staging directory in as `final` in one atomic step, then removes what was replaced.
    func commit() throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: final, isDirectory: &isDir) {
            guard isDir.boolValue else { throw TrainerError.io(file: final, message: "exists and is not a directory") }
            if spindle_rename_exchange(staging, final) != 0 {
                // No RENAME_EXCHANGE on this file system: two renames, with a window where only the
                // old copy (under .NAME.saving-PID.old) exists.
                let old = staging + ".old"
                guard rename(final, old) == 0, rename(staging, final) == 0 else {
                    throw TrainerError.io(file: final, message: "cannot switch the new checkpoint in: \(String(cString: strerror(errno)))")
                }
                try? fm.removeItem(atPath: old)
                return
            }
            // Now holds the previous checkpoint. The new one is in place, so a failure here is no failure
            // of the save: a leftover is removed by the next save.
            try? fm.removeItem(atPath: staging)
        } else if rename(staging, final) != 0 {
            throw TrainerError.io(file: final, message: "cannot rename the new checkpoint into place: \(String(cString: strerror(errno)))")
        }
    }
}

/// A run's output directory: a new run does not silently replace an earlier one.
public enum RunDirectory {
    /// Takes `dir` for this process (one writer per run directory, until the lock is released) and
    /// creates it: every training stage starts here.
    public static func claim(_ dir: String) throws -> DirectoryLock {
        let lock = try DirectoryLock(dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return lock
    }

    /// Refuses to start a new run (`resume` false) in `dir` when it already holds one (a checkpoint),
    /// unless `overwrite`; with `overwrite`, the earlier run's checkpoints go first.
    public static func checkFresh(_ dir: String, resume: Bool, overwrite: Bool) throws {
        guard !resume else { return }
        let fm = FileManager.default
        let held = ["checkpoint", "best"].filter { fm.fileExists(atPath: dir + "/" + $0) }
        guard !held.isEmpty else { return }
        guard overwrite else {
            throw TrainerError.config(field: "--output", message: "\(dir) holds a run (\(held.joined(separator: ", "))): pass --resume to continue it or --overwrite to replace it")
        }
        // Not while another process writes the run: take its lock before removing anything.
        let lock = try DirectoryLock(dir)
        defer { withExtendedLifetime(lock) {} }
        for name in held { try fm.removeItem(atPath: dir + "/" + name) }
    }
}
