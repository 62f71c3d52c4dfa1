"""Evaluation reports: metrics JSON, confusion matrix, per-modality contribution, HTML.

``evaluate_model(model, X, y, out_dir)`` writes

* ``metrics.json``: accuracy, macro-F1, balanced accuracy, per-class scores,
  confusion matrix, per-modality accuracies (and late-fusion weights);
* ``confusion_matrix.png``;
* ``modalities.png``: accuracy of each modality alone beside the fused model
  (late fusion: each member model on its column; early and kernel fusion
  with a ``missing`` policy other than ``'error'``: the fused model with the
  other modalities blanked), and the late-fusion or kernel weights (the
  per-modality contribution of :class:`~mmfuse.fusion.KernelFusionClassifier`);
* ``index.html``: a self-contained page (inline CSS, relative links) showing them.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np

__all__ = ["coerce_labels", "evaluate_model", "modality_contributions"]


def coerce_labels(labels, classes):
    """Cast manifest labels (strings) to the dtype of the model's ``classes_``."""
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


def modality_contributions(model, X, y) -> dict:
    """Accuracy of each modality alone (where the model allows it) and of the fused model."""
    import pandas as pd  # noqa: PLC0415

    fused = float(np.mean(model.predict(X) == y))
    out = {"fused": fused, "alone": {}, "weights": None, "method": "fused only"}
    last = _final_step(model)
    members = getattr(last, "estimators_", None)
    spec = getattr(last, "estimators", None)
    if members is not None and spec is not None and len(spec) == len(members) \
            and all(len(s) == 3 for s in spec):
        out["method"] = "late fusion: each member model on its own column"
        for (name, _, col), est in zip(spec, members):
            Xc = X[col] if not isinstance(col, list) else X[col]
            present = np.array([v is not None and not (isinstance(v, float) and np.isnan(v))
                                for v in (Xc if isinstance(Xc, pd.Series) else Xc.iloc[:, 0])])
            if present.any():
                pred = est.predict(Xc[present] if isinstance(Xc, pd.Series) else
                                   Xc.loc[present])
                out["alone"][name] = float(np.mean(pred == np.asarray(y)[present]))
        w = getattr(last, "weights_", None)
        if w is not None:
            out["weights"] = {name: float(v) for (name, _, _), v in zip(spec, np.ravel(w))}
        return out
    kernels = getattr(last, "kernels", None)
    named = getattr(last, "named_weights_", None)
    if kernels is not None and named is not None and all(len(k) == 4 for k in kernels):
        out["method"] = ("kernel fusion: kernel weights; each modality alone is the fused "
                         "model with the other modalities blanked")
        out["weights"] = {name: float(w) for name, w in named.items()}
        if getattr(last, "missing", "error") != "error":
            # a block of weight 0 cannot carry a row alone
            _blanked(model, X, y, [(k[0], k[2]) for k in kernels if named.get(k[0], 0) > 0],
                     out)
        return out
    first = _first_step(model)
    parts = getattr(first, "transformers", None)
    missing = getattr(first, "missing", "error")
    if parts and missing != "error" and all(len(p) == 3 for p in parts):
        out["method"] = (f"early fusion: fused model with the other modalities blanked "
                         f"(missing={missing!r})")
        _blanked(model, X, y, [(name, col) for name, _, col in parts], out)
    return out


def _blanked(model, X, y, blocks, out):
    """Accuracy of each block alone: the fused model with every other block's column blanked."""
    import pandas as pd  # noqa: PLC0415

    cols = [col for _, col in blocks]
    for name, col in blocks:
        Xm = X.copy()
        for other in cols:
            if other != col:
                Xm[other] = pd.Series([None] * len(Xm), index=Xm.index, dtype=object)
        out["alone"][name] = float(np.mean(model.predict(Xm) == y))


