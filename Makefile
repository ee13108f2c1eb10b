# Spindle — `make` sets everything up and runs the demo pipeline; `make test` runs the test suite.
SWIFT      ?= swift
CONFIG     ?= release
BIN        := .build/$(CONFIG)/spindle
OUT        ?= out
SHARED     ?= ../shared
APT_PKGS   := libzstd-dev libxml2-dev libopenblas-dev zlib1g-dev pkg-config zstd time
PKGCONFIGS := libzstd libxml-2.0 openblas zlib

.PHONY: all deps build demo test bench clean help

all: deps build demo

help:
	@echo "make          install system libraries if missing, build, run the demo pipeline on corpora/"
	@echo "make test     run the test suite (Swift Testing)"
	@echo "make bench    run every stage side by side with the tool a user would otherwise pick"
	@echo "make deps     install the system libraries (Debian: $(APT_PKGS))"

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

# The demo pipeline over the project's own small corpus.
demo: build
	@mkdir -p $(OUT)
	$(BIN) ingest --format text --source encyclopedia corpora/encyclopedia/*.txt > $(OUT)/encyclopedia.jsonl
	$(BIN) ingest --format html --source web corpora/web/*.html > $(OUT)/web-html.jsonl
	$(BIN) ingest --format jsonl --source web corpora/web/pages.jsonl > $(OUT)/web.jsonl
	$(BIN) ingest --format wiki-xml --source wiki corpora/wiki/sample.xml > $(OUT)/wiki.jsonl
	cat $(OUT)/encyclopedia.jsonl $(OUT)/wiki.jsonl $(OUT)/web.jsonl $(OUT)/web-html.jsonl > $(OUT)/docs.jsonl
	$(BIN) validate --kind sft --echo corpora/sft/dialogues.jsonl > $(OUT)/sft.jsonl
	$(BIN) validate --kind preference --echo corpora/preference/pairs.jsonl > $(OUT)/preference.jsonl
	@echo "demo: $$(wc -l < $(OUT)/docs.jsonl) documents, $$(wc -l < $(OUT)/sft.jsonl) dialogues, $$(wc -l < $(OUT)/preference.jsonl) preference pairs in $(OUT)/"

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: deps build
	@for b in bench/io.sh; do SPINDLE=$(BIN) SHARED=$(SHARED) bash $$b || exit 1; done

clean:
	rm -rf $(OUT) .build bench/out
