#!/usr/bin/env bash
# PII quality beside the pii speed line of bench/stages.sh: typed precision and recall per type and the
# number of look-alike decoys redacted, on the labelled set bench/pii_quality.py generates (seed 13) from
# ../shared/data into bench/out/ (never committed). Not a timing; no lock needed.
# Usage: SPINDLE=.build/release/spindle SHARED=../shared bench/pii_quality.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SPINDLE=${SPINDLE:-.build/release/spindle}
SHARED=${SHARED:-../shared}
[ -x "$SPINDLE" ] || { echo "pii quality: $SPINDLE not built (swift build -c release)" >&2; exit 1; }
[ -d "$SHARED/data" ] || { echo "pii quality: $SHARED/data missing; skipped" >&2; exit 0; }
command -v python3 >/dev/null || { echo "pii quality: python3 missing; skipped" >&2; exit 0; }
mkdir -p bench/out
python3 bench/pii_quality.py bench "$SPINDLE" "$SHARED/data" bench/out
