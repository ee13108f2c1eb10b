// RollingPerplexity.swift: lm-evaluation-harness's `loglikelihood_rolling` and its wikitext metrics.
// A document's tokens are cut into windows of the model's context (`get_rolling_token_windows` with
// context_len 1, then `make_disjoint_window`): the first window predicts its tokens from the prefix
// token (BOS), each later one predicts up to max_len new tokens from the max_len − n tokens before
// them. The document's log-likelihood is the sum over windows; over all documents
//   word_perplexity = exp(−Σ ll / Σ words),  byte_perplexity = exp(−Σ ll / Σ bytes),
//   bits_per_byte = −Σ ll / Σ bytes / ln 2
// with words = len(re.split(r"\s+", page)) and bytes = UTF-8 bytes of the page before detokenising.
import Foundation
import SpindleIO
import SpindleTrainer

public enum RollingWindows {
    /// The harness's disjoint windows over `tokens`, as spans (context + predicted, start = context count).
    public static func spans(_ tokens: [Int32], prefix: Int32, maxLength: Int) -> [ScoredSpan] {
        guard !tokens.isEmpty else { return [] }
        var out: [ScoredSpan] = []
        let first = min(maxLength, tokens.count)
        out.append(ScoredSpan(tokens: [prefix] + tokens[0..<first], start: 1))   // disjoint: context is [prefix]
        var predicted = first
        while predicted < tokens.count {
            let n = min(tokens.count - predicted, maxLength)   // pred_len = max_len − context_len + 1
            let end = predicted + n
            let input = Array(tokens[(end - maxLength - 1)..<(end - 1)])
            let context = Array(input.prefix(input.count - (n - 1)))
            out.append(ScoredSpan(tokens: context + tokens[(end - n)..<end], start: context.count))
            predicted += n
        }
        return out
    }
}

/// The wikitext task's `wikitext_detokenizer`, rule for rule.
public func wikitextDetokenize(_ page: String) -> String {
    var s = page.replacingOccurrences(of: "s '", with: "s'")
    s = PythonText.sub("/' [0-9]/", "/'[0-9]/", s)
    for (a, b) in [(" @-@ ", "-"), (" @,@ ", ","), (" @.@ ", "."), (" : ", ": "), (" ; ", "; "), (" . ", ". "),
                   (" ! ", "! "), (" ? ", "? "), (" , ", ", ")] { s = s.replacingOccurrences(of: a, with: b) }
    s = PythonText.sub("\\(\\s*([^\\)]*?)\\s*\\)", "($1)", s)
    s = PythonText.sub("\\[\\s*([^\\]]*?)\\s*\\]", "[$1]", s)
    s = PythonText.sub("\\{\\s*([^}]*?)\\s*\\}", "{$1}", s)
    s = PythonText.sub("\"\\s*([^\"]*?)\\s*\"", "\"$1\"", s)
    s = PythonText.sub("'\\s*([^']*?)\\s*'", "'$1'", s)
    for (a, b) in [("= = = =", "===="), ("= = =", "==="), ("= =", "=="), (" \u{B0} ", "\u{B0}"), (" \n", "\n"), ("\n ", "\n"),
                   (" N ", " 1 "), (" 's", "'s")] { s = s.replacingOccurrences(of: a, with: b) }
    return s
}

/// Per-document rolling log-likelihoods and the corpus metrics.
public struct PerplexityOutcome: Sendable {
    public var logLikelihoods: [Double] = []
    public var words: [Int] = []
    public var bytes: [Int] = []
    public var tokens = 0, windows = 0

    public var wordPerplexity: Double { exp(-logLikelihoods.reduce(0, +) / Double(words.reduce(0, +))) }
    public var bytePerplexity: Double { exp(-logLikelihoods.reduce(0, +) / Double(bytes.reduce(0, +))) }
    public var bitsPerByte: Double { -logLikelihoods.reduce(0, +) / Double(bytes.reduce(0, +)) / log(2) }
}

public enum RollingPerplexity {
    /// `text`: the string scored (the detokenised page); `original`: the page the words and bytes are counted on.
    public static func run(_ docs: [(text: String, original: String)], encoder: HarnessEncoder, scorer: ContinuationScorer,
                           progress: ((Int) -> Void)? = nil) throws -> PerplexityOutcome {
        var o = PerplexityOutcome()
        for (i, d) in docs.enumerated() {
            let toks = encoder.encode(d.text)
            let spans = RollingWindows.spans(toks, prefix: encoder.prefixToken, maxLength: encoder.maxLength)
            var ll = 0.0
            for s in spans { ll += try scorer.score([s])[0].logLikelihood }   // windows share no prefix
            o.logLikelihoods.append(ll)
            o.words.append(PythonText.splitWordCount(d.original))
            o.bytes.append(d.original.utf8.count)
            o.tokens += toks.count; o.windows += spans.count
            progress?(i + 1)
        }
        return o
    }
}

/// What `eval ppl` reads: `wikitext` rows (`page`, EleutherAI/wikitext_document_level) are scored
/// detokenised and counted as they are; `text` rows are scored and counted as they are.
public enum PerplexityFormat: String, CaseIterable, Sendable {
    case wikitext, text

    /// The first `limit` documents of `path` as (scored text, counted text).
    public func documents(_ path: String, limit: Int?) throws -> [(text: String, original: String)] {
        let field = self == .wikitext ? "page" : "text"
        return try EvalRows.read(path).prefix(limit ?? .max).map { row in
            guard let s = row.value[field]?.stringValue else {
                throw InputError(.missingField, file: path, line: row.line, field: field, "a string is required")
            }
            return (self == .wikitext ? wikitextDetokenize(s) : s, s)
        }
    }
}

extension PerplexityOutcome {
    /// The harness's results layout for a loglikelihood_rolling task (stderr "N/A", as it reports for
    /// perplexities), plus each document's log-likelihood.
    public func resultsJSON(task name: String) -> JSONValue {
        let metrics: [(String, Double)] = [("word_perplexity", wordPerplexity), ("byte_perplexity", bytePerplexity), ("bits_per_byte", bitsPerByte)]
        let members: [(String, JSONValue)] = [("alias", .string(name))] + metrics.flatMap { m, v -> [(String, JSONValue)] in
            [("\(m),none", .double(v)), ("\(m)_stderr,none", .string("N/A"))]
        }
        return .object([
            ("results", .object([(name, .object(members))])),
            ("n-samples", .object([(name, .object([("original", .int(logLikelihoods.count)), ("effective", .int(logLikelihoods.count))]))])),
            ("log_likelihoods", .array(logLikelihoods.map { .double($0) })),
        ])
    }
}
