#!/usr/bin/env python3
"""The packing pipeline a user would otherwise write in Python: sentencepiece tokenisation, Llama 2 chat
rendering with role-based loss masks, concatenation into fixed rows, MosaicML streaming's MDSWriter.

  shards_peer.py sft      MODEL IN.jsonl OUT [--seq-len 4096]   greedy (next-fit) packing of SFT dialogues
  shards_peer.py pretrain MODEL IN.jsonl OUT [--seq-len 4096]   <s> doc </s> concatenated and cut into rows

Prints one line: records, input text MB, rows, fill ratio, wall and CPU seconds. The times start after
the imports (importing streaming pulls in torch and transformers: seconds a user pays once per run, not
per MB). Without mosaicml-streaming (run it with .venv-mds/bin/python for that) rows are written as raw
numpy bytes instead: the tokenising and packing work is the same.
"""
import json
import os
import sys
import time

import numpy as np
import sentencepiece as spm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


try:
    from shards_mds import _import_streaming
    STREAMING = _import_streaming()
except Exception:
    STREAMING = None


def writer(out, columns):
    if STREAMING is not None:
        return STREAMING.MDSWriter(columns=columns, out=out, size_limit=1 << 26, hashes=['sha256'])
    else:
        class Raw:
            def __init__(self):
                os.makedirs(out, exist_ok=True)
                self.f = open(os.path.join(out, 'rows.bin'), 'wb')

            def write(self, sample):
                for k in sorted(sample):
                    self.f.write(sample[k].tobytes())

            def finish(self):
                self.f.close()
        return Raw()


def main():
    mode, model, path, out = sys.argv[1:5]
    seq_len = int(sys.argv[sys.argv.index('--seq-len') + 1]) if '--seq-len' in sys.argv else 4096
    start, cpu_start = time.time(), time.process_time()
    sp = spm.SentencePieceProcessor(model_file=model)
    bos, eos = sp.bos_id(), sp.eos_id()
    text_bytes = records = rows = real = 0
    if mode == 'sft':
        w = writer(out, {'input_ids': f'ndarray:uint16:{seq_len}', 'loss_mask': f'ndarray:uint8:{seq_len}',
                         'segment_ids': f'ndarray:uint16:{seq_len}'})
        ids, mask, seg = [], [], []

        def flush():
            nonlocal ids, mask, seg, rows, real
            real += len(ids)
            pad = seq_len - len(ids)
            w.write({'input_ids': np.array(ids + [0] * pad, np.uint16), 'loss_mask': np.array(mask + [0] * pad, np.uint8),
                     'segment_ids': np.array(seg + [0] * pad, np.uint16)})
            rows += 1
            ids, mask, seg = [], [], []

        for line in open(path, encoding='utf-8'):
            rec = json.loads(line)
            msgs = rec['messages']
            text_bytes += sum(len(m['content'].encode('utf-8')) for m in msgs)
            records += 1
            if msgs[0]['role'] == 'system':
                msgs = [{'role': 'user', 'content': '<<SYS>>\n' + msgs[0]['content'] + '\n<</SYS>>\n\n' + msgs[1]['content']}] + msgs[2:]
            e_ids, e_mask = [], []
            for u, a in zip(msgs[::2], msgs[1::2]):
                p = [bos] + sp.encode(f"[INST] {u['content'].strip()} [/INST]")
                r = sp.encode(f"{a['content'].strip()} ") + [eos]
                e_ids += p + r
                e_mask += [0] * len(p) + [1] * len(r)
            e_ids, e_mask = e_ids[:seq_len], e_mask[:seq_len]
            if len(ids) + len(e_ids) > seq_len:
                flush()
            s = (seg[-1] if seg else 0) + 1
            ids += e_ids
            mask += e_mask
            seg += [s] * len(e_ids)
        if ids:
            flush()
    else:
        w = writer(out, {'input_ids': f'ndarray:uint16:{seq_len}', 'segment_ids': f'ndarray:uint16:{seq_len}'})
        ids, seg = [], []
        for line in open(path, encoding='utf-8'):
            text = json.loads(line)['text']
            text_bytes += len(text.encode('utf-8'))
            records += 1
            doc = [bos] + sp.encode(text) + [eos]
            while doc:
                take = min(seq_len - len(ids), len(doc))
                s = (seg[-1] if seg else 0) + 1
                ids += doc[:take]
                seg += [s] * take
                doc = doc[take:]
                if len(ids) == seq_len:
                    w.write({'input_ids': np.array(ids, np.uint16), 'segment_ids': np.array(seg, np.uint16)})
                    rows += 1
                    real += seq_len
                    ids, seg = [], []
        if ids:
            real += len(ids)
            pad = seq_len - len(ids)
            w.write({'input_ids': np.array(ids + [0] * pad, np.uint16), 'segment_ids': np.array(seg + [0] * pad, np.uint16)})
            rows += 1
    w.finish()
    secs, cpu = time.time() - start, time.process_time() - cpu_start
    print(f'{records} records, {text_bytes / 1e6:.2f} MB text, {rows} rows, fill {real / max(1, rows * seq_len):.4f}, '
          f'wall {secs:.3f} s, cpu {cpu:.3f} s')


if __name__ == '__main__':
    main()
