"""Evaluation reports people can share: one self-contained HTML page.

:func:`evaluate_model` scores a labelled set and writes

* ``index.html``: one self-contained page (inline CSS, figures embedded as
  PNG ``data:`` URIs, the metrics as a ``data:`` download; no script, no
  external request, so it can be mailed or attached to a ticket as it is)
  with the overall metrics, a per-class table (precision, recall, F1,
  support), the confusion matrix (scikit-learn's
  :class:`~sklearn.metrics.ConfusionMatrixDisplay`), the per-modality
  contribution, the first misclassified rows with their true and predicted
  labels, the rows that were skipped as errors, and the model's metadata;
* ``metrics.json``: the same numbers for programs.

Figures are drawn on :class:`matplotlib.figure.Figure` objects created here
(``pip install 'mmfuse[report]'``); the global pyplot state and backend are
left alone.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import json
from pathlib import Path

import numpy as np

__all__ = ["coerce_labels", "evaluate_model", "modality_contributions"]


def coerce_labels(labels, classes):
    """Cast labels read from a manifest (strings) to the dtype of a model's ``classes_``.

    Parameters
    ----------
    labels : array-like of shape (n_samples,)
        The labels as read (a CSV gives strings or numbers).
    classes : array-like of shape (n_classes,)
        The model's ``classes_``.

    Returns
    -------
    ndarray of shape (n_samples,)
        Integers, floats or strings, as ``classes``.

    Examples
    --------
    >>> import numpy as np
    >>> from mmfuse.report import coerce_labels
    >>> coerce_labels(["3", "7.0"], np.array([3, 7]))
    array([3, 7])
    """
    labels = np.asarray(labels, dtype=object)
    classes = np.asarray(classes)
    if classes.dtype.kind in "iu":
        return labels.astype(float).astype(classes.dtype)
    if classes.dtype.kind == "f":
        return labels.astype(classes.dtype)
    return labels.astype(str)


def _final_step(model):
    steps = getattr(model, "steps", None)
    return steps[-1][1] if steps else model


def _first_step(model):
    steps = getattr(model, "steps", None)
    return steps[0][1] if steps else model


def _input_columns(model, X):
    from .scoring import model_columns  # noqa: PLC0415

    cols = [c for c in model_columns(model) if c in X.columns]
    return cols or [str(c) for c in X.columns]


def modality_contributions(model, X, y, *, n_repeats=5, random_state=0) -> dict:
    """How much each modality contributes to a fitted model's accuracy on ``(X, y)``.

    Three views, each where the model allows it:

    * **permutation** (every model): the drop in accuracy when one input
      column is shuffled across rows, which breaks its link with the label
      while keeping its distribution (Breiman 2001 [1]_; computed by
      :func:`sklearn.inspection.permutation_importance`, one column = one
      modality), mean and standard deviation over ``n_repeats`` shuffles, on
      the rows where every modality is present;
    * **alone**: the accuracy of each modality by itself, on the rows where
      it is present. Late fusion: each member model on its column. Early and
      kernel fusion with a ``missing`` policy other than ``'error'``: the
      fused model with every other modality blanked (``None``);
    * **weights**: the learned or given late-fusion weights
      (:class:`~mmfuse.fusion.LateFusionClassifier` ``weights_``) or kernel
      weights (:class:`~mmfuse.fusion.KernelFusionClassifier`
      ``named_weights_``).

    Parameters
    ----------
    model : fitted classifier
        A pipeline or fuser taking a DataFrame with one column per modality.
    X : pandas.DataFrame of shape (n_samples, n_columns)
        Rows the model can predict (no error rows).
    y : array-like of shape (n_samples,)
        True labels, of the dtype of ``model.classes_``.
    n_repeats : int, default=5
        Shuffles per column for the permutation view; 0 leaves it out
        (each shuffle costs one prediction of ``X``).
    random_state : int, default=0
        Seed of the shuffles.

    Returns
    -------
    dict
        ``fused`` (accuracy of the model), ``alone`` (``{modality: accuracy}``),
        ``weights`` (``{modality: weight}`` or None), ``permutation``
        (``{column: {'mean': drop, 'std': spread}}``, empty with
        ``n_repeats=0``) and ``method`` (how ``alone`` was measured).

    References
    ----------
    .. [1] Breiman, L. (2001). Random forests. *Machine Learning*, 45(1), 5-32.
       https://doi.org/10.1023/A:1010933404324
    """
    y = np.asarray(y)
    return _modality_contributions(model, X, y, np.asarray(model.predict(X)), n_repeats,
                                   random_state)


def _modality_contributions(model, X, y, pred, n_repeats, random_state):
    from ._config import drop_input_warnings  # noqa: PLC0415

    out = {"fused": float(np.mean(pred == y)), "alone": {}, "weights": None,
           "permutation": {}, "method": "fused only"}
    # the rows were predicted (and their input warnings issued) once already; the
    # shuffled and blanked copies below would only repeat them under other rows
    with drop_input_warnings():
        _contributions(model, X, y, out, n_repeats, random_state)
    return out


def _present(column):
    from .io import missing_rows  # noqa: PLC0415

    return ~missing_rows(column)


def _contributions(model, X, y, out, n_repeats, random_state):
    import pandas as pd  # noqa: PLC0415

    cols = _input_columns(model, X)
    complete = np.ones(len(X), dtype=bool)
    for c in cols:
        complete &= _present(X[c])
    if n_repeats and complete.sum() >= 2:
        from sklearn.inspection import permutation_importance  # noqa: PLC0415

        # complete rows only: a shuffled-in None could leave a row without any modality
        res = permutation_importance(model, X.loc[complete, cols], y[complete],
                                     scoring="accuracy", n_repeats=int(n_repeats),
                                     random_state=random_state)
        out["permutation"] = {c: {"mean": float(m), "std": float(s)} for c, m, s in
                              zip(cols, res.importances_mean, res.importances_std)}
    from .fusion import FeatureFusion, KernelFusionClassifier, LateFusionClassifier  # noqa: PLC0415

    last = _final_step(model)
    if isinstance(last, LateFusionClassifier) and \
            len(last.estimators) == len(last.estimators_):
        spec, members = last.estimators, last.estimators_
        out["method"] = "late fusion: each member model on its own column"
        for (name, _, col), est in zip(spec, members):
            Xc = X[col]
            present = _present(Xc)
            if present.any():
                pred = est.predict(Xc[present] if isinstance(Xc, pd.Series) else
                                   Xc.loc[present])
                out["alone"][name] = float(np.mean(pred == y[present]))
        w = getattr(last, "weights_", None)
        if w is not None:
            out["weights"] = {name: float(v) for (name, _, _), v in zip(spec, np.ravel(w))}
        return
    if isinstance(last, KernelFusionClassifier):
        kernels, named = last.kernels, last.named_weights_
        out["method"] = ("kernel fusion: kernel weights; each modality alone is the fused "
                         "model with the other modalities blanked")
        out["weights"] = {name: float(w) for name, w in named.items()}
        if getattr(last, "missing", "error") != "error":
            # a block of weight 0 cannot carry a row alone
            _blanked(model, X, y, [(k[0], k[2]) for k in kernels if named.get(k[0], 0) > 0],
                     out)
        return
    first = _first_step(model)
    if not isinstance(first, FeatureFusion):
        return
    parts, missing = first.transformers, first.missing
    if missing != "error":
        out["method"] = (f"early fusion: fused model with the other modalities blanked "
                         f"(missing={missing!r})")
        _blanked(model, X, y, [(name, col) for name, _, col in parts], out)
    else:
        out["method"] = ("early fusion with missing='error': a modality cannot be blanked, "
                         "see the permutation view")


def _blanked(model, X, y, blocks, out):
    """Accuracy of each block alone, on the rows where it is present: the fused model
    with every other block's column blanked."""
    import pandas as pd  # noqa: PLC0415

    cols = [col for _, col in blocks]
    for name, col in blocks:
        present = _present(X[col])
        if not present.any():
            continue
        Xm = X[present].copy()
        for other in cols:
            if other != col:
                Xm[other] = pd.Series([None] * len(Xm), index=Xm.index, dtype=object)
        out["alone"][name] = float(np.mean(model.predict(Xm) == y[present]))


