"""
Batch scoring with bad rows, and the errors table
=================================================

Real manifests hold broken files: a recording that was never written, a
truncated upload, a row whose every cell is empty. mmfuse follows one row
contract (:ref:`row-contract`): **every row that goes in comes out as a
prediction or as a reported error, never both, never neither.**
:func:`mmfuse.scoring.score_manifest` (``mmfuse score`` on the command line)
streams a manifest in chunks; with ``on_error='skip'`` it scores every good
row and writes each bad one, with its row, id, column, path and cause, to an
errors CSV, in manifest order.

We write 60 test pairs of the audio-visual digits to PNG and WAV files, break
a few on purpose, and score the manifest with a saved model.
"""

import tempfile
from pathlib import Path

import cv2
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import soundfile as sf
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC

import mmfuse
from mmfuse.audio import MFCCFeatures
from mmfuse.datasets import load_av_digits
from mmfuse.fusion import FeatureFusion
from mmfuse.image import HOGFeatures
from mmfuse.scoring import score_manifest

data = load_av_digits()
train = data.split == "train"
model = make_pipeline(
    FeatureFusion([("image", HOGFeatures(image_size=(28, 28), pixels_per_cell=(4, 4)), "image"),
                   ("audio", MFCCFeatures(sr=8000, n_fft=256, hop_length=80), "audio")],
                  block_norm="standard", missing="mean"),  # a missing modality is no error
    SVC(C=10)).fit(data.X[train], data.y[train])

folder = Path(tempfile.mkdtemp(prefix="mmfuse-scoring-"))
mmfuse.save(model, folder / "model.joblib", metadata={"trained_on": "AV digits, train split"})

# %%
# A manifest of files, some of them broken
# ----------------------------------------
# One row per sample; image and audio paths are relative to the CSV.

rows = []
for i in np.flatnonzero(~train)[:60]:
    cv2.imwrite(str(folder / f"{i}.png"), data.X["image"][i])
    clip, sr = data.X["audio"][i]
    sf.write(folder / f"{i}.wav", clip, sr)
    rows.append({"id": data.frame["id"][i], "image": f"{i}.png", "audio": f"{i}.wav",
                 "label": data.y[i]})
manifest = pd.DataFrame(rows)

(folder / "empty.wav").write_bytes(b"")                                  # a 0-byte upload
(folder / "cut.png").write_bytes((folder / manifest.image[3]).read_bytes()[:60])  # truncated
(folder / "notes.png").write_text("not an image")                        # wrong content
manifest.loc[5, "audio"] = "empty.wav"
manifest.loc[11, "image"] = "cut.png"
manifest.loc[17, "image"] = "notes.png"
manifest.loc[23, "audio"] = "never_recorded.wav"                         # no such file
manifest.loc[29, ["image", "audio"]] = None                              # nothing at all
manifest.loc[35, "audio"] = None                  # audio missing: fused from the image alone
manifest.to_csv(folder / "manifest.csv", index=False)
manifest.iloc[[3, 5, 11, 17, 23, 29, 35]]

# %%
# Score it
# --------
# The same as ``mmfuse score model.joblib manifest.csv --out predictions.csv
# --on-error skip --chunk-size 16``. The model is loaded with
# :func:`mmfuse.load`, which checks the file's checksum first.

summary = score_manifest(mmfuse.load(folder / "model.joblib"), folder / "manifest.csv",
                         folder / "predictions.csv", on_error="skip", chunk_size=16)
print(f"{summary.n_rows} rows: {summary.n_scored} scored, {summary.n_errors} reported "
      f"({summary.rows_per_second:.0f} rows/s)")
assert summary.n_scored + summary.n_errors == summary.n_rows  # the row contract

# %%
# The errors table
# ----------------
# One line per bad row, in manifest order: ``row`` counts data rows from 0,
# ``id`` is the manifest's, ``column`` and ``path`` say where, ``cause`` what.
# Row 35 is not there: a missing modality is not an error.

errors = pd.read_csv(summary.errors_path)
errors.assign(path=errors.path.map(lambda p: Path(p).name if isinstance(p, str) else p))

# %%
# Predictions and outcomes
# ------------------------

predictions = pd.read_csv(folder / "predictions.csv")
scored = predictions.merge(manifest[["id", "label"]], on="id")
outcome = pd.Series(np.where(scored.prediction == scored.label, "right", "wrong")).value_counts()
causes = errors.cause.str.replace(r"\s*\(.*", "", regex=True).str.slice(0, 38).value_counts()

fig, ax = plt.subplots(figsize=(8, 3.4))
labels = [f"scored, {k}" for k in outcome.index] + [f"skipped: {k}" for k in causes.index]
values = list(outcome.values) + list(causes.values)
colors = ["#2e7d4f" if "right" in k else "#c07a3a" if "wrong" in k else "#a33"
          for k in labels]
bars = ax.barh(labels[::-1], values[::-1], color=colors[::-1])
ax.bar_label(bars, padding=3)
ax.set_xlabel("rows")
ax.set_title(f"{summary.n_rows} manifest rows: every one is a prediction or an error")
fig.tight_layout()

# %%
# The same contract in memory
# ---------------------------
# On a DataFrame, the configuration ``on_error='skip'`` drops error rows
# before any extractor sees them, and :func:`mmfuse.collect_errors` gathers
# them: ``predict`` returns one prediction per good row, in input order.

X = pd.DataFrame({"image": [str(folder / p) if isinstance(p, str) else None
                            for p in manifest.image],
                  "audio": [str(folder / p) if isinstance(p, str) else None
                            for p in manifest.audio]})
with mmfuse.config_context(on_error="skip"), mmfuse.collect_errors() as bad_rows:
    y_pred = model.predict(X)
print(f"{len(y_pred)} predictions; error rows {sorted(e.row for e in bad_rows)}")
print(bad_rows[0])
plt.show()
