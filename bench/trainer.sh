#!/usr/bin/env bash
# Trainer benchmarks, side by side on this machine (only ratios taken in one run mean anything: the
# hosts' CPU and memory bandwidth vary a lot under load):
#   1. sgemm GFLOP/s: Spindle's OpenBLAS (core type chosen from cpuid) vs numpy's BLAS
#   2. training tokens/s, stories15M shape (dim 288, 6 layers, hidden 768, vocab 32000 untied,
#      seq 256, batch 8, fp32, 2 threads) vs PyTorch CPU (../shared/bench/peers/torch_train_bench.py),
#      and MFU against the measured sgemm peak
#   3. generation tokens/s (batch 1, KV cache, 256 tokens, same shape) vs the same PyTorch harness
#   4. optional: generation vs llama2.c's run.c on the same random llama2.c checkpoint, when
#      LLAMA2C_RUN names a run binary you built (gcc -Ofast -march=native -fopenmp run.c -o run -lm;
#      never committed here); ROUNDS alternating runs, medians compared (bandwidth swings run to run)
# usage: SPINDLE=.build/release/spindle bench/trainer.sh   (STEPS=3 GEN=256 THREADS=2 ROUNDS=7 to change)
set -u
cd "$(dirname "$0")/.."
SPINDLE=${SPINDLE:-.build/release/spindle}
PEERS=${PEERS:-${SHARED:-../shared}/bench/peers}
STEPS=${STEPS:-3}
GEN=${GEN:-256}
THREADS=${THREADS:-2}
[ -x "$SPINDLE" ] || { echo "trainer bench: $SPINDLE not built (swift build -c release)" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/stories15M-bench.json" <<JSON
{"model": {"dim": 288, "n_layers": 6, "n_heads": 6, "n_kv_heads": 6, "hidden_dim": 768, "vocab_size": 32000,
           "max_seq_len": 256, "tie_embeddings": false},
 "training": {"seq_len": 256, "batch_size": 8, "grad_accum": 1, "threads": $THREADS}}
JSON
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }
have_py() { python3 -c "import $1" 2>/dev/null; }

# 1. sgemm
"$SPINDLE" train pretrain --config "$tmp/stories15M-bench.json" --benchmark "$STEPS" > "$tmp/train.txt" 2> "$tmp/train.err" \
  || { cat "$tmp/train.err" >&2; exit 1; }
sp_peak=$(sed -n 's/^sgemm peak.*: \([0-9.]*\) GFLOP\/s.*/\1/p' "$tmp/train.txt")
sp_tps=$(sed -n 's/^tokens\/s: \([0-9.]*\)/\1/p' "$tmp/train.txt")
grep '^blas:' "$tmp/train.err" | sed 's/^/spindle /'
# sgemm side by side, 1 thread and $THREADS threads (1 thread is the fair figure on a busy machine).
for t in $(printf "1\n%s\n" "$THREADS" | sort -un); do
  sp=$("$SPINDLE" bench sgemm --config "$tmp/stories15M-bench.json" --threads "$t" 2>/dev/null | sed -n 's/.*square 1024: \([0-9.]*\) GFLOP\/s/\1/p')
  if have_py numpy && have_py threadpoolctl; then
    np=$(python3 "$PEERS/gemm_bench_numpy.py" --threads "$t" --budget 0.5 2>/dev/null | sed -n 's/.*square  1024: *\([0-9.]*\) GFLOP\/s/\1/p')
    echo "sgemm 1024^3, $t thread(s): spindle $sp GFLOP/s, numpy ${np:-?} GFLOP/s, ratio $(ratio "$sp" "${np:-0}")"
  else
    echo "sgemm 1024^3, $t thread(s): spindle $sp GFLOP/s (numpy peer skipped: numpy/threadpoolctl missing)"
  fi
done
echo "sgemm peak used for MFU: $sp_peak GFLOP/s (measured inside the training benchmark)"

# 2. training + 3. generation vs PyTorch
"$SPINDLE" generate --config "$tmp/stories15M-bench.json" --benchmark "$GEN" --threads "$THREADS" > "$tmp/gen.txt" 2>/dev/null
sp_gen=$(sed -n 's/^tokens\/s: \([0-9.]*\)/\1/p' "$tmp/gen.txt")
grep -E '^(step|model FLOPs)' "$tmp/train.txt" | sed 's/^/spindle train: /'
if have_py torch; then
  python3 "$PEERS/torch_train_bench.py" --untied --threads "$THREADS" --steps "$STEPS" --gen "$GEN" --peak-gflops "$sp_peak" > "$tmp/torch.txt" 2>&1
  t_tps=$(sed -n 's/^train: .* \([0-9.]*\) tok\/s.*/\1/p' "$tmp/torch.txt")
  t_gen=$(sed -n 's/^generate: .* \([0-9.]*\) tok\/s/\1/p' "$tmp/torch.txt")
  sed 's/^/pytorch: /' "$tmp/torch.txt"
  echo "train tokens/s (stories15M, seq 256, batch 8, fp32, $THREADS threads): spindle $sp_tps, pytorch ${t_tps:-?}, ratio $(ratio "$sp_tps" "${t_tps:-0}")"
  echo "generate tokens/s (batch 1, KV cache, $GEN tokens): spindle $sp_gen, pytorch ${t_gen:-?}, ratio $(ratio "$sp_gen" "${t_gen:-0}")"
else
  echo "train tokens/s (stories15M, seq 256, batch 8, fp32, $THREADS threads): spindle $sp_tps (pytorch peer skipped: torch missing)"
  echo "generate tokens/s (batch 1, KV cache, $GEN tokens): spindle $sp_gen (pytorch peer skipped)"
fi

# 4. generation vs llama2.c run.c (optional)
if [ -n "${LLAMA2C_RUN:-}" ] && [ -x "$LLAMA2C_RUN" ] && have_py numpy; then
  python3 bench/llama2c_model.py "$tmp/l2c"
  median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
  : > "$tmp/runc.txt"; : > "$tmp/spgen.txt"
  for _ in $(seq "${ROUNDS:-7}"); do
    OMP_NUM_THREADS=$THREADS "$LLAMA2C_RUN" "$tmp/l2c/model.bin" -n "$GEN" -t 0 -z "$tmp/l2c/tokenizer.bin" 2>&1 >/dev/null \
      | sed -n 's/^achieved tok\/s: \([0-9.]*\).*/\1/p' >> "$tmp/runc.txt"
    "$SPINDLE" generate --checkpoint "$tmp/l2c/model.bin" --benchmark "$((GEN - 1))" --threads "$THREADS" 2>/dev/null \
      | sed -n 's/^tokens\/s: \([0-9.]*\)/\1/p' >> "$tmp/spgen.txt"
  done
  rc=$(median < "$tmp/runc.txt"); sg=$(median < "$tmp/spgen.txt")
  echo "llama2.c run.c tokens/s, $(wc -l < "$tmp/runc.txt") rounds: $(tr '\n' ' ' < "$tmp/runc.txt")"
  echo "spindle generate tokens/s, same rounds: $(tr '\n' ' ' < "$tmp/spgen.txt")"
  echo "generate tokens/s vs llama2.c run.c (medians, batch 1, greedy, $THREADS threads): spindle $sg, run.c $rc, ratio $(ratio "$sg" "$rc") (target 1.0x)"
else
  echo "generate vs llama2.c run.c: skipped (set LLAMA2C_RUN to a run binary built from llama2.c's run.c; needs numpy)"
fi
