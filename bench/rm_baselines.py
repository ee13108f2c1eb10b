#!/usr/bin/env python3
"""Baselines a reward model must beat on the same split: length heuristics and a TF-IDF
bag-of-words logistic regression (the issue's "shorter answer wins" 0.555 and BoW 0.61 on HH harmless).

usage: rm_baselines.py TRAIN.jsonl HELDOUT.jsonl [--label NAME]

Both files are Spindle preference JSONL (`spindle convert hh|dpo`): {"prompt": [...], "chosen", "rejected"}.
The BoW model sees the answers only, as a Bradley-Terry model on features: P(a > b) = sigmoid(w . (f(a) - f(b))),
fitted on each training pair in both orientations; C by 5-fold cross-validation on the training pairs.
Prints one line per baseline: `NAME accuracy X (N pairs)`; ties count one half.
"""
import json
import sys

import numpy as np


def load(path):
    rows = []
    for line in open(path, encoding="utf-8"):
        if line.strip():
            r = json.loads(line)
            rows.append((r["chosen"], r["rejected"]))
    return rows


def length_accuracy(pairs, shorter):
    score = 0.0
    for c, r in pairs:
        if len(c) == len(r):
            score += 0.5
        elif (len(c) < len(r)) == shorter:
            score += 1
    return score / len(pairs)


def bow_accuracy(train, held):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    vec.fit([t for p in train for t in p])

    def diff(pairs):
        a = vec.transform([c for c, _ in pairs])
        b = vec.transform([r for _, r in pairs])
        return a - b

    d = diff(train)
    x = np.vstack([d.toarray(), -d.toarray()])
    y = np.array([1] * len(train) + [0] * len(train))
    best = max((cross_val_score(LogisticRegression(C=c, fit_intercept=False, max_iter=2000),
                                x, y, cv=5).mean(), c) for c in (0.1, 0.3, 1, 3, 10, 30))
    model = LogisticRegression(C=best[1], fit_intercept=False, max_iter=2000).fit(x, y)
    s = diff(held).toarray() @ model.coef_[0]
    return (np.sum(s > 0) + 0.5 * np.sum(s == 0)) / len(held), best[1]


def main():
    args = sys.argv[1:]
    label = "safety"
    if "--label" in args:
        i = args.index("--label")
        label = args[i + 1]
        del args[i:i + 2]
    if len(args) != 2:
        sys.exit(__doc__)
    train, held = load(args[0]), load(args[1])
    n = len(held)
    print(f"{label} baseline shorter-answer-wins accuracy {length_accuracy(held, True):.4f} ({n} pairs)")
    print(f"{label} baseline longer-answer-wins accuracy {length_accuracy(held, False):.4f} ({n} pairs)")
    acc, c = bow_accuracy(train, held)
    print(f"{label} baseline tfidf-bow-logistic accuracy {acc:.4f} ({n} pairs, C={c})")


if __name__ == "__main__":
    main()
