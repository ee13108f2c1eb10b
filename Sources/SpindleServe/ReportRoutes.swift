// ReportRoutes.swift: the pipeline report at /report (`serve --report DIR`), built afresh from DIR on
// each request so it follows a pipeline still running, and the per-run pages and figures it links to
// under /report/… — only report.html and .svg files inside DIR, never a path that leaves it.
import Foundation
import FlyingFox
import SpindleIO

struct ReportRoutes: Sendable {
    /// The pipeline directory (what `make` writes into out/).
    let root: String

    static func matches(_ path: String) -> Bool { path == "/report" || path.hasPrefix("/report/") }

    func handle(_ request: HTTPRequest) throws -> HTTPResponse {
        let method = request.method.rawValue
        guard method == "GET" || method == "HEAD" else { throw APIError.methodNotAllowed(method, path: request.path) }
        if request.path == "/report" || request.path == "/report/" {
            let page: String
            do { page = try PipelineReport.html(root: root, linkBase: "/report/") } catch {
                throw APIError(status: 500, type: "server_error", message: "cannot read the pipeline directory: \(error)")
            }
            return HTTPResponse(statusCode: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: Data(page.utf8))
        }
        let rel = String(request.path.dropFirst("/report/".count))
        let parts = rel.split(separator: "/", omittingEmptySubsequences: false)
        let name = parts.last.map(String.init) ?? ""
        guard !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." || $0.hasPrefix(".") }),
              name == "report.html" || name.hasSuffix(".svg"),
              let data = FileManager.default.contents(atPath: (root as NSString).appendingPathComponent(rel)) else {
            throw APIError.notFound("no report page \(request.path)", code: "unknown_url")
        }
        let type = name.hasSuffix(".svg") ? "image/svg+xml" : "text/html; charset=utf-8"
        return HTTPResponse(statusCode: .ok, headers: [.contentType: type], body: data)
    }
}
