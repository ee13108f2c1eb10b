// Tests for SpindleCLI.
