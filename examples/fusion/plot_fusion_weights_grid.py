"""
How much should each modality weigh? A grid search over fusion weights
======================================================================

:class:`~mmfuse.fusion.FeatureFusion` with ``strategy='weighted'`` scales each
normalised block by its weight before joining them, so the weights decide how
much each modality counts in the classifier's distances. They are ordinary
parameters (``fuse__weights``), so :class:`~sklearn.model_selection.GridSearchCV`
tunes them together with the classifier's ``C``, by cross-validation on the
training rows only.

With an RBF SVM and ``gamma='scale'`` only the *ratio* of the weights
matters (scaling every feature by the same factor rescales ``gamma`` with it),
so we vary the image weight against a fixed audio weight of 1.
"""

import tempfile

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from joblib import Memory
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC

from mmfuse.audio import MFCCFeatures
from mmfuse.datasets import load_av_digits
from mmfuse.fusion import FeatureFusion
from mmfuse.image import HOGFeatures

data = load_av_digits()
test = data.split == "test"
# 600 of the 1,000 training pairs keep this example fast; the search sees nothing else
train = (data.split == "train") & (np.cumsum(data.split == "train") <= 600)

model = Pipeline([
    ("fuse", FeatureFusion(
        [("image", HOGFeatures(image_size=(28, 28), pixels_per_cell=(4, 4)), "image"),
         ("audio", MFCCFeatures(sr=8000, n_fft=256, hop_length=80), "audio")],
        strategy="weighted", block_norm="standard",
        # descriptors are extracted once per fold, not once per candidate
        memory=Memory(tempfile.mkdtemp(prefix="mmfuse-gallery-"), verbose=0))),
    ("svc", SVC()),
])
image_weights = [0.25, 0.5, 1.0, 2.0, 4.0]
grid = {"fuse__weights": [{"image": w, "audio": 1.0} for w in image_weights],
        "svc__C": [1.0, 10.0]}
search = GridSearchCV(model, grid, cv=StratifiedKFold(3, shuffle=True, random_state=0))
search.fit(data.X[train], data.y[train])
print(f"{len(search.cv_results_['params'])} candidates x 3 folds; best {search.best_params_} "
      f"with CV accuracy {search.best_score_:.3f}")

# %%
# The heat map of cross-validated accuracy
# ----------------------------------------
# Weighting the image too little leaves the model close to audio alone, too
# much close to image alone; the best ratio sits between, and ``C`` matters
# less than the weights.

res = pd.DataFrame(search.cv_results_)
res["image weight"] = [p["image"] for p in res["param_fuse__weights"]]
table = res.pivot_table(index="param_svc__C", columns="image weight",
                        values="mean_test_score")
fig, ax = plt.subplots(figsize=(8, 2.8))
im = ax.imshow(table.to_numpy(), cmap="viridis", aspect="auto")
ax.set_xticks(range(table.shape[1]), [f"{w:g}" for w in table.columns])
ax.set_yticks(range(table.shape[0]), [f"{c:g}" for c in table.index])
ax.set_xlabel("image weight (audio weight 1)")
ax.set_ylabel("SVC C")
for (r, c), v in np.ndenumerate(table.to_numpy()):
    ax.text(c, r, f"{v:.3f}", ha="center", va="center",
            color="black" if v > table.to_numpy().mean() else "white", fontsize=9)
fig.colorbar(im, ax=ax, label="mean CV accuracy")
ax.set_title("3-fold CV accuracy on 600 training pairs")
fig.tight_layout()

# %%
# One look at the test split
# --------------------------
# The weights were chosen on the training rows; the test pairs are scored
# once, with the refitted best model.

print(f"test accuracy of the best model: {search.score(data.X[test], data.y[test]):.3f}")
plt.show()
