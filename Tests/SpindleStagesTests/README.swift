// Tests for SpindleStages.