# --------------------------------------------------------------------------- figures

def _png_data_uri(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _confusion_figure(cm, labels):
    from matplotlib.figure import Figure  # noqa: PLC0415
    from sklearn.metrics import ConfusionMatrixDisplay  # noqa: PLC0415

    n = len(labels)
    side = min(3.0 + 0.33 * n, 12.0)
    fig = Figure(figsize=(side + 1.0, side), layout="constrained")
    ax = fig.add_subplot()
    disp = ConfusionMatrixDisplay(cm, display_labels=[str(c) for c in labels])
    disp.plot(ax=ax, cmap="Blues", values_format="d", colorbar=True,
              include_values=n <= 30, xticks_rotation=45 if n > 8 else "horizontal")
    ax.set_title(f"confusion matrix ({int(cm.sum())} rows)")
    return fig


def _modalities_figure(contrib):
    from matplotlib.figure import Figure  # noqa: PLC0415

    panels = [p for p in ("permutation", "alone", "weights") if contrib.get(p)]
    if not panels:
        return None
    fig = Figure(figsize=(4.2 * len(panels), 3.4), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, panel in zip(axes, panels):
        if panel == "permutation":
            perm = contrib["permutation"]
            names = list(perm)
            ax.bar(names, [perm[n]["mean"] for n in names],
                   yerr=[perm[n]["std"] for n in names], color="#4c72b0", capsize=4)
            ax.axhline(0, color="#555", lw=0.8)
            ax.set_ylabel("accuracy drop")
            ax.set_title("accuracy lost when the modality is shuffled", fontsize=9)
        elif panel == "alone":
            names = list(contrib["alone"]) + ["fused"]
            values = list(contrib["alone"].values()) + [contrib["fused"]]
            ax.bar(names, values, color=["#8fb3c7"] * (len(names) - 1) + ["#1f4e79"])
            for i, v in enumerate(values):
                ax.text(i, v + 0.01, f"{v:.3f}", ha="center", fontsize=8)
            ax.set_ylim(0, 1.1)
            ax.set_ylabel("accuracy")
            ax.set_title("each modality alone vs fused", fontsize=9)
        else:
            w = contrib["weights"]
            ax.bar(list(w), list(w.values()), color="#c07a3a")
            kind = "kernel" if contrib["method"].startswith("kernel") else "late-fusion"
            ax.set_ylabel("weight")
            ax.set_title(f"{kind} weights", fontsize=9)
    return fig


# --------------------------------------------------------------------------- metadata

def _describe_model(model, metadata):
    """The model's metadata: the file's header when there is one, else what the model says
    (:func:`mmfuse.persistence.describe_model`: its input columns from the fitted fuser's
    ``input_schema_``)."""
    from .persistence import describe_model  # noqa: PLC0415

    return dict(metadata) if metadata else describe_model(model)


# --------------------------------------------------------------------------- the page

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:1000px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.8em;
border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em}
td,th{border:1px solid #d0d7de;padding:3px 9px;text-align:left;vertical-align:top}
th{background:#f3f5f7}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.avg td{background:#fafbfc;font-style:italic}
img{max-width:100%;height:auto}.muted{color:#666}.bad{color:#a11}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:.8em 0}
.card{border:1px solid #d0d7de;border-radius:6px;padding:8px 14px;min-width:130px}
.card b{display:block;font-size:1.5em}code,pre{font-size:.88em}
pre{background:#f6f8fa;padding:8px;overflow-x:auto;white-space:pre-wrap}
"""


def _esc(value) -> str:
    return html.escape("" if value is None else str(value))


def _table(header, rows, *, numeric=(), classes=None) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{classes[i]}"' if classes and classes[i] else ""
        cells = "".join(f'<td class="num">{_esc(v)}</td>' if j in numeric else
                        f"<td>{_esc(v)}</td>" for j, v in enumerate(row))
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _per_class_rows(per_class, labels):
    rows, classes = [], []
    for name in [str(c) for c in labels] + ["macro avg", "weighted avg"]:
        r = per_class.get(name)
        if r is None:
            continue
        rows.append([name, f"{r['precision']:.3f}", f"{r['recall']:.3f}",
                     f"{r['f1-score']:.3f}", int(r["support"])])
        classes.append("avg" if name.endswith(" avg") else "")
    return rows, classes


def _modality_table(contrib):
    """The per-modality table: one column per view the model allows."""
    views = [(key, head) for key, head in (
        ("permutation", "accuracy drop when shuffled (mean ± std)"),
        ("alone", "accuracy alone"), ("weights", "weight")) if contrib.get(key)]
    names = list(dict.fromkeys(n for key, _ in views for n in contrib[key]))
    if not names:
        return ""
    rows = []
    for n in names:
        row = [n]
        for key, _ in views:
            v = contrib[key].get(n)
            row.append("" if v is None else f"{v['mean']:+.3f} ± {v['std']:.3f}"
                       if key == "permutation" else f"{v:.3f}")
        rows.append(row)
    return _table(["modality", *(h for _, h in views)], rows,
                  numeric=tuple(range(1, len(views) + 1)))


def _render(metrics, figures, title) -> str:
    m = metrics
    cards = "".join(f'<div class="card"><span class="muted">{_esc(k)}</span><b>{v}</b></div>'
                    for k, v in [("accuracy", f"{m['accuracy']:.4f}"),
                                 ("macro-F1", f"{m['macro_f1']:.4f}"),
                                 ("balanced accuracy", f"{m['balanced_accuracy']:.4f}"),
                                 ("rows evaluated", m["n_samples"]),
                                 ("rows skipped", m["n_skipped"])])
    source = f" of <code>{_esc(m['source'])}</code>" if m.get("source") else ""
    parts = [f"<h1>{_esc(title)}</h1>",
             f'<p class="muted">{m["n_rows"]} rows{source}; generated {_esc(m["created"])} '
             f"by mmfuse {_esc(m['mmfuse'])}.</p>", f'<div class="cards">{cards}</div>']

    rows, classes = _per_class_rows(m["per_class"], m["labels"])
    parts += ["<h2>Per class</h2>",
              _table(["class", "precision", "recall", "F1", "support"], rows,
                     numeric=(1, 2, 3, 4), classes=classes)]
    parts += ["<h2>Confusion matrix</h2>",
              '<p class="muted">Rows are true classes, columns predicted classes.</p>',
              f'<img src="{figures["confusion"]}" alt="confusion matrix">']

    contrib = m["modalities"]
    parts += ["<h2>Per-modality contribution</h2>",
              f"<p>Fused accuracy {contrib['fused']:.4f}. "
              f"{_esc(contrib['method'][:1].upper() + contrib['method'][1:])}.</p>"]
    parts.append(_modality_table(contrib))
    if figures.get("modalities"):
        parts.append(f'<img src="{figures["modalities"]}" alt="per-modality contribution">')

    mis = m["misclassified"]
    parts.append(f"<h2>Misclassified rows ({m['n_misclassified']})</h2>")
    if mis:
        more = (f" The first {len(mis)} are listed." if m["n_misclassified"] > len(mis)
                else "")
        parts += [f"<p>In input order.{more}</p>",
                  _table(["row", "id", "true", "predicted"],
                         [[r["row"], r["id"], r["true"], r["predicted"]] for r in mis],
                         numeric=(0,))]
    else:
        parts.append("<p>None.</p>")

    if m["skipped"]:
        parts += [f'<h2 class="bad">Skipped rows ({m["n_skipped"]})</h2>',
                  "<p>Error rows left out of every number above (row contract: each input "
                  "row is evaluated or listed here).</p>",
                  _table(["row", "id", "column", "path", "cause"],
                         [[r["row"], r["id"], r["column"], r["path"], r["cause"]]
                          for r in m["skipped"]], numeric=(0,))]

    meta = m["model"]
    meta_rows = [[k, json.dumps(v, default=str) if isinstance(v, (dict, list)) else v]
                 for k, v in meta.items() if k not in ("user", "repr")]
    meta_rows += [[f"user: {k}", json.dumps(v, default=str) if isinstance(v, (dict, list))
                   else v] for k, v in (meta.get("user") or {}).items()]
    parts += ["<h2>Model</h2>", _table(["key", "value"], meta_rows)]
    if m.get("estimator_repr"):
        parts.append(f"<details><summary>estimator</summary><pre>"
                     f"{_esc(m['estimator_repr'])}</pre></details>")
    data = base64.b64encode(json.dumps(m, indent=2, default=str).encode()).decode("ascii")
    parts.append(f'<p class="muted">Every number on this page: '
                 f'<a download="metrics.json" href="data:application/json;base64,{data}">'
                 f"metrics.json</a> (also written beside this page).</p>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
            f"<title>{_esc(title)}</title><style>{_CSS}</style></head><body>\n"
            + "\n".join(parts) + "\n</body></html>\n")


def evaluate_model(model, X, y, out_dir, *, ids=None, on_error="raise", metadata=None,
                   n_misclassified=50, n_repeats=5, random_state=0,
                   title="mmfuse evaluation", source=None) -> dict:
    """Score a labelled set and write a shareable report into ``out_dir``.

    The rows are first checked with :func:`mmfuse.scoring.find_error_rows`
    (no modality present, an item that cannot be loaded). Under
    ``on_error='raise'`` the first error row raises; under ``'skip'`` the
    error rows leave the evaluation and are listed in the report with row,
    id, column, path and cause, so every input row is either evaluated or
    listed (the row contract).

    Parameters
    ----------
    model : fitted classifier
        A pipeline or fuser taking a DataFrame with one column per modality.
    X : pandas.DataFrame of shape (n_rows, n_columns)
        The rows to evaluate; its index labels are the row numbers shown.
    y : array-like of shape (n_rows,)
        True labels (strings from a manifest are cast to the dtype of
        ``model.classes_``).
    out_dir : str or os.PathLike
        Folder for ``index.html`` and ``metrics.json`` (created if absent).
    ids : array-like of shape (n_rows,), optional
        Row identifiers (a manifest's ``id`` column) shown beside row numbers.
    on_error : {'raise', 'skip'}, default='raise'
        What an error row does.
    metadata : dict, optional
        The model file's metadata (:func:`mmfuse.persistence.read_metadata`);
        by default the estimator, classes, input columns and library versions.
    n_misclassified : int, default=50
        How many misclassified rows to list (the first, in input order).
    n_repeats : int, default=5
        Shuffles per modality for the permutation contribution
        (:func:`modality_contributions`); 0 leaves it out.
    random_state : int, default=0
        Seed of the shuffles.
    title : str, default='mmfuse evaluation'
        Title of the page.
    source : str, optional
        Where the rows came from (a manifest path), shown on the page.

    Returns
    -------
    metrics : dict
        What ``metrics.json`` holds: ``accuracy``, ``macro_f1``,
        ``balanced_accuracy``, ``per_class`` (scikit-learn's
        ``classification_report`` as a dict), ``labels``,
        ``confusion_matrix``, ``modalities`` (:func:`modality_contributions`),
        ``misclassified`` (``row, id, true, predicted``), ``n_misclassified``,
        ``skipped`` (``row, id, column, path, cause``), ``n_rows``,
        ``n_samples`` (rows evaluated), ``n_skipped``, ``model`` (metadata).

    Raises
    ------
    MMFuseInputError
        Under ``on_error='raise'``, the first error row, naming its row, id,
        column, path and cause.
    ValueError
        Every row is an error row; ``y`` or ``ids`` of another length than
        ``X``; a bad ``on_error``, ``n_misclassified`` or ``n_repeats``.

    See Also
    --------
    sklearn.metrics.classification_report, sklearn.metrics.ConfusionMatrixDisplay

    Examples
    --------
    >>> import tempfile
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from mmfuse.datasets import make_multimodal
    >>> from mmfuse.fusion import FeatureFusion
    >>> from mmfuse.text import TfidfText
    >>> from mmfuse.report import evaluate_model
    >>> X, y = make_multimodal(120, modalities=("text",), random_state=0)
    >>> model = make_pipeline(FeatureFusion([("text", TfidfText(tokenizer="regex"),
    ...                                       "text")]), LogisticRegression())
    >>> model = model.fit(X[:80], y[:80])
    >>> with tempfile.TemporaryDirectory() as out:
    ...     metrics = evaluate_model(model, X[80:], y[80:], out, n_repeats=2)
    >>> metrics["n_samples"], metrics["n_skipped"], round(metrics["accuracy"], 2) > 0.5
    (40, 0, True)
    """
    import pandas as pd  # noqa: PLC0415
    from sklearn.metrics import (accuracy_score, balanced_accuracy_score,  # noqa: PLC0415
                                 classification_report, confusion_matrix, f1_score)

    import mmfuse  # noqa: PLC0415

    from .scoring import find_error_rows  # noqa: PLC0415

    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip'; got {on_error!r}")
    for name, value in (("n_misclassified", n_misclassified), ("n_repeats", n_repeats)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{name} must be an integer >= 0; got {value!r}")
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"X must be a pandas DataFrame with one column per modality; got "
                        f"{type(X).__name__}")
    n_rows = len(X)
    ids = (np.full(n_rows, None, dtype=object) if ids is None
           else np.asarray(pd.Series(ids).to_numpy(), dtype=object))
    for name, values in (("y", y), ("ids", ids)):
        if len(values) != n_rows:
            raise ValueError(f"{name} has {len(values)} entries but X has {n_rows} rows")
    rows = np.asarray(X.index, dtype=object)
    bad, errors = find_error_rows(model, X, _input_columns(model, X))
    id_of = dict(zip(X.index, ids))
    errors = [e.with_context(id=id_of.get(e.row)) for e in errors]
    if errors and on_error == "raise":
        raise errors[0]
    skipped = [e.as_record() for e in errors]
    if bad.all():
        raise ValueError(f"every one of the {n_rows} rows is an error row; nothing to "
                         f"evaluate (first: {errors[0]})" if errors else "no rows to evaluate")
    keep = ~bad
    X, ids, rows = X[keep], ids[keep], rows[keep]
    y = np.asarray(y, dtype=object)[keep]
    classes = getattr(model, "classes_", None)
    y = coerce_labels(y, classes) if classes is not None else np.asarray(y)
    pred = np.asarray(model.predict(X))
    labels = list(classes) if classes is not None else sorted(set(y) | set(pred))
    cm = confusion_matrix(y, pred, labels=labels)
    contrib = _modality_contributions(model, X, y, pred, n_repeats, random_state)
    wrong = np.flatnonzero(pred != y)
    metrics = {
        "n_rows": int(n_rows),
        "n_samples": int(len(y)),
        "n_skipped": len(skipped),
        "accuracy": float(accuracy_score(y, pred)),
        "macro_f1": float(f1_score(y, pred, average="macro", zero_division=0)),
        "balanced_accuracy": float(balanced_accuracy_score(y, pred)),
        "per_class": classification_report(y, pred, labels=labels, output_dict=True,
                                           zero_division=0),
        "labels": [str(c) for c in labels],
        "confusion_matrix": cm.tolist(),
        "modalities": contrib,
        "n_misclassified": int(len(wrong)),
        "misclassified": [{"row": _plain(rows[i]), "id": _plain(ids[i]),
                           "true": _plain(y[i]), "predicted": _plain(pred[i])}
                          for i in wrong[:int(n_misclassified)]],
        "skipped": [{k: _plain(v) for k, v in r.items()} for r in skipped],
        "model": _describe_model(model, metadata),
        "estimator_repr": repr(model),
        "source": None if source is None else str(source),
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "mmfuse": mmfuse.__version__,
    }
    figures = {"confusion": _png_data_uri(_confusion_figure(cm, labels))}
    fig = _modalities_figure(contrib)
    if fig is not None:
        figures["modalities"] = _png_data_uri(fig)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2, default=str),
                                          encoding="utf-8")
    (out_dir / "index.html").write_text(_render(metrics, figures, title), encoding="utf-8")
    return metrics


def _plain(value):
    """A NumPy scalar as the Python value JSON and HTML show."""
    return value.item() if hasattr(value, "item") else value
