// Tests for SpindleIO.
