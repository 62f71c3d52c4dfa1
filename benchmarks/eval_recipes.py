"""Test accuracy and macro-F1 of every ``mmfuse.pipelines`` recipe, per modality and fused.

For each recipe: one model per modality (``build(modalities=(m,))``; ``build()``
for the text-only ``sms_spam``), early fusion (``build(fusion='early')``, the
recipe's default strategy) and late fusion (``build(fusion='late', rule=...)``:
``'mean'``, plus ``'product'`` and ``'stack'`` for ``av_digits``). Models are
fitted on the ``train`` rows of the recipe's split and scored on its ``test``
rows; ``sms_spam`` has no split and is scored by stratified 5-fold CV (mean ± std).
``fashion`` runs twice: titles as given and with the category words masked.
Extracted descriptors are cached in a temporary ``joblib.Memory`` shared by all
variants, so e.g. the fashion dense-SIFT features are computed once for the
image-only and early-fused models. Recipes that need ``../shared/datasets``
(``fashion``, ``sms_spam``) are skipped with a note when it is absent.

Run from the repository root::

    python -m benchmarks.eval_recipes                          # all recipes
    python -m benchmarks.eval_recipes --recipes av_digits trimodal
"""

from __future__ import annotations

import argparse
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np
from joblib import Memory

from mmfuse.pipelines import RECIPES, load_recipe

SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"
NEEDS_SHARED = ("fashion", "sms_spam")
MODALITIES = ("image", "text", "audio")
LATE_RULES = {"av_digits": ("mean", "product", "stack")}
DATA_VARIANTS = {"fashion": ({}, {"mask_category": True})}
CV_FOLDS = 5


def variants(name, recipe):
    """``(column, build kwargs)`` of the models evaluated for one recipe."""
    modalities = [m for m in MODALITIES if m in recipe.COLUMNS]
    if len(modalities) == 1:
        return [(modalities[0], {})]
    out = [(m, {"modalities": (m,)}) for m in modalities]
    out.append(("early fused", {"fusion": "early"}))
    out += [(f"late {r}", {"fusion": "late", "rule": r}) for r in LATE_RULES.get(name, ("mean",))]
    return out


def score(model, X, y, split):
    """``(accuracy, macro-F1)`` on the test rows, or ``((mean, std), (mean, std))`` by CV."""
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import StratifiedKFold, cross_validate

    if split is None:
        cv = StratifiedKFold(n_splits=CV_FOLDS, shuffle=True, random_state=0)
        r = cross_validate(model, X, y, cv=cv, scoring=["accuracy", "f1_macro"])
        return tuple((r[k].mean(), r[k].std()) for k in ("test_accuracy", "test_f1_macro"))
    train, test = split == "train", split == "test"
    pred = model.fit(X[train], y[train]).predict(X[test])
    return accuracy_score(y[test], pred), f1_score(y[test], pred, average="macro")


def fmt(value):
    return f"{value[0]:.3f}±{value[1]:.3f}" if isinstance(value, tuple) else f"{value:.3f}"


def evaluate(name, data_kw, memory):
    """One table row: ``{column: 'acc / F1'}`` plus the data description and wall time."""
    recipe = load_recipe(name)
    t0 = time.perf_counter()
    X, y, split = recipe.load_data(**data_kw)
    label = ", ".join(f"{k}={v}" for k, v in data_kw.items()) or "default"
    if split is None:
        label += f"; {CV_FOLDS}-fold CV, n={len(y)}"
    else:
        label += f"; train/test {np.sum(split == 'train')}/{np.sum(split == 'test')}"
    row = {"recipe": name, "data": label}
    for column, kw in variants(name, recipe):
        t = time.perf_counter()
        try:
            acc, f1 = score(recipe.build(**kw, memory=memory), X, y, split)
            row[column] = f"{fmt(acc)} / {fmt(f1)}"
        except Exception as exc:  # report and go on with the other variants
            traceback.print_exc()
            row[column] = f"failed ({type(exc).__name__})"
        print(f"  {name} [{label}] {column}: {row[column]} ({time.perf_counter() - t:.1f} s)",
              flush=True)
    row["time (s)"] = f"{time.perf_counter() - t0:.1f}"
    return row


def markdown(rows):
    extra = [c for r in rows for c in r if c.startswith("late ") and c != "late mean"]
    columns = ["recipe", "data", *MODALITIES, "early fused", "late mean",
               *dict.fromkeys(extra), "time (s)"]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(r.get(c, "—") for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipes", nargs="+", choices=RECIPES, default=list(RECIPES))
    args = ap.parse_args(argv)
    names = list(args.recipes)
    if not SHARED.is_dir():
        skipped = [n for n in names if n in NEEDS_SHARED]
        print(f"note: {SHARED} not found; skipping {', '.join(skipped) or 'nothing'}")
        names = [n for n in names if n not in NEEDS_SHARED]
    rows = []
    with tempfile.TemporaryDirectory(prefix="mmfuse-eval-") as cache:
        memory = Memory(cache, verbose=0)
        for name in names:
            for data_kw in DATA_VARIANTS.get(name, ({},)):
                rows.append(evaluate(name, data_kw, memory))
    print("\nCells: accuracy / macro-F1 on the test rows (sms_spam: mean±std over the folds).\n")
    print(markdown(rows))


if __name__ == "__main__":
    main()
