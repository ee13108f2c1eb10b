# Spindle — `make` sets everything up and runs the whole pipeline on corpora/; `make test` runs the tests.
SWIFT      ?= swift
CONFIG     ?= release
BIN        := .build/$(CONFIG)/spindle
OUT        ?= out
SHARED     ?= ../shared
VOCAB      ?= 2000
SEQ        ?= 256
APT_PKGS   := libzstd-dev libxml2-dev libopenblas-dev zlib1g-dev pkg-config zstd time
PKGCONFIGS := libzstd libxml-2.0 openblas zlib
TOK        := $(OUT)/tokenizer.model
RUNS       := $(OUT)/runs

.PHONY: all deps build demo data tokenizer shards pretrain sft rm rejection ppo dpo rm-real rm-ablation eval rlhf-real zh test test-release bench clean help \
        fuzz fuzz-smoke fuzz-build fuzz-seeds serve-demo bench-serve

all: deps build demo

help:
	@echo "make           install system libraries if missing, build, run the whole pipeline on corpora/ into $(OUT)/"
	@echo "make test      the test suite (Swift Testing); real-data tests use $(SHARED)/data when present, the"
	@echo "               cross-checks the Python in SPINDLE_PYTHON (SPINDLE_PYTHON=\$$(.ci/python-env | tail -n 1) make test)"
	@echo "make test-release   the fuzz, corruption and parity tests against the release build"
	@echo "make bench     every stage side by side with the tool a user would otherwise pick"
	@echo "make data | tokenizer | shards | pretrain | sft | rm | rejection | ppo | dpo   one stage of the pipeline"
	@echo "make eval      after make demo: benchmark samples ($(SHARED)/data/eval) on pretrain/SFT/PPO, one HTML table, PPO vs SFT win rate"
	@echo "make rm-real   reward models on the real preference data in $(SHARED)/data (accuracy per aspect, baselines)"
	@echo "make rm-ablation   the reward-model ablation table on rm-real's data (about an hour)"
	@echo "make rlhf-real   rejection sampling and PPO on real prompts with rm-real's reward models, judged on held-out prompts"
	@echo "make serve-demo   after make demo: serve the PPO policy and screenshot the chat, annotation and report pages"
	@echo "make bench-serve  200 chat requests from 16 clients against spindle serve, beside transformers one at a time"
	@echo "make zh        vocabulary extension: merged Chinese tokenizer, model resize, continued pretraining on $(SHARED)/data/pretrain/zh"
	@echo "make fuzz      every parser of untrusted bytes under libFuzzer, FUZZ_SECONDS (600) each; fuzz-smoke: 15 s each"
	@echo "make deps      install the system libraries (Debian: $(APT_PKGS))"

# Installs the system libraries only when pkg-config cannot find them (root, or sudo when present).
deps:
	@if pkg-config --exists $(PKGCONFIGS) && command -v zstd >/dev/null && [ -x /usr/bin/time ]; then \
	  echo "deps: system libraries present"; \
	else \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  echo "deps: installing $(APT_PKGS)"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(APT_PKGS); \
	fi

# SPINDLE_NATIVE=1 adds the x86-64-v3 (AVX2/FMA) level to release builds (Package.swift says why).
build:
	SPINDLE_NATIVE=1 $(SWIFT) build -c $(CONFIG)

# The whole pipeline, stage by stage; `make` runs it end to end.
demo: ppo rejection dpo
	$(BIN) report --overwrite --output $(OUT)/report.html $(OUT)
	@echo "demo: every stage ran; one page links them all: $(OUT)/report.html"

