#!/usr/bin/env python3
"""lm-evaluation-harness 0.4.x's humaneval and mbpp tasks, for EvalCodeCrossCheckTests.

usage: lm_eval_code_crosscheck.py WORKDIR HUMANEVAL_JSONL_GZ

Writes WORKDIR/data/{humaneval,mbpp}.jsonl (the first 3 HumanEval problems; 3 hand-written MBPP rows in
google-research-datasets/mbpp's layout), custom task YAMLs that `include` the harness's own, the fixed
candidate responses (WORKDIR/data/candidates.json: per task, per document, a list of responses, among
them passing, failing, crashing, looping, exiting and syntactically broken ones), and
WORKDIR/harness/code.json with, per task, what the harness builds (contexts, `until`, max_gen_toks;
the candidate programs after its filter and the references, from `doc_to_target`) and, when HF
`evaluate`'s code_eval module loads, its verdict per candidate and pass@k (k = 1, 2, 5) per document
as the task's metric function computes it.

The task utils call `evaluate.load("code_eval")` when imported, which needs the module from the
Hugging Face Hub (or its cache). Without it the tasks are loaded with a placeholder for that module
(every prompt and reference is still the harness's own) and "code_eval" in the output is the error.
"""
import gzip, json, os, sys

os.environ["HF_ALLOW_CODE_EVAL"] = "1"
import evaluate

work, humaneval_gz = sys.argv[1:3]
LM_EVAL = os.path.dirname(__import__("lm_eval").__file__) + "/tasks"
for d in ["data", "tasks", "harness"]:
    os.makedirs(f"{work}/{d}", exist_ok=True)

try:
    evaluate.load("code_eval")
    code_eval_error = None
except Exception as e:   # no hub and no cache: the harness cannot score code here
    code_eval_error = f"{type(e).__name__}: {e}"
    real_load = evaluate.load

    class Unavailable:
        def compute(self, **kwargs):
            return ({"pass@1": float("nan")}, {})

    evaluate.load = lambda name, *a, **kw: Unavailable() if name == "code_eval" else real_load(name, *a, **kw)

with gzip.open(humaneval_gz, "rt", encoding="utf-8") as f:
    he = [json.loads(l) for _, l in zip(range(3), f)]
mbpp = [
    {"task_id": 11, "text": "Write a function to add two numbers.", "code": "def add(a, b):\r\n  return a + b",
     "test_list": ["assert add(1, 2) == 3", "assert add(0, 0) == 0", "assert add(-1, 1) == 0"], "test_setup_code": "", "challenge_test_list": []},
    {"task_id": 12, "text": "Write a python function to check whether a number is even.", "code": "def is_even(n):\r\n  return n % 2 == 0",
     "test_list": ["assert is_even(2) == True", "assert is_even(7) == False", "assert is_even(0) == True"], "test_setup_code": "", "challenge_test_list": []},
    {"task_id": 13, "text": "Write a function to reverse a string.", "code": "def reverse(s):\r\n  return s[::-1]",
     "test_list": ["assert reverse('abc') == 'cba'", "assert reverse('') == ''", "assert reverse('ab') == 'ba'"], "test_setup_code": "", "challenge_test_list": []},
]
for name, rows in [("humaneval", he), ("mbpp", mbpp)]:
    with open(f"{work}/data/{name}.jsonl", "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    inc = {"humaneval": "humaneval/humaneval.yaml", "mbpp": "mbpp/mbpp.yaml"}[name]
    with open(f"{work}/tasks/x_{name}.yaml", "w") as f:
        f.write(f"include: {LM_EVAL}/{inc}\ntask: x_{name}\ntag: []\ndataset_path: json\ndataset_name: null\n"
                f"dataset_kwargs:\n  data_files:\n    test: {work}/data/{name}.jsonl\ntest_split: test\n")

# Responses as a model would give them (HumanEval: the body after the prompt; MBPP: the whole code).
loop = "    while True:\n        pass\n"
he_cands = [[r["canonical_solution"], "    return None\n", "    raise RuntimeError('crash')\n", "    import sys\n    sys.exit(0)\n",
             r["canonical_solution"] + "\nimport sys\nsys.exit(0)\n", "    return (\n"] + ([loop] if i == 0 else [])
            for i, r in enumerate(he)]
mbpp_cands = [[r["code"], r["code"].replace("return", "return not") if i == 1 else r["code"] + " * 2",
               r["code"] + "\r\nraise ValueError('at import')", r["code"] + "\nif __name__ == '__main__':\n    raise SystemExit(1)\n",
               "exit(0)\n" + r["code"], "def broken(:\n"] + (["import time\nwhile True:\n    time.sleep(0.01)\n"] if i == 0 else [])
              for i, r in enumerate(mbpp)]
json.dump({"humaneval": he_cands, "mbpp": mbpp_cands}, open(f"{work}/data/candidates.json", "w"))

import lm_eval.tasks
from lm_eval.tasks import TaskManager

tasks = lm_eval.tasks.get_task_dict(["x_humaneval", "x_mbpp"], TaskManager(include_path=work + "/tasks"))
out = {"code_eval": code_eval_error}
for name, cands in [("humaneval", he_cands), ("mbpp", mbpp_cands)]:
    task = tasks[f"x_{name}"]
    task.build_all_requests(rank=0, world_size=1)
    insts = sorted(task.instances, key=lambda i: i.doc_id)
    docs = [i.doc for i in insts]
    for inst, c in zip(insts, cands):
        inst.resps = list(c)
    task.apply_filters()
    filt = list(insts[0].filtered_resps.keys())[0]
    rec = {"contexts": [i.args[0] for i in insts], "until": insts[0].args[1]["until"],
           "max_gen_toks": insts[0].args[1].get("max_gen_toks"), "filter": filt,
           "references": [task.doc_to_target(d) for d in docs]}
    # The candidate programs as the harness hands them to code_eval: humaneval's create_test filter
    # (prompt + response); mbpp keeps the response ("none" filter; its take_first would keep only the
    # first, so every response is passed here as the repeats of one request would be).
    rec["predictions"] = [list(i.filtered_resps[filt]) if name == "humaneval" else list(c) for i, c in zip(insts, cands)]
    if code_eval_error is None:
        metric = evaluate.load("code_eval")
        rec["pass_at_k"], rec["results"] = [], []
        for ref, preds in zip(rec["references"], rec["predictions"]):
            ks, res = metric.compute(references=[ref], predictions=[preds], k=[1, 2, 5])
            rec["pass_at_k"].append({k: float(v) for k, v in ks.items()})
            rec["results"].append([r[1]["result"] for r in sorted(res[0], key=lambda x: x[0])])
        # The task's own metric on the first candidate of each document (what the harness reports).
        rec["task_metric"] = []
        for d, p in zip(docs, rec["predictions"]):
            m = task.process_results(d, [[p[0]]] if name == "humaneval" else [p[0]])
            rec["task_metric"].append({k: float(v) for k, v in m.items()})
    out[name] = rec
json.dump(out, open(f"{work}/harness/code.json", "w"))
print("ok", "code_eval" if code_eval_error is None else f"without code_eval ({code_eval_error[:80]})")