def _plot_confusion(cm, labels, path):
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    n = len(labels)
    fig, ax = plt.subplots(figsize=(1.0 + 0.5 * n, 1.0 + 0.45 * n), dpi=100)
    im = ax.imshow(cm, cmap="Blues")
    ax.set_xticks(range(n), [str(c) for c in labels], rotation=45, ha="right")
    ax.set_yticks(range(n), [str(c) for c in labels])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    thresh = cm.max() / 2 if cm.size else 0
    for i in range(n):
        for j in range(n):
            ax.text(j, i, int(cm[i, j]), ha="center", va="center", fontsize=8,
                    color="white" if cm[i, j] > thresh else "black")
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _plot_modalities(contrib, path):
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    names = list(contrib["alone"]) + ["fused"]
    values = list(contrib["alone"].values()) + [contrib["fused"]]
    panels = 2 if contrib.get("weights") else 1
    fig, axes = plt.subplots(1, panels, figsize=(4.5 * panels, 3.2), dpi=100, squeeze=False)
    ax = axes[0, 0]
    colors = ["#8aa"] * (len(names) - 1) + ["#246"]
    ax.bar(names, values, color=colors)
    for i, v in enumerate(values):
        ax.text(i, v + 0.01, f"{v:.3f}", ha="center", fontsize=8)
    ax.set_ylim(0, 1.08)
    ax.set_ylabel("accuracy")
    ax.set_title("each modality alone vs fused", fontsize=9)
    if panels == 2:
        w = contrib["weights"]
        axes[0, 1].bar(list(w), list(w.values()), color="#a86")
        kind = "kernel" if contrib["method"].startswith("kernel") else "late-fusion"
        axes[0, 1].set_title(f"{kind} weights (per-modality contribution)", fontsize=9)
        axes[0, 1].set_ylim(0, 1)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def evaluate_model(model, X, y, out_dir, *, title="mmfuse evaluation", source=None) -> dict:
    """Compute metrics and write the report files into ``out_dir``; returns the metrics."""
    from sklearn.metrics import (accuracy_score, balanced_accuracy_score,  # noqa: PLC0415
                                 classification_report, confusion_matrix, f1_score)

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    classes = getattr(model, "classes_", None)
    y = coerce_labels(y, classes) if classes is not None else np.asarray(y)
    pred = model.predict(X)
    labels = list(classes) if classes is not None else sorted(set(y) | set(pred))
    cm = confusion_matrix(y, pred, labels=labels)
    contrib = modality_contributions(model, X, y)
    metrics = {
        "n_samples": int(len(y)),
        "accuracy": float(accuracy_score(y, pred)),
        "macro_f1": float(f1_score(y, pred, average="macro")),
        "balanced_accuracy": float(balanced_accuracy_score(y, pred)),
        "per_class": classification_report(y, pred, labels=labels, output_dict=True,
                                           zero_division=0),
        "labels": [str(c) for c in labels],
        "confusion_matrix": cm.tolist(),
        "modalities": contrib,
        "source": None if source is None else str(source),
    }
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2, default=str))
    _plot_confusion(cm, labels, out_dir / "confusion_matrix.png")
    _plot_modalities(contrib, out_dir / "modalities.png")
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{v:.4f}</td></tr>"
                   for k, v in [("accuracy", metrics["accuracy"]),
                                ("macro-F1", metrics["macro_f1"]),
                                ("balanced accuracy", metrics["balanced_accuracy"])])
    mod_rows = "".join(f"<tr><td>{html.escape(k)} alone</td><td>{v:.4f}</td></tr>"
                       for k, v in contrib["alone"].items())
    mod_rows += "".join(f"<tr><td>weight of {html.escape(k)}</td><td>{v:.4f}</td></tr>"
                        for k, v in (contrib.get("weights") or {}).items())
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;max-width:900px;margin:2em auto;color:#222}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 10px}}
img{{max-width:100%;border:1px solid #eee}}</style></head><body>
<h1>{html.escape(title)}</h1>
<p>{metrics['n_samples']} samples{(' from ' + html.escape(str(source))) if source else ''}.
Raw numbers: <a href="metrics.json">metrics.json</a>.</p>
<h2>Metrics</h2><table>{rows}{mod_rows}<tr><td>fused</td><td>{contrib['fused']:.4f}</td></tr>
</table><p>Per-modality method: {html.escape(contrib['method'])}.</p>
<h2>Confusion matrix</h2><a href="confusion_matrix.png"><img src="confusion_matrix.png"
alt="confusion matrix"></a>
<h2>Per-modality contribution</h2><a href="modalities.png"><img src="modalities.png"
alt="per-modality contribution"></a>
</body></html>
"""
    (out_dir / "index.html").write_text(page, encoding="utf-8")
    return metrics