# 1. Ingest every kind of input, then clean: dedup (exact + MinHash), PII redaction, factual up-sampling.
# Files named by an option are refused when they exist unless --overwrite (the shell's `>` is not checked):
# every target here re-creates its outputs from its inputs on purpose, so a rerun over $(OUT) passes it.
data: build
	@mkdir -p $(OUT)
	$(BIN) ingest --format text --source encyclopedia corpora/encyclopedia/*.txt > $(OUT)/encyclopedia.jsonl
	$(BIN) ingest --format wiki-xml --source wiki corpora/wiki/sample.xml > $(OUT)/wiki.jsonl
	$(BIN) ingest --format jsonl --source web corpora/web/pages.jsonl > $(OUT)/web.jsonl
	$(BIN) ingest --format html --source web corpora/web/*.html > $(OUT)/web-html.jsonl
	cat $(OUT)/encyclopedia.jsonl $(OUT)/wiki.jsonl $(OUT)/web.jsonl $(OUT)/web-html.jsonl > $(OUT)/docs.jsonl
	$(BIN) dedup --near --overwrite --report $(OUT)/dedup.report.json $(OUT)/docs.jsonl \
	  | $(BIN) pii --overwrite --report $(OUT)/pii.report.json \
	  | $(BIN) upsample --weights encyclopedia=2.5,wiki=2.5,web=1 --overwrite --report $(OUT)/upsample.report.json > $(OUT)/clean.jsonl
	$(BIN) validate --kind sft --echo corpora/sft/dialogues.jsonl > $(OUT)/sft.jsonl
	$(BIN) validate --kind preference --echo corpora/preference/pairs.jsonl > $(OUT)/preference.jsonl

# 2. A small SentencePiece BPE tokenizer on the cleaned text (Llama 2 settings, demo-sized vocabulary).
tokenizer: data
	$(BIN) tokenizer train --overwrite --input $(OUT)/clean.jsonl --input_format jsonl --model_prefix $(OUT)/tokenizer --vocab_size $(VOCAB)
	$(BIN) tokenizer explain --model $(TOK) "The Roman aqueducts carried water 92 km."

# 3. Shards: pretraining rows, SFT rows with loss masks, preference mixes and prompts.
shards: tokenizer
	$(BIN) pack pretrain --tokenizer $(TOK) --seq-len $(SEQ) --overwrite -o $(OUT)/shards/pretrain $(OUT)/clean.jsonl
	$(BIN) pack sft --tokenizer $(TOK) --seq-len $(SEQ) --overwrite -o $(OUT)/shards/sft $(OUT)/sft.jsonl
	$(BIN) pack sft --tokenizer $(TOK) --seq-len $(SEQ) --overwrite --prompts-only -o $(OUT)/shards/sft-prompts $(OUT)/sft.jsonl
	$(BIN) pack preference --tokenizer $(TOK) --seq-len $(SEQ) --overwrite --prompts-only -o $(OUT)/shards/prompts $(OUT)/preference.jsonl
	for d in $(OUT)/shards/*; do $(BIN) shards verify $$d; done
	$(BIN) shards inspect $(OUT)/shards/sft --tokenizer $(TOK) --decode 1

# 4. Pretraining (nano preset), then the Llama 2-Chat recipe: SFT, two reward models, rejection sampling, PPO.
# SFT runs 8 epochs of the 60 demo dialogues: at 2 (24 steps) the nano model answers most prompts with the
# lone "▁" piece that ends every target and then </s>, and the win rates of `make eval` compare empty strings.
pretrain: shards
	$(BIN) train pretrain --config configs/nano.json --train-data $(OUT)/shards/pretrain --output $(RUNS)/pretrain --overwrite

sft: pretrain
	$(BIN) train sft --overwrite --config sft-nano --init $(RUNS)/pretrain/checkpoint --train-data $(OUT)/shards/sft -o $(RUNS)/sft \
	  --epochs 8

# Reward models on two thirds of the pairs; `eval rm` scores the held-out third (per degree, per aspect).
rm: sft
	awk 'NR%3!=0' $(OUT)/preference.jsonl > $(OUT)/pairs-train.jsonl
	awk 'NR%3==0' $(OUT)/preference.jsonl > $(OUT)/pairs-heldout.jsonl
	for m in helpfulness safety; do \
	  $(BIN) pack preference --tokenizer $(TOK) --seq-len $(SEQ) --mix $$m --overwrite -o $(OUT)/shards/rm-$$m $(OUT)/pairs-train.jsonl && \
	  $(BIN) train rm --overwrite --config rm-nano --init $(RUNS)/sft/checkpoint --train-data $(OUT)/shards/rm-$$m -o $(RUNS)/rm-$$m --epochs 3 && \
	  $(BIN) eval rm --checkpoint $(RUNS)/rm-$$m/checkpoint --tokenizer $(TOK) $(OUT)/pairs-heldout.jsonl | tee $(RUNS)/rm-$$m/eval.txt || exit 1; \
	done

RMS = --helpfulness-rm $(RUNS)/rm-helpfulness/checkpoint --safety-rm $(RUNS)/rm-safety/checkpoint

# Rejection sampling (best of K, kept across iterations, then SFT), and max reward against K per temperature.
rejection: rm
	$(BIN) train rejection --overwrite --init $(RUNS)/sft/checkpoint --prompts $(OUT)/shards/prompts $(RMS) -k 4 --iterations 2 \
	  --max-prompts 24 --max-new-tokens 32 -o $(RUNS)/rejection
	$(BIN) train rejection --overwrite --init $(RUNS)/sft/checkpoint --prompts $(OUT)/shards/prompts $(RMS) -k 16 \
	  --temperatures 0.7,0.9,1.1,1.3 --max-prompts 16 --max-new-tokens 24 -o $(RUNS)/rejection-curve

# PPO with the Llama 2 gated reward; lr and beta scaled up for a 64-wide model (docs/POSTTRAIN.md).
# --length-debias and lr 5e-5 (not 1e-4): without them the policy learnt to never stop (`make eval`: every
# answer 64 tokens, 51% repeated 4-grams, log-ratio to SFT 4.8; with them 36.6 tokens, 28%, 1.7, docs/EVAL.md).
ppo: rm
	$(BIN) train ppo --overwrite --init $(RUNS)/sft/checkpoint --prompts $(OUT)/shards/prompts $(RMS) --iterations 30 --lr 5e-5 \
	  --beta 0.1 --ppo-epochs 2 --eval-every 5 --patience 0 --length-debias -o $(RUNS)/ppo

# DPO from the SFT model (frozen as the reference) on the reward models' two thirds of the pairs; reward
# accuracy on the held-out third (docs/DPO.md).
dpo: rm
	$(BIN) pack preference --tokenizer $(TOK) --seq-len $(SEQ) --mix all --overwrite -o $(OUT)/shards/dpo $(OUT)/pairs-train.jsonl
	$(BIN) pack preference --tokenizer $(TOK) --seq-len $(SEQ) --mix all --overwrite -o $(OUT)/shards/dpo-heldout $(OUT)/pairs-heldout.jsonl
	$(BIN) train dpo --overwrite --config dpo-nano --init $(RUNS)/sft/checkpoint --train-data $(OUT)/shards/dpo \
	  --eval-data $(OUT)/shards/dpo-heldout --epochs 3 -o $(RUNS)/dpo

# Evaluation of the demo's checkpoints (after `make demo`): `eval lm --suite llama2` on small samples of
# $(SHARED)/data/eval, chance beside each figure, one table in $(OUT)/eval/results.html; the PPO vs SFT
# win rate judged by both reward models in $(OUT)/eval/winrate.html (docs/EVAL.md).
eval: build
	bash recipes/eval.sh $(BIN) $(SHARED) $(OUT)

# Real-data check (not part of `make`): a base pretrained on the training dialogues and English text from
# $(SHARED)/data, then reward models on Anthropic HH harmless (safety) and dpo_en_demo (helpfulness), the last
# 20% of each held out; SAFETY_HELDOUT=FILE trains on all of HH part A and tests the safety model on FILE (HH
# transcripts or preference JSONL, .gz ok). Prints the baselines beside the accuracies; the last line is
# `safety accuracy X`. docs/POSTTRAIN.md has the measured figures and the ablation behind the presets.
RD        := $(OUT)/rm-real
SAFETY_HELDOUT ?=
rm-real: build
	bash recipes/rm-real.sh $(BIN) $(SHARED) $(RD) $(SAFETY_HELDOUT)

# The ablation table of docs/POSTTRAIN.md (one change at a time, two seeds; ~1 hour on 2 cores), after rm-real.
rm-ablation: build
	bash recipes/rm-ablation.sh $(BIN) $(SHARED)/data/tokenizers/llama2/tokenizer.model $(RD) | tee $(RD)/ablation.md

# Rejection sampling and PPO on real prompts (issue 14 part 2), with the reward models of rm-real (run it first):
# an SFT policy on ../shared/data/sft, max reward against K, RS and PPO, each judged against SFT on held-out prompts.
rlhf-real: build
	bash recipes/rlhf-real.sh $(BIN) $(SHARED) $(RD) $(OUT)/rlhf-real

# Chinese-LLaMA's vocabulary extension at toy scale (docs/ADAPT.md): tokens per Chinese character before and
# after the merge, then a resized model's continued pretraining on Chinese and its loss curve (a few minutes).
zh: build
	bash recipes/zh.sh $(BIN) $(SHARED) $(OUT)/zh

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# The tests that feed untrusted or damaged bytes to the parsers (fuzz, corruption, never-crash) and the
# parity cross-checks, against the release build: what ships is what they prove safe. (`swift test`
# builds them itself: `swift build -c release --build-tests` does not compile the modules for
# @testable import.) The release modules are rebuilt with testing enabled, so a later `make build`
# recompiles them.
RELEASE_TESTS ?= Fuzz|Crash|[Cc]orrupt|[Tt]runcated|Parity|CrossCheck|JSONLineTests
test-release: deps
	$(SWIFT) test -c release --filter '$(RELEASE_TESTS)'

bench: deps build
	@for b in bench/io.sh bench/stages.sh bench/dedup.sh bench/pii_quality.sh bench/tokenizer.sh bench/shards.sh bench/trainer.sh bench/lora.sh bench/posttrain.sh bench/rm_quality.sh bench/serve.sh bench/eval_lm.sh; do \
	  SPINDLE=$(BIN) SHARED=$(SHARED) bash $$b || exit 1; done

# Serving under load (200 chat requests, 16 clients, stories15M shape) beside transformers one request at a time.
bench-serve: deps build
	SPINDLE=$(BIN) SHARED=$(SHARED) bash bench/serve.sh

# After `make demo`: serve the PPO policy with the pipeline report and annotation, and screenshot the chat
# page, the annotation page and the report with headless Chromium into $(OUT)/serve-*.png.
SERVE_DEMO := $(OUT)/serve-demo
serve-demo: build
	@command -v chromium >/dev/null || { echo "serve-demo: needs chromium (apt-get install chromium)"; exit 1; }
	@test -d $(RUNS)/ppo/best || { echo "serve-demo: run make demo first"; exit 1; }
	rm -rf $(SERVE_DEMO) && mkdir -p $(SERVE_DEMO)
	printf 'demo %s\n' "$$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" > $(SERVE_DEMO)/annotators.txt
	$(BIN) serve --checkpoint $(RUNS)/ppo/best --tokenizer $(TOK) --port 0 --report $(OUT) --max-tokens 48 \
	  --annotate $(SERVE_DEMO)/pairs.jsonl --annotators $(SERVE_DEMO)/annotators.txt 2> $(SERVE_DEMO)/serve.log & pid=$$!; \
	trap "kill $$pid" EXIT; \
	for i in $$(seq 100); do port=$$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' $(SERVE_DEMO)/serve.log); [ -n "$$port" ] && break; sleep 0.2; done; \
	[ -n "$$port" ] || { cat $(SERVE_DEMO)/serve.log; exit 1; }; \
	token=$$(cut -d' ' -f2 $(SERVE_DEMO)/annotators.txt); check=Tests/SpindleServeTests/browser_check.py; \
	python3 $$check chat chromium "http://127.0.0.1:$$port/?say=Tell%20me%20about%20the%20Roman%20aqueducts.&seed=1&max_tokens=48" $(OUT)/serve-chat.png "And the tides?" > /dev/null && \
	python3 $$check annotate chromium "http://127.0.0.1:$$port/annotate#token=$$token" $(OUT)/serve-annotate.png "Why is the sky blue?" > /dev/null && \
	python3 $$check page chromium "http://127.0.0.1:$$port/report" $(OUT)/serve-report.png "Training runs" > /dev/null
	rm -rf $(OUT)/chromium-profile
	@echo "serve-demo: $(OUT)/serve-chat.png $(OUT)/serve-annotate.png $(OUT)/serve-annotate-pair.png $(OUT)/serve-report.png; judgements in $(SERVE_DEMO)/pairs.jsonl"

# Fuzzing (Fuzz/): libFuzzer targets for the JSONL reader, SentencePiece .model, safetensors, MDS shards,
# llama2.c headers, trainer configs and wiki XML, in a release build with -sanitize=fuzzer,address and
# its own scratch path (plain `swift build` never sees the target: it exists only under SPINDLE_FUZZ=1).
# Seeds come from corpora/, configs/, $(OUT) (after `make demo`) and $(SHARED)/data; the grown corpus
# stays in .build-fuzz/corpus and any finding in .build-fuzz/findings/TARGET/ (the run then fails).
# Swift keeps only the last -sanitize= flag, hence one combined -Xswiftc; --sanitize fuzzer makes
# SwiftPM leave main() to libFuzzer.
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 15
FUZZ_TARGETS ?= jsonl modelproto safetensors mds llama2c config wikixml
FUZZ_DIR     := .build-fuzz

fuzz-build:
	SPINDLE_FUZZ=1 $(SWIFT) build -c release --scratch-path $(FUZZ_DIR) --sanitize fuzzer \
	  -Xswiftc -sanitize=fuzzer,address --product spindle-fuzz

fuzz-seeds:
	@if command -v python3 >/dev/null; then python3 Fuzz/seeds.py $(FUZZ_DIR)/seeds --demo $(OUT) --shared $(SHARED); \
	else echo "fuzz-seeds: no python3, the targets start from their saved corpus only"; fi

fuzz: fuzz-build fuzz-seeds
	FUZZ_SECONDS=$(FUZZ_SECONDS) Fuzz/run.sh $(FUZZ_DIR)/release/spindle-fuzz $(FUZZ_DIR) $(FUZZ_TARGETS)

fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS)

clean:
	rm -rf $(OUT) .build bench/out
