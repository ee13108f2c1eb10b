// Tests for SpindleTokenizer.
