// Tests for SpindleShards.
