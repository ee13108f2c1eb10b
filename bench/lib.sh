# Shared helpers for the benchmark scripts (sourced). Figures go to stdout, one line each.
SPINDLE=${SPINDLE:-.build/release/spindle}
SHARED=${SHARED:-../shared}
DATA=$SHARED/data
BENCH_OUT=${BENCH_OUT:-bench/out}
mkdir -p "$BENCH_OUT"

# seconds CMD : best wall seconds of BENCH_REPEAT runs (default 3) of a shell command, output discarded.
# Best-of-N because the two cores are shared: the minimum is the run least disturbed by others.
seconds() {
  local best="" start end t
  for _ in $(seq "${BENCH_REPEAT:-3}"); do
    start=$(date +%s.%N)
    bash -c "$1" > /dev/null
    end=$(date +%s.%N)
    t=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
    if [ -z "$best" ] || awk -v t="$t" -v b="$best" 'BEGIN { exit !(t < b) }'; then best=$t; fi
  done
  echo "$best"
}

# mbps BYTES SECONDS
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.1f", b / 1e6 / s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

have_python_module() { python3 -c "import $1" 2>/dev/null; }

# peak_rss_mb CMD : peak resident memory (MB) of a command, via GNU time.
peak_rss_mb() {
  /usr/bin/time -f '%M' bash -c "$1" 2>&1 >/dev/null | tail -1 | awk '{printf "%.0f", $1/1024}'
}
