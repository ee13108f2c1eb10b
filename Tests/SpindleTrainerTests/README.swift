// Tests for SpindleTrainer.
