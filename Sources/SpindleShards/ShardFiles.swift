#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

// Whole-file reads and atomic whole-file writes for shard directories. Shards are bounded by the size
// limit (64 MiB by default), so holding one whole is simpler and faster than seeking per sample. A
// buffer is sized by the file on disk (evidence), never by what index.json claims, and is not zeroed
// before the file's bytes overwrite it.

enum ShardFiles {
    /// The chunk size of streamed reads: the only buffer a read allocates besides its result.
    static let chunkSize = 1 << 20

    /// The size of the file at `path` (what is really there, whatever an index says).
    static func size(_ path: String) throws(ShardError) -> Int {
        var st = stat()
        guard stat(path, &st) == 0 else { throw .io(path: path, message: String(cString: strerror(errno))) }
        return Int(st.st_size)
    }

    /// Reads a file whole. `limit` bounds how much we are willing to read (a hostile or corrupt file
    /// cannot make us allocate without bound); `each` sees every chunk as it arrives (to hash it while
    /// it is hot in the cache).
    static func read(_ path: String, limit: Int = Int(UInt32.max),
                     each: ((UnsafeRawBufferPointer) -> Void)? = nil) throws(ShardError) -> [UInt8] {
        guard let f = fopen(path, "rb") else {
            throw .io(path: path, message: String(cString: strerror(errno)))
        }
        defer { fclose(f) }
        var st = stat()
        let onDisk = fstat(fileno(f), &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG ? Int(st.st_size) : 0
        if onDisk > limit { throw .corrupt(path: path, offset: limit, reason: "file is larger than the \(limit) bytes expected") }
        // Read straight into the result's uninitialised storage, sized by the file itself.
        var failed = false
        var out = [UInt8](unsafeUninitializedCapacity: onDisk) { buf, count in
            while count < onDisk {
                let n = fread(buf.baseAddress! + count, 1, min(chunkSize, onDisk - count), f)
                if n > 0 { each?(UnsafeRawBufferPointer(start: buf.baseAddress! + count, count: n)) }
                count += n
                if n == 0 { failed = ferror(f) != 0; return }
            }
        }
        if failed { throw .io(path: path, message: "read error: " + String(cString: strerror(errno))) }
        // The file grew while we read it, or is not a regular file: the rest in chunks, still bounded.
        if out.count == onDisk, case let c = fgetc(f), c != EOF {
            ungetc(c, f)
            try stream(f, path: path) { (chunk: UnsafeRawBufferPointer) throws(ShardError) in
                if out.count + chunk.count > limit {
                    throw .corrupt(path: path, offset: limit, reason: "file is larger than the \(limit) bytes expected")
                }
                each?(chunk)
                out.append(contentsOf: chunk)
            }
        }
        return out
    }

    /// Calls `body` with each chunk of the file at `path`, in order, through one reusable buffer.
    static func stream(_ path: String, _ body: (UnsafeRawBufferPointer) throws(ShardError) -> Void) throws(ShardError) {
        guard let f = fopen(path, "rb") else {
            throw .io(path: path, message: String(cString: strerror(errno)))
        }
        defer { fclose(f) }
        try stream(f, path: path, body)
    }

    private static func stream(_ f: UnsafeMutablePointer<FILE>, path: String,
                               _ body: (UnsafeRawBufferPointer) throws(ShardError) -> Void) throws(ShardError) {
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { chunk.deallocate() }
        while true {
            let n = fread(chunk.baseAddress, 1, chunkSize, f)
            if n > 0 { try body(UnsafeRawBufferPointer(rebasing: chunk[0..<n])) }
            if n < chunkSize {
                if ferror(f) != 0 { throw .io(path: path, message: "read error: " + String(cString: strerror(errno))) }
                return
            }
        }
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
