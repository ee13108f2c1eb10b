#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

// Whole-file reads and atomic whole-file writes for shard directories. Shards are bounded by the size
// limit (64 MiB by default), so reading one whole is simpler and faster than seeking per sample.

enum ShardFiles {
    /// Reads a file whole. `limit` bounds how much we are willing to read (a hostile or corrupt file
    /// cannot make us allocate without bound).
    static func read(_ path: String, limit: Int = Int(UInt32.max)) throws(ShardError) -> [UInt8] {
        guard let f = fopen(path, "rb") else {
            throw .io(path: path, message: String(cString: strerror(errno)))
        }
        defer { fclose(f) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
            if n > 0 { out.append(contentsOf: chunk[0..<n]) }
            if out.count > limit { throw .corrupt(path: path, offset: limit, reason: "file is larger than the \(limit) bytes expected") }
            if n < chunk.count {
                if ferror(f) != 0 { throw .io(path: path, message: "read error: " + String(cString: strerror(errno))) }
                break
            }
        }
        return out
    }

    /// Writes `bytes` to `path` through a temporary name in the same directory and renames it into
    /// place, so a reader never sees a half-written file.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(ShardError) {
        let tmp = path + ".tmp-\(getpid())"
        guard let f = fopen(tmp, "wb") else { throw .io(path: tmp, message: String(cString: strerror(errno))) }
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        let flushed = fflush(f) == 0
        fclose(f)
        guard written == bytes.count, flushed else {
            unlink(tmp)
            throw .io(path: tmp, message: "write failed: " + String(cString: strerror(errno)))
        }
        guard rename(tmp, path) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(tmp)
            throw .io(path: path, message: "rename failed: \(why)")
        }
    }

    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    static func makeDirectory(_ path: String) throws(ShardError) {
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw .io(path: path, message: "cannot create directory: \(error.localizedDescription)")
        }
    }

    static func list(_ path: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
    }

    static func remove(_ path: String) { unlink(path) }

    static func join(_ dir: String, _ name: String) -> String {
        dir.hasSuffix("/") ? dir + name : dir + "/" + name
    }
}
