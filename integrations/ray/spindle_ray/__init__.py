"""Spindle's data stages on Ray Data: every record goes through the `spindle` binary, Ray moves bytes."""
from .binary import SpindleError, spindle_path
from .blocks import read_jsonl, write_jsonl
from .dedup import near_dedup
from .keydedup import key_dedup
from .stages import run_stage
from .pipeline import run_pipeline, split_stages

__all__ = ["SpindleError", "spindle_path", "read_jsonl", "write_jsonl", "near_dedup", "key_dedup", "run_stage",
           "run_pipeline", "split_stages"]
