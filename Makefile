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

.PHONY: all deps build demo data tokenizer shards pretrain sft rm rejection ppo test bench clean help

all: deps build demo

help:
	@echo "make           install system libraries if missing, build, run the whole pipeline on corpora/ into $(OUT)/"
	@echo "make test      the test suite (Swift Testing); real-data tests use $(SHARED)/data when present"
	@echo "make bench     every stage side by side with the tool a user would otherwise pick"
	@echo "make data | tokenizer | shards | pretrain | sft | rm | rejection | ppo   one stage of the pipeline"
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

build:
	$(SWIFT) build -c $(CONFIG)

# The whole pipeline, stage by stage; `make` runs it end to end.
demo: ppo rejection
	@echo "demo: every stage ran; reports: $(RUNS)/*/report.html, shards: $(OUT)/shards/"

# 1. Ingest every kind of input, then clean: dedup (exact + MinHash), PII redaction, factual up-sampling.
data: build
	@mkdir -p $(OUT)
	$(BIN) ingest --format text --source encyclopedia corpora/encyclopedia/*.txt > $(OUT)/encyclopedia.jsonl
	$(BIN) ingest --format wiki-xml --source wiki corpora/wiki/sample.xml > $(OUT)/wiki.jsonl
	$(BIN) ingest --format jsonl --source web corpora/web/pages.jsonl > $(OUT)/web.jsonl
	$(BIN) ingest --format html --source web corpora/web/*.html > $(OUT)/web-html.jsonl
	cat $(OUT)/encyclopedia.jsonl $(OUT)/wiki.jsonl $(OUT)/web.jsonl $(OUT)/web-html.jsonl > $(OUT)/docs.jsonl
	$(BIN) dedup --near --report $(OUT)/dedup.report.json $(OUT)/docs.jsonl \
	  | $(BIN) pii --report $(OUT)/pii.report.json \
	  | $(BIN) upsample --weights encyclopedia=2.5,wiki=2.5,web=1 --report $(OUT)/upsample.report.json > $(OUT)/clean.jsonl
	$(BIN) validate --kind sft --echo corpora/sft/dialogues.jsonl > $(OUT)/sft.jsonl
	$(BIN) validate --kind preference --echo corpora/preference/pairs.jsonl > $(OUT)/preference.jsonl

# 2. A small SentencePiece BPE tokenizer on the cleaned text (Llama 2 settings, demo-sized vocabulary).
tokenizer: data
	$(BIN) tokenizer train --input $(OUT)/clean.jsonl --input_format jsonl --model_prefix $(OUT)/tokenizer --vocab_size $(VOCAB)
	$(BIN) tokenizer explain --model $(TOK) "The Roman aqueducts carried water 92 km."

# 3. Shards: pretraining rows, SFT rows with loss masks, preference mixes and prompts.
shards: tokenizer
	$(BIN) pack pretrain --tokenizer $(TOK) --seq-len $(SEQ) --overwrite -o $(OUT)/shards/pretrain $(OUT)/clean.jsonl
	$(BIN) pack sft --tokenizer $(TOK) --seq-len $(SEQ) --overwrite -o $(OUT)/shards/sft $(OUT)/sft.jsonl
	$(BIN) pack sft --tokenizer $(TOK) --seq-len $(SEQ) --overwrite --prompts-only -o $(OUT)/shards/sft-prompts $(OUT)/sft.jsonl
	$(BIN) pack preference --tokenizer $(TOK) --seq-len $(SEQ) --overwrite --mix helpfulness -o $(OUT)/shards/pref-helpfulness $(OUT)/preference.jsonl
	$(BIN) pack preference --tokenizer $(TOK) --seq-len $(SEQ) --overwrite --mix safety -o $(OUT)/shards/pref-safety $(OUT)/preference.jsonl
	$(BIN) pack preference --tokenizer $(TOK) --seq-len $(SEQ) --overwrite --prompts-only -o $(OUT)/shards/prompts $(OUT)/preference.jsonl
	for d in $(OUT)/shards/*; do $(BIN) shards verify $$d; done
	$(BIN) shards inspect $(OUT)/shards/sft --tokenizer $(TOK) --decode 1

# 4. Pretraining (nano preset), then the Llama 2-Chat recipe: SFT, two reward models, rejection sampling, PPO.
pretrain: shards
	$(BIN) train pretrain --config configs/nano.json --train-data $(OUT)/shards/pretrain --output $(RUNS)/pretrain

sft: pretrain
	$(BIN) train sft --config sft-nano --init $(RUNS)/pretrain/checkpoint --train-data $(OUT)/shards/sft -o $(RUNS)/sft

rm: sft
	$(BIN) train rm --config rm-nano --init $(RUNS)/sft/checkpoint --train-data $(OUT)/shards/pref-helpfulness --holdout 0.1 -o $(RUNS)/rm-helpfulness
	$(BIN) train rm --config rm-nano --init $(RUNS)/sft/checkpoint --train-data $(OUT)/shards/pref-safety --holdout 0.1 -o $(RUNS)/rm-safety
	$(BIN) eval rm --checkpoint $(RUNS)/rm-helpfulness/checkpoint --tokenizer $(TOK) $(OUT)/preference.jsonl

rejection: rm
	$(BIN) train rejection --init $(RUNS)/sft/checkpoint --prompts $(OUT)/shards/prompts \
	  --helpfulness-rm $(RUNS)/rm-helpfulness/checkpoint --safety-rm $(RUNS)/rm-safety/checkpoint \
	  -k 8 --iterations 2 -o $(RUNS)/rejection

ppo: rm
	$(BIN) train ppo --init $(RUNS)/sft/checkpoint --prompts $(OUT)/shards/prompts \
	  --helpfulness-rm $(RUNS)/rm-helpfulness/checkpoint --safety-rm $(RUNS)/rm-safety/checkpoint \
	  --iterations 10 -o $(RUNS)/ppo

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: deps build
	@for b in bench/io.sh bench/stages.sh bench/tokenizer.sh bench/shards.sh bench/trainer.sh; do \
	  SPINDLE=$(BIN) SHARED=$(SHARED) bash $$b || exit 1; done

clean:
	rm -rf $(OUT) .build bench/out
