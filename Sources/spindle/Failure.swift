import ArgumentParser
import Foundation
import SpindleIO

/// The one reporting path: any error a command throws becomes one line on stderr
/// (`spindle COMMAND: message`) and one of the documented exit codes. Errors of the argument parser
/// (usage, help, `ExitCode`) are left to it: usage errors exit 64 with the usage text.
enum Failure {
    /// The message and exit code of an error Spindle reports itself, nil for the parser's own.
    static func describe(_ error: Error) -> (message: String, code: Int32)? {
        switch error {
        case let e as SpindleError:
            return (e.description, e.exitCode)
        case let e as JSONValue.ParseError:
            return ("invalid JSON at byte \(e.offset): \(e.message)", ExitStatus.dataError)
        case let e as CocoaError:
            return fileError(path: e.filePath ?? e.userInfo[NSFilePathErrorKey] as? String,
                             missing: e.code == .fileNoSuchFile || e.code == .fileReadNoSuchFile,
                             reason: e.underlying ?? "\(e.code.rawValue)")
        case let e as POSIXError:
            return ("\(String(cString: strerror(e.code.rawValue)))", e.code == .ENOENT ? ExitStatus.noInput : ExitStatus.ioError)
        default:
            return nil
        }
    }

    /// Foundation's file errors, said the way SpindleIO says its own: `PATH: reason`, never a raw
    /// NSCocoaErrorDomain dump.
    static func fileError(path: String?, missing: Bool, reason: String) -> (String, Int32) {
        let what = path ?? "file"
        return missing ? ("\(what): no such file or directory", ExitStatus.noInput)
                       : ("\(what): cannot read or write: \(reason)", ExitStatus.ioError)
    }

    /// "spindle pack sft" for PackSFT; a default subcommand is named by its parent ("spindle dedup").
    static func commandName(_ type: ParsableCommand.Type) -> String {
        func search(_ node: ParsableCommand.Type, _ path: String) -> String? {
            if node == type { return path }
            let c = node.configuration
            for sub in c.subcommands {
                let name = sub == c.defaultSubcommand ? path : path + " " + (sub.configuration.commandName ?? "")
                if let found = search(sub, name) { return found }
            }
            return nil
        }
        return search(Spindle.self, "spindle") ?? "spindle"
    }
}

extension CocoaError {
    /// The POSIX reason under a Foundation file error, when it carries one.
    var underlying: String? {
        guard let u = userInfo[NSUnderlyingErrorKey] else { return nil }
        if let p = u as? POSIXError { return String(cString: strerror(p.code.rawValue)) }
        return "\(u)"
    }
}
