import CLibXML2
import SpindleIO

/// Extracts the main text of a web page with libxml2's forgiving HTML parser: headings,
/// paragraphs, list items, quotes and preformatted blocks are kept, one block a paragraph;
/// `script`, `style`, `nav`, `header`, `footer`, `aside`, forms and elements whose class or id
/// names boilerplate (menus, cookie banners, share bars, comments, sidebars) are dropped, and so
/// are link lists (blocks that are mostly link text). When the page has an `<article>` or `<main>`
/// holding most of its paragraph text, only that element is read.
public struct HTMLExtractor {
    public struct Page: Sendable {
        public var title: String?
        public var text: String
    }

    static let droppedTags: Set<String> = ["script", "style", "nav", "header", "footer", "aside", "noscript", "form",
                                           "iframe", "svg", "template", "button", "select", "menu", "head", "object",
                                           "canvas", "video", "audio", "map", "dialog", "input", "textarea", "label"]
    static let blockTags: Set<String> = ["p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre",
                                         "section", "article", "main", "td", "th", "tr", "dt", "dd", "figcaption",
                                         "table", "ul", "ol", "dl", "br", "hr", "address", "summary", "details", "center", "caption"]
    /// Class/id words that mark boilerplate containers.
    static let boilerplateWords: Set<String> = ["nav", "navbar", "navigation", "menu", "footer", "sidebar", "cookie",
                                                "cookies", "consent", "comment", "comments", "share", "sharing", "social",
                                                "breadcrumb", "breadcrumbs", "related", "advert", "advertisement", "ads", "ad",
                                                "newsletter", "banner", "popup", "modal", "widget", "subscribe", "login",
                                                "signup", "teaser", "promo", "sponsored", "masthead", "toolbar", "pagination",
                                                "skip", "meta", "byline", "tags", "author-box", "print", "dropdown", "offcanvas"]

    public init() {}

