"""
An evaluation report to share
=============================

``mmfuse evaluate MODEL manifest.csv --report DIR`` (or
:func:`mmfuse.report.evaluate_model` from Python) writes ``DIR/index.html``:
**one self-contained page**, with its figures embedded as ``data:`` URIs and
no external request, so it can be attached to a ticket or mailed as it is. It
holds the overall metrics, a per-class table (precision, recall, F1,
support), the confusion matrix (scikit-learn's
:class:`~sklearn.metrics.ConfusionMatrixDisplay`), the contribution of each
modality, the first misclassified rows with their ids and labels, the rows
skipped as errors, and the model's metadata. ``DIR/metrics.json`` has the same
numbers for programs.

Here we evaluate a fused model on 200 test pairs, two of which are broken,
with ``on_error='skip'``.
"""

import base64
import io
import json
import re
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC

from mmfuse.audio import MFCCFeatures
from mmfuse.datasets import load_av_digits
from mmfuse.fusion import FeatureFusion
from mmfuse.image import HOGFeatures
from mmfuse.report import evaluate_model

data = load_av_digits()
train, test = data.split == "train", data.split == "test"
model = make_pipeline(
    FeatureFusion([("image", HOGFeatures(image_size=(28, 28), pixels_per_cell=(4, 4)), "image"),
                   ("audio", MFCCFeatures(sr=8000, n_fft=256, hop_length=80), "audio")],
                  block_norm="standard", missing="mean"),
    SVC(C=10)).fit(data.X[train], data.y[train])

frame = data.frame[test].head(200).copy()
frame["audio"] = frame["audio"].astype(object)
frame.loc[frame.index[7], ["image", "audio"]] = None        # no modality: an error row
frame.loc[frame.index[42], "image"] = "/no/such/image.png"  # cannot be loaded: an error row

report = Path(tempfile.mkdtemp(prefix="mmfuse-report-"))
metrics = evaluate_model(model, frame[["image", "audio"]], frame["label"], report,
                         ids=frame["id"], on_error="skip", n_repeats=2,
                         title="AV digits: early fusion, 200 test pairs")
print(f"accuracy {metrics['accuracy']:.3f} on {metrics['n_samples']} rows, "
      f"{metrics['n_skipped']} skipped; files: {sorted(p.name for p in report.iterdir())}")

# %%
# The page is self-contained
# --------------------------
# Every ``src`` and ``href`` of the page is a ``data:`` URI: no file beside it
# and no server is needed to show it.

page = (report / "index.html").read_text(encoding="utf-8")
links = re.findall(r'(?:src|href)="([^"]*)"', page)
print(f"{len(page) / 1024:.0f} KiB, {len(links)} links, all data URIs: "
      f"{all(u.startswith('data:') for u in links)}")

# %%
# Its figures, decoded from the page itself
# -----------------------------------------

images = re.findall(r'<img src="data:image/png;base64,([^"]+)"', page)
fig, axes = plt.subplots(1, 2, figsize=(12, 5), gridspec_kw={"width_ratios": [1, 1.5]})
for ax, blob in zip(axes, images):
    ax.imshow(plt.imread(io.BytesIO(base64.b64decode(blob)), format="png"))
    ax.set_axis_off()
axes[0].set_title("confusion matrix")
axes[1].set_title("per-modality contribution")
fig.tight_layout()

# %%
# Its tables, from ``metrics.json``
# ---------------------------------
# The skipped rows, with the row contract's fields:

saved = json.loads((report / "metrics.json").read_text())
pd.DataFrame(saved["skipped"])

# %%
# The first misclassified rows, with the manifest's ids:

pd.DataFrame(saved["misclassified"]).head(8)

# %%
# And the per-class scores (scikit-learn's ``classification_report``):

pd.DataFrame(saved["per_class"]).T.round(3)
