"""SMS Spam Collection: TfidfText() at its defaults + LinearSVC, stratified 5-fold CV.

Run from the repository root::

    python -m benchmarks.eval_sms_spam                 # seed 0
    python -m benchmarks.eval_sms_spam --seeds 0 1 2   # several shufflings
    python -m benchmarks.eval_sms_spam --baseline      # also plain TfidfVectorizer()
    python -m benchmarks.eval_sms_spam --dedup         # drop the 403 repeated messages

Targets (issue 6): accuracy >= 0.99 and spam F1 >= 0.965 (mean over the folds).
Data: ``../shared/datasets/sms_spam/sms_spam.tsv`` (Almeida et al. 2011,
https://doi.org/10.1145/2034691.2034742), 5,574 messages, 747 spam.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "sms_spam" / "sms_spam.tsv"


def load_sms_spam(path=DEFAULT):
    """Return ``(texts, y)`` with ``y == 1`` for spam (the README's reading recipe)."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = [line.rstrip("\n").split("\t", 1) for line in f]
    labels, texts = zip(*rows)
    return list(texts), np.array([lab == "spam" for lab in labels], dtype=int)


def evaluate(estimator, texts, y, seed):
    from sklearn.model_selection import StratifiedKFold, cross_validate

    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    r = cross_validate(estimator, texts, y, cv=cv, scoring=["accuracy", "f1"])
    return r["test_accuracy"], r["test_f1"]


def main(argv=None):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    from mmfuse.text import TfidfText

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--baseline", action="store_true",
                    help="also evaluate plain TfidfVectorizer() + LinearSVC()")
    ap.add_argument("--dedup", action="store_true",
                    help="keep only the first copy of repeated messages (no train/test leak)")
    args = ap.parse_args(argv)
    texts, y = load_sms_spam(args.data)
    if args.dedup:
        first = {}
        for i, t in enumerate(texts):
            first.setdefault(t, i)
        keep = sorted(first.values())
        texts, y = [texts[i] for i in keep], y[keep]
    print(f"SMS Spam Collection: {len(texts)} messages, {int(y.sum())} spam; stratified "
          "5-fold CV, LinearSVC()", flush=True)
    models = {"TfidfText() defaults": lambda: make_pipeline(TfidfText(), LinearSVC())}
    if args.baseline:
        models["TfidfVectorizer() (baseline)"] = lambda: make_pipeline(TfidfVectorizer(),
                                                                       LinearSVC())
    for name, build in models.items():
        accs, f1s = [], []
        t0 = time.perf_counter()
        for seed in args.seeds:
            acc, f1 = evaluate(build(), texts, y, seed)
            print(f"  {name:30s} seed {seed}: accuracy {acc.mean():.4f} ± {acc.std():.4f}   "
                  f"spam F1 {f1.mean():.4f} ± {f1.std():.4f}", flush=True)
            accs.append(acc)
            f1s.append(f1)
        acc, f1 = np.concatenate(accs), np.concatenate(f1s)
        print(f"{name:32s} all {acc.size} folds: accuracy {acc.mean():.4f} ± {acc.std():.4f}"
              f"   spam F1 {f1.mean():.4f} ± {f1.std():.4f}   "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
