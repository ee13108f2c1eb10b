#!/usr/bin/env bash
# Runs each spindle-fuzz target for FUZZ_SECONDS on its seeds and its saved corpus, prints the executions
# per target, and fails if any target found something (the input is kept in FUZZ_DIR/findings/TARGET/).
# usage: FUZZ_SECONDS=600 Fuzz/run.sh FUZZ_BIN FUZZ_DIR TARGET...   (`make fuzz` / `make fuzz-smoke`)
set -uo pipefail
bin=$(realpath "$1"); dir=$(realpath "$2"); shift 2
seconds=${FUZZ_SECONDS:-600}
# Largest input per target: big enough for a real header plus some payload, small enough to stay fast.
max_len() {
  case $1 in
    modelproto) echo 65536 ;; mds|wikixml) echo 32768 ;; safetensors) echo 16384 ;; *) echo 4096 ;;
  esac
}
# Foundation keeps a few process-lifetime buffers that LeakSanitizer would report at exit; leaks are
# not what this looks for (crashes, out-of-bounds, OOM and hangs are).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
# Swift's own crash backtracer would race libFuzzer's handler (and trip ASan); libFuzzer prints the stack.
export SWIFT_BACKTRACE=enable=no
failed=0
summary=""
for t in "$@"; do
  work="$dir/work/$t"; corpus="$dir/corpus/$t"; findings="$dir/findings/$t"
  mkdir -p "$work" "$corpus" "$findings" "$dir/seeds/$t"
  log="$work/fuzz.log"
  # JSON tokens for the JSON-based formats, plus each target's own keys (Fuzz/dict/).
  here=$(dirname "$(realpath "$0")"); dict="$work/fuzz.dict"
  case $t in jsonl|safetensors|mds|config) cat "$here/dict/json.dict" ;; esac >"$dict"
  [ -f "$here/dict/$t.dict" ] && cat "$here/dict/$t.dict" >>"$dict"
  dictflag=(); [ -s "$dict" ] && dictflag=(-dict="$dict")
  echo "fuzz: $t for ${seconds}s (log: $log)"
  (cd "$work" && SPINDLE_FUZZ_SCRATCH="$work/scratch" "$bin" "$t" -max_total_time="$seconds" -max_len="$(max_len "$t")" \
     -timeout=20 -detect_leaks=0 "${dictflag[@]}" -print_final_stats=1 -artifact_prefix="$findings/" "$corpus" "$dir/seeds/$t" >"$log" 2>&1)
  status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
  line="$t: ${execs:-?} executions (${rate:-?}/s), ${cov:-cov: ?}, corpus $(ls "$corpus" | wc -l) inputs"
  if [ $status -ne 0 ]; then
    failed=1
    line="$line — FINDING (exit $status): $(ls -t "$findings" | head -1)"
    grep -m3 -E 'ERROR|Fatal error|fuzz property|deadly signal' "$log" | sed 's/^/    /'
  fi
  echo "$line"; summary="$summary$line"$'\n'
done
printf 'fuzz summary (%ss per target):\n%s' "$seconds" "$summary"
exit $failed
