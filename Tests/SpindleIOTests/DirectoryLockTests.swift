import Foundation
import Testing
import SpindleIO
import SpindleTestSupport

/// One writer per output directory: another process cannot take a held directory; the same process can.
@Suite(.requires(.tool("flock"))) struct DirectoryLockTests {
    @Test func anotherProcessIsRefusedWhileHeld() throws {
        let tmp = TempDir("dirlock"); defer { tmp.cleanup() }
        let dir = tmp.sub("out"), lockFile = tmp.sub(".out.lock")
        do {
            let lock = try DirectoryLock(dir)
            let again = try DirectoryLock(dir)   // the same process shares its hold
            #expect(try runProcess("/usr/bin/flock", ["-n", lockFile, "true"]).status != 0)
            withExtendedLifetime((lock, again)) {}
        }
        #expect(!FileManager.default.fileExists(atPath: lockFile))
        #expect(try runProcess("/usr/bin/flock", ["-n", lockFile, "true"]).status == 0)
    }

    @Test func aHeldDirectoryIsBusy() throws {
        let tmp = TempDir("dirlock-busy"); defer { tmp.cleanup() }
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = [tmp.sub(".out.lock"), "sleep", "20"]
        try holder.run()
        defer { holder.terminate(); holder.waitUntilExit() }
        while !FileManager.default.fileExists(atPath: tmp.sub(".out.lock")) { usleep(1000) }
        usleep(100_000)
        #expect {
            _ = try DirectoryLock(tmp.sub("out"))
        } throws: { e in (e as? DirectoryBusy)?.exitCode == 74 }
    }
}
