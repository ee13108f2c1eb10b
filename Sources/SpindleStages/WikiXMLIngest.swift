import CLibXML2
#if canImport(Glibc)
import Glibc
#endif
import SpindleIO

/// Streams a MediaWiki XML export (a Wikipedia dump: `<page><title/><ns/><id/><redirect/>?
/// <revision><text>wikitext</text></revision></page>…`) through libxml2's reader API, one page at a
/// time in constant memory, and emits each article as a plain-text document.
///
/// Redirect pages are skipped, pages outside the chosen namespaces (default: 0, articles) too.
/// zstd, gzip and stdin inputs go through `InputFile`, so a `.xml.zst` dump streams the same way.
public struct WikiXMLIngest {
    public var source: String
    public var namespaces: Set<Int>
    public var minimumCharacters: Int

    public struct Stats: Sendable {
        public var pages = 0
        public var redirects = 0
        public var otherNamespaces = 0
        public var tooShort = 0
        public var documents = 0
    }

    public init(source: String = "wiki", namespaces: Set<Int> = [0], minimumCharacters: Int = 1) {
        self.source = source
        self.namespaces = namespaces
        self.minimumCharacters = minimumCharacters
    }

    /// One page as read from the dump, before its wikitext is cleaned.
    struct Page {
        var title = ""
        var namespace = 0
        var id = ""
        var redirect = false
        var text: [UInt8] = []
    }

    /// Reads every page of `path` (nil or "-" for stdin) and calls `emit` for each article.
    @discardableResult
    public func run(path: String?, emit: (Document) throws -> Void) throws -> Stats {
        let input = try InputFile(path: path)
        let context = ReaderContext(input: input)
        let unmanaged = Unmanaged.passUnretained(context)
        guard let reader = xmlReaderForIO(readCallback, nil, unmanaged.toOpaque(), nil, nil,
                                          Int32(XML_PARSE_NONET.rawValue | XML_PARSE_COMPACT.rawValue | XML_PARSE_HUGE.rawValue)) else {
            throw InputError(.format, file: input.name, "libxml2 could not create an XML reader")
        }
        defer { xmlFreeTextReader(reader) }
        xmlTextReaderSetErrorHandler(reader, errorCallback, unmanaged.toOpaque())

        var stats = Stats()
        var page: Page?
        var field: String?   // the element whose text we are collecting
        var depthOfPage = -1
        var inRevision = false
        while true {
            let r = xmlTextReaderRead(reader)
            if r == 0 { break }
            if r < 0 || context.error != nil {
                if let e = context.ioError { throw e }
                let line = context.errorLine ?? Int(xmlTextReaderGetParserLineNumber(reader))
                throw InputError(.format, file: input.name, line: line, "malformed XML: \(context.error ?? "parse error")")
            }
            let type = xmlTextReaderNodeType(reader)
            let depth = Int(xmlTextReaderDepth(reader))
            switch type {
            case Int32(XML_READER_TYPE_ELEMENT.rawValue):
                let name = localName(reader)
                if name == "page" {
                    page = Page()
                    depthOfPage = depth
                    inRevision = false
                } else if page != nil {
                    if name == "revision" { inRevision = true }
                    if name == "redirect" { page!.redirect = true }
                    if xmlTextReaderIsEmptyElement(reader) == 0 {
                        if name == "title" || name == "ns" || (name == "id" && !inRevision && depth == depthOfPage + 1) {
                            field = name
                        } else if name == "text" && inRevision {
                            field = "text"
                        }
                    }
                }
            case Int32(XML_READER_TYPE_TEXT.rawValue), Int32(XML_READER_TYPE_CDATA.rawValue),
                 Int32(XML_READER_TYPE_SIGNIFICANT_WHITESPACE.rawValue), Int32(XML_READER_TYPE_WHITESPACE.rawValue):
                guard let f = field, page != nil, let value = xmlTextReaderConstValue(reader) else { break }
                let bytes = UnsafeBufferPointer(start: value, count: strlen(UnsafeRawPointer(value).assumingMemoryBound(to: CChar.self)))
                switch f {
                case "text": page!.text.append(contentsOf: bytes)
                case "title": page!.title += String(decoding: bytes, as: UTF8.self)
                case "ns": page!.namespace = Int(String(decoding: bytes, as: UTF8.self).trimmingSpaces) ?? 0
                case "id": page!.id += String(decoding: bytes, as: UTF8.self).trimmingSpaces
                default: break
                }
            case Int32(XML_READER_TYPE_END_ELEMENT.rawValue):
                let name = localName(reader)
                if name == "revision" { inRevision = false }
                if name == field { field = nil }
                if name == "page", let p = page {
                    page = nil
                    stats.pages += 1
                    if p.redirect { stats.redirects += 1; continue }
                    if !namespaces.contains(p.namespace) { stats.otherNamespaces += 1; continue }
                    let text = p.text.withUnsafeBufferPointer { WikitextCleaner.plainText(utf8: $0) }
                    if text.count < minimumCharacters { stats.tooShort += 1; continue }
                    var doc = Document(id: "\(source):\(p.id)", text: String(decoding: text, as: UTF8.self), source: source)
                    doc.setExtra("title", .string(p.title))
                    try emit(doc)
                    stats.documents += 1
                }
            default:
                break
            }
        }
        if page != nil {
            throw InputError(.truncated, file: input.name, line: Int(xmlTextReaderGetParserLineNumber(reader)),
                             "the XML ends inside a <page> (truncated dump?)")
        }
        return stats
    }

    private func localName(_ reader: xmlTextReaderPtr) -> String {
        guard let n = xmlTextReaderConstLocalName(reader) else { return "" }
        return String(cString: UnsafeRawPointer(n).assumingMemoryBound(to: CChar.self))
    }
}

/// State shared with libxml2's C callbacks.
final class ReaderContext {
    let input: InputFile
    var error: String?
    var errorLine: Int?
    var ioError: Error?
    init(input: InputFile) { self.input = input }
}

private let readCallback: xmlInputReadCallback = { context, buffer, length in
    let ctx = Unmanaged<ReaderContext>.fromOpaque(context!).takeUnretainedValue()
    do {
        return Int32(try ctx.input.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: Int(length))))
    } catch {
        ctx.ioError = error
        return -1
    }
}

private let errorCallback: xmlTextReaderErrorFunc = { arg, message, severity, locator in
    let ctx = Unmanaged<ReaderContext>.fromOpaque(arg!).takeUnretainedValue()
    guard severity == XML_PARSER_SEVERITY_ERROR || severity == XML_PARSER_SEVERITY_VALIDITY_ERROR else { return }
    if ctx.error == nil {
        ctx.error = message.map { String(cString: $0).trimmingSpaces } ?? "parse error"
        if let locator { ctx.errorLine = Int(xmlTextReaderLocatorLineNumber(locator)) }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
