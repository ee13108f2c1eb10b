// SpindleStages: the streaming data stages — ingest (text, JSONL, MediaWiki XML, HTML), exact and
// MinHash dedup, PII detection and redaction, source up-sampling and the factuality classifier.
// Each stage reads and writes SpindleIO records; one file per stage.