    /// Parses `html` (any encoding the page declares; UTF-8 by default) and returns its main text.
    public func extract(_ html: [UInt8], name: String) throws -> Page {
        if html.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return Page(title: nil, text: "") }
        let options = Int32(HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NOERROR.rawValue | HTML_PARSE_NOWARNING.rawValue
                            | HTML_PARSE_NONET.rawValue | HTML_PARSE_COMPACT.rawValue)
        let doc: htmlDocPtr? = html.withUnsafeBufferPointer { b in
            b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: b.count) {
                htmlReadMemory($0, Int32(b.count), name, nil, options)
            }
        }
        guard let doc else { throw InputError(.format, file: name, "libxml2 could not parse this as HTML") }
        defer { xmlFreeDoc(doc) }
        guard let root = xmlDocGetRootElement(doc) else { return Page(title: nil, text: "") }

        let title = firstElement(root, named: "title").map { collapse(textContent($0)) }
        let body = firstElement(root, named: "body") ?? root
        var container = body
        let total = paragraphText(body)
        var best: (node: xmlNodePtr, size: Int)?
        forEachElement(body) { node, tag in
            guard tag == "article" || tag == "main" || attribute(node, "role") == "main" else { return true }
            let size = paragraphText(node)
            if size > (best?.size ?? 0) { best = (node, size) }
            return true
        }
        if let best, total > 0, best.size * 2 >= total { container = best.node }

        var blocks = BlockCollector()
        var walker = Walker(extractor: self, pageParagraphText: paragraphText(container))
        walker.walk(container, into: &blocks)
        blocks.close()
        let text = blocks.kept.joined(separator: "\n\n")
        return Page(title: title.flatMap { $0.isEmpty ? nil : $0 }, text: text)
    }

    // MARK: Tree walk

    struct BlockCollector {
        var kept: [String] = []
        var current = ""
        var linkChars = 0
        var currentTag = "div"

        mutating func append(_ text: String, inLink: Bool) {
            current += text
            if inLink { linkChars += text.count }
        }

        mutating func close(nextTag: String = "div") {
            let text = HTMLExtractor.collapse(current)
            let chars = text.count
            defer { current = ""; linkChars = 0; currentTag = nextTag }
            guard chars > 0 else { return }
            let linkDensity = Double(linkChars) / Double(max(chars, 1))
            let isHeading = currentTag.count == 2 && currentTag.first == "h" && currentTag.last!.isNumber
            let words = text.split(whereSeparator: { $0 == " " }).count
            if linkDensity > 0.5 { return }                                  // menus, link lists
            if !isHeading && currentTag != "p" && currentTag != "pre" && currentTag != "blockquote" && words < 4 { return }
            if isHeading && words > 30 { return }
            kept.append(text)
        }
    }

    /// Walks the content tree. A container that looks like boilerplate (by tag or by class) is
    /// dropped only when it does not hold most of the page's paragraph text: sites wrap whole
    /// pages in `<div class="outer--nav">` or `<header>`, and dropping those would drop everything.
    struct Walker {
        let extractor: HTMLExtractor
        let pageParagraphText: Int
        static let alwaysDropped: Set<String> = ["script", "style", "noscript", "template", "svg", "head", "iframe",
                                                 "object", "canvas", "video", "audio", "map", "select", "button",
                                                 "textarea", "input"]

        func looksDroppable(_ node: xmlNodePtr, tag: String) -> Bool {
            if Walker.alwaysDropped.contains(tag) { return true }
            guard HTMLExtractor.droppedTags.contains(tag) || extractor.isBoilerplate(node) else { return false }
            let inside = extractor.paragraphText(node)
            return inside * 2 < pageParagraphText || pageParagraphText == 0
        }

        func walk(_ node: xmlNodePtr, into blocks: inout BlockCollector, inLink: Bool = false) {
            var child = node.pointee.children
            while let c = child {
                defer { child = c.pointee.next }
                switch c.pointee.type {
                case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
                    if let content = c.pointee.content {
                        blocks.append(String(cString: UnsafeRawPointer(content).assumingMemoryBound(to: CChar.self)), inLink: inLink)
                    }
                case XML_ELEMENT_NODE:
                    let tag = extractor.name(c)
                    if looksDroppable(c, tag: tag) { continue }
                    if tag == "br" { blocks.append(" ", inLink: inLink); continue }
                    let isBlock = HTMLExtractor.blockTags.contains(tag)
                    if isBlock { blocks.close(nextTag: tag) }
                    walk(c, into: &blocks, inLink: inLink || tag == "a")
                    if isBlock { blocks.close() } else if tag == "a" || tag == "span" { blocks.append(" ", inLink: false) }
                default:
                    break
                }
            }
        }
    }

    func isBoilerplate(_ node: xmlNodePtr) -> Bool {
        for attr in ["class", "id", "role"] {
            guard let value = attribute(node, attr)?.lowercased(), !value.isEmpty else { continue }
            if attr == "role" && (value == "navigation" || value == "banner" || value == "contentinfo" || value == "complementary") {
                return true
            }
            let words = value.split(whereSeparator: { $0 == " " || $0 == "-" || $0 == "_" })
            if words.contains(where: { HTMLExtractor.boilerplateWords.contains(String($0)) }) { return true }
        }
        if let style = attribute(node, "style")?.lowercased().replacingSpaces(), style.contains("display:none") { return true }
        return attribute(node, "hidden") != nil
    }

    // MARK: libxml2 helpers

    func name(_ node: xmlNodePtr) -> String {
        guard let n = node.pointee.name else { return "" }
        return String(cString: UnsafeRawPointer(n).assumingMemoryBound(to: CChar.self)).lowercased()
    }

    func attribute(_ node: xmlNodePtr, _ key: String) -> String? {
        guard let v = xmlGetProp(node, key) else { return nil }
        defer { spindle_xmlFree(v) }
        return String(cString: UnsafeRawPointer(v).assumingMemoryBound(to: CChar.self))
    }

    func textContent(_ node: xmlNodePtr) -> String {
        guard let v = xmlNodeGetContent(node) else { return "" }
        defer { spindle_xmlFree(v) }
        return String(cString: UnsafeRawPointer(v).assumingMemoryBound(to: CChar.self))
    }

    /// Visits elements depth-first; `body` returns false to skip a subtree.
    func forEachElement(_ node: xmlNodePtr, _ body: (xmlNodePtr, String) -> Bool) {
        var child = node.pointee.children
        while let c = child {
            if c.pointee.type == XML_ELEMENT_NODE {
                let tag = name(c)
                if !HTMLExtractor.droppedTags.contains(tag), body(c, tag) { forEachElement(c, body) }
            }
            child = c.pointee.next
        }
    }

    func firstElement(_ node: xmlNodePtr, named wanted: String) -> xmlNodePtr? {
        var found: xmlNodePtr?
        var stack: [xmlNodePtr] = [node]
        while found == nil, let n = stack.popLast() {
            if n.pointee.type == XML_ELEMENT_NODE && name(n) == wanted { found = n; break }
            var kids: [xmlNodePtr] = []
            var c = n.pointee.children
            while let k = c { kids.append(k); c = k.pointee.next }
            stack.append(contentsOf: kids.reversed())
        }
        return found
    }

    /// Bytes of text below `node` that are neither link text nor script (the main-content signal:
    /// menus and link lists have little of it, articles most of it).
    func paragraphText(_ node: xmlNodePtr) -> Int {
        var total = 0
        var child = node.pointee.children
        while let c = child {
            switch c.pointee.type {
            case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
                if let content = c.pointee.content {
                    var n = 0
                    var p = content
                    while p.pointee != 0 { if p.pointee > 0x20 { n += 1 }; p += 1 }
                    total += n
                }
            case XML_ELEMENT_NODE:
                let tag = name(c)
                if tag != "a" && !Walker.alwaysDropped.contains(tag) { total += paragraphText(c) }
            default: break
            }
            child = c.pointee.next
        }
        return total
    }

    /// Collapses runs of whitespace (NBSP included) to one space and trims.
    static func collapse(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        var pendingSpace = false
        for ch in s {
            if ch.isWhitespace || ch == "\u{00A0}" {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(" "); pendingSpace = false }
                out.append(ch)
            }
        }
        return out
    }

    func collapse(_ s: String) -> String { HTMLExtractor.collapse(s) }
}

extension String {
    func replacingSpaces() -> String { String(filter { $0 != " " }) }
}
