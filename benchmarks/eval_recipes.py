"""Every ``mmfuse.pipelines`` recipe, per modality and fused: CV on training rows + test split.

For each recipe: one model per modality (``build(modalities=(m,))``; the
single-modality recipes ``sms_spam`` and ``spoken_digits`` have only
``build()``), early fusion (``build(fusion='early')``, the recipe's default) and
late fusion (``build(fusion='late', rule=...)``: ``'mean'``, plus ``'product'``
and ``'stack'`` for ``av_digits``). All at their defaults, i.e. calibrated
(``predict_proba``) and seeded with ``random_state=0``.

Each cell is ``CV mean ± std / test``:

* **CV** on the *training* rows only: ``RepeatedStratifiedKFold(5, n_repeats)``
  (``--repeats``, default 1); for ``spoken_digits`` ``LeaveOneGroupOut`` over the
  speakers (train on four, score the fifth). This is the number settings are
  chosen on.
* **test**: fitted on all training rows, accuracy on the test rows (the final
  number). ``sms_spam`` has no split: its cell is stratified 5-fold CV over all
  messages (x ``--repeats``), no test number.

``fashion`` runs twice: titles as given and with the category words masked.
Extracted descriptors are cached in ``benchmarks/out/cache`` (git-ignored) and
shared by all variants. Recipes that need the shared datasets (``fashion``,
``sms_spam``, ``spoken_digits``) are skipped with a note when they are absent
(set ``MMFUSE_SHARED`` to the folder holding ``datasets/``).

Run from the repository root::

    python -m benchmarks.eval_recipes                          # all recipes
    python -m benchmarks.eval_recipes --recipes av_digits trimodal
"""

from __future__ import annotations

import argparse
import time
import traceback
import warnings

import numpy as np
from joblib import Memory

from benchmarks._data import CACHE, load_fashion, load_sms_spam, shared_datasets
from mmfuse.pipelines import RECIPES, load_recipe

DATA_DIRS = {"fashion": "fashion_products", "sms_spam": "sms_spam", "spoken_digits": "fsdd"}
MODALITIES = ("image", "text", "audio")
LATE_RULES = {"av_digits": ("mean", "product", "stack")}
DATA_VARIANTS = {"fashion": ({}, {"mask_category": True})}


def variants(name, recipe):
    """``(column, build kwargs)`` of the models evaluated for one recipe."""
    modalities = [m for m in MODALITIES if m in recipe.COLUMNS]
    if len(modalities) == 1:
        return [(modalities[0], {})]
    out = [(m, {"modalities": (m,)}) for m in modalities]
    out.append(("early fused", {"fusion": "early"}))
    out += [(f"late {r}", {"fusion": "late", "rule": r}) for r in LATE_RULES.get(name, ("mean",))]
    return out


def load(name, recipe, data_kw):
    """``(X, y, split, groups)`` of a recipe's data (shared data sets: ``benchmarks._data``)."""
    if name in DATA_DIRS:
        root = shared_datasets() / DATA_DIRS[name]
        if name == "spoken_digits":
            return recipe.load_data(root, return_groups=True)
        loader = {"fashion": load_fashion, "sms_spam": load_sms_spam}[name]
        return (*loader(root, **data_kw), None)
    return (*recipe.load_data(**data_kw), None)


def cv_splitter(y, groups, repeats):
    from sklearn.model_selection import LeaveOneGroupOut, RepeatedStratifiedKFold

    if groups is not None:
        return LeaveOneGroupOut()
    return RepeatedStratifiedKFold(n_splits=5, n_repeats=repeats, random_state=0)


def score(make, X, y, split, groups, repeats):
    """``(cv scores, test accuracy or None)``."""
    from sklearn.model_selection import cross_val_score

    if split is None:
        return cross_val_score(make(), X, y, cv=cv_splitter(y, None, repeats)), None
    tr, te = split == "train", split == "test"
    Xtr = X[tr].reset_index(drop=True)
    g = None if groups is None else groups[tr]
    cv = cross_val_score(make(), Xtr, y[tr], groups=g, cv=cv_splitter(y[tr], g, repeats))
    model = make().fit(Xtr, y[tr])
    return cv, float(np.mean(model.predict(X[te]) == y[te]))


def evaluate(name, data_kw, memory, repeats):
    """One table row: ``{column: 'cv / test'}`` plus the data description and wall time."""
    recipe = load_recipe(name)
    t0 = time.perf_counter()
    X, y, split, groups = load(name, recipe, data_kw)
    label = ", ".join(f"{k}={v}" for k, v in data_kw.items()) or "default"
    if split is None:
        label += f"; {repeats}x stratified 5-fold CV, n={len(y)}"
    else:
        cv = ("leave-one-speaker-out" if groups is not None
              else f"{repeats}x stratified 5-fold")
        label += (f"; CV: {cv} on the {np.sum(split == 'train')} train rows; test "
                  f"{np.sum(split == 'test')}")
    row = {"recipe": name, "data": label}
    for column, kw in variants(name, recipe):
        t = time.perf_counter()
        try:
            s, test = score(lambda: recipe.build(**kw, memory=memory), X, y, split, groups,
                            repeats)
            row[column] = f"{s.mean():.3f} ± {s.std():.3f}" + (
                f" / **{test:.3f}**" if test is not None else "")
        except Exception as exc:  # noqa: BLE001 - report and go on with the other variants
            traceback.print_exc()
            row[column] = f"failed ({type(exc).__name__})"
        print(f"  {name} [{label}] {column}: {row[column]} ({time.perf_counter() - t:.1f} s)",
              flush=True)
    row["time (s)"] = f"{time.perf_counter() - t0:.0f}"
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
    ap.add_argument("--repeats", type=int, default=1, help="repeats of the stratified 5-fold CV")
    args = ap.parse_args(argv)
    names = list(args.recipes)
    absent = [n for n in names if n in DATA_DIRS
              and not (shared_datasets() / DATA_DIRS[n]).is_dir()]
    if absent:
        print(f"note: {shared_datasets()} lacks the data of {', '.join(absent)} (only the "
              "development checkout has it; set MMFUSE_SHARED): skipping them")
        names = [n for n in names if n not in absent]
    warnings.simplefilter("ignore", category=UserWarning)
    memory = Memory(CACHE, verbose=0)
    rows = [evaluate(name, data_kw, memory, args.repeats) for name in names
            for data_kw in DATA_VARIANTS.get(name, ({},))]
    print("\nCells: accuracy, CV mean ± std on the training rows / **test split**.\n")
    print(markdown(rows))


if __name__ == "__main__":
    main()
