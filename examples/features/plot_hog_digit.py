"""
HOG of a handwritten digit, next to its descriptor
==================================================

A Histogram of Oriented Gradients (Dalal & Triggs 2005) describes an image by
the directions of its edges: each cell of ``pixels_per_cell`` pixels votes the
gradient magnitude of its pixels into ``orientations`` bins over 0-180°, and
overlapping blocks of cells are normalised. :func:`mmfuse.image.hog` computes it
for a whole batch of images at once and equals :func:`skimage.feature.hog`;
with ``visualize=True`` it also returns scikit-image's picture of the cell
histograms, a line per bin drawn along the edge direction.

Here we draw it for a few digits of the embedded audio-visual digits and put
the descriptor itself beside the picture. The ``av_digits`` recipe uses 4×4-pixel
cells on the 28×28 digits: 7×7 cells, too small to draw a line per bin. So the
digits are upsampled 4× (to 112×112) with 16×16-pixel cells: the same 7×7 grid
of cells and the same 1,296-value descriptor, drawn large enough to read.
"""

import cv2
import matplotlib.pyplot as plt
import numpy as np

from mmfuse.datasets import load_av_digits
from mmfuse.image import hog

data = load_av_digits(degrade=False)  # the clean MNIST digits
# one example each of 0, 4 and 7
rows = [int(np.flatnonzero(data.y == d)[0]) for d in (0, 4, 7)]
images = np.stack([cv2.resize(data.X["image"][i], (112, 112), interpolation=cv2.INTER_LINEAR)
                   for i in rows]).astype(np.float64) / 255.0
print(f"batch of {images.shape[0]} images of {images.shape[1]}x{images.shape[2]} pixels")

# %%
# The whole batch in one call
# ---------------------------
# ``feature_vector=False`` keeps the block structure ``(N, block rows, block
# columns, cell rows, cell columns, orientations)``; flattening it gives the
# descriptor that :class:`~mmfuse.image.HOGFeatures` feeds to a classifier.

blocks, pictures = hog(images, orientations=9, pixels_per_cell=(16, 16),
                       cells_per_block=(2, 2), visualize=True, feature_vector=False)
descriptors = blocks.reshape(len(images), -1)
print(f"blocks {blocks.shape} -> descriptor of {descriptors.shape[1]} values per image")

# %%
# Image, HOG picture and descriptor
# ---------------------------------
# Strong, consistent strokes give long lines in the picture and tall spikes in
# the descriptor; blank background cells give nothing. The descriptor is in
# scikit-image's order (block row, block column, cell row, cell column,
# orientation), so its nine-value bins repeat along the x axis.

fig, axes = plt.subplots(len(images), 3, figsize=(10, 2.6 * len(images)),
                         gridspec_kw={"width_ratios": [1, 1, 3]})
for row, (img, pic, desc, i) in enumerate(zip(images, pictures, descriptors, rows)):
    axes[row, 0].imshow(img, cmap="gray")
    axes[row, 0].set_title(f"digit {data.y[i]}")
    axes[row, 1].imshow(pic, cmap="magma")
    axes[row, 1].set_title("HOG cells (visualize=True)")
    for ax in axes[row, :2]:
        ax.set_axis_off()
    axes[row, 2].plot(desc, lw=0.6, color="#1f4e79")
    axes[row, 2].set_xlim(0, len(desc))
    axes[row, 2].set_ylabel("value")
    axes[row, 2].set_title(f"descriptor ({len(desc)} values, L2-Hys blocks)")
axes[-1, 2].set_xlabel("feature index")
fig.tight_layout()

# %%
# Which orientations carry the votes
# ----------------------------------
# Averaging the cells by orientation bin shows which gradient directions
# dominate each digit. The bin at 10° collects horizontal gradients, that is
# vertical strokes; the bin at 90° collects vertical gradients, that is
# horizontal edges.

angles = np.arange(9) * 20 + 10  # bin centres in degrees
profiles = blocks.reshape(len(images), -1, 9).mean(axis=1)
for profile, i in zip(profiles, rows):
    top = angles[np.argsort(profile)[::-1][:2]]
    print(f"digit {data.y[i]}: strongest bins at {top[0]}° and {top[1]}°")
fig, ax = plt.subplots(figsize=(6, 3.2))
for profile, i in zip(profiles, rows):
    ax.plot(angles, profile, marker="o", label=f"digit {data.y[i]}")
ax.set_xlabel("gradient orientation (degrees; 0 = horizontal gradient, a vertical edge)")
ax.set_ylabel("mean normalised vote")
ax.set_xticks(angles)
ax.legend()
fig.tight_layout()
plt.show()
