"""Where the benchmarks find the shared datasets, their loaders, and what they say when absent.

Only the benchmarks (and tests marked ``shared_data``) read ``../shared``; the recipes in
``mmfuse.pipelines`` never do.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["shared_datasets", "require", "load_fashion", "load_sms_spam", "CACHE"]

#: git-ignored folder for cached features of the evaluation scripts
CACHE = Path(__file__).resolve().parent / "out" / "cache"


def shared_datasets() -> Path:
    """``$MMFUSE_SHARED/datasets`` (or ``$MMFUSE_SHARED`` itself when it holds the
    dataset folders), else ``shared/datasets`` beside the repository checkout."""
    env = os.environ.get("MMFUSE_SHARED")
    if env:
        root = Path(env).expanduser()
        return root / "datasets" if (root / "datasets").is_dir() else root
    return Path(__file__).resolve().parents[2] / "shared" / "datasets"


def require(path, what) -> Path:
    """``path`` if it exists; else exit with a message saying where the data should be."""
    path = Path(path)
    if not path.exists():
        raise SystemExit(
            f"{what}: {path} not found. The evaluation data lives in shared/datasets beside "
            "the development checkout (not in a user's clone); set MMFUSE_SHARED to the "
            "folder holding it, or pass --data.")
    return path


def load_fashion(root=None, *, mask_category=False):
    """``(X, y, split)`` of the ``fashion_products`` data set (photos + titles).

    Parameters
    ----------
    root : path, optional
        The ``fashion_products`` folder (holding ``manifest.csv`` and
        ``images/``); default ``shared_datasets() / 'fashion_products'``.
    mask_category : bool, default=False
        Remove every word of every category name (and its variants, see
        :func:`mmfuse.pipelines.fashion.category_words`) from the titles, so
        the photo has to carry more of the decision.

    Returns
    -------
    X : DataFrame with columns ``image`` (absolute paths) and ``text`` (titles)
    y : ndarray of str, the article type (10 classes)
    split : ndarray of ``'train'`` / ``'test'`` (1,200 / 300 rows)

    Raises
    ------
    SystemExit
        When the folder or its manifest is absent, saying where the data should be.
    """
    from mmfuse.datasets import load_manifest
    from mmfuse.pipelines.fashion import category_words, mask_words

    root = Path(root) if root is not None else shared_datasets() / "fashion_products"
    manifest = require(root / "manifest.csv", "fashion_products")
    frame = load_manifest(manifest, modalities={"image": "image", "text": "text"},
                          require_label=True)
    X = frame[["image", "text"]].copy()
    if mask_category:
        words = category_words(frame["label"].unique())
        X["text"] = [mask_words(t, words) for t in X["text"]]
    return X, frame["label"].to_numpy(), frame["split"].to_numpy()


def load_sms_spam(root=None):
    """``(X, y, split)`` of the SMS Spam Collection (Almeida & Gomez Hidalgo 2011).

    ``root`` is the ``sms_spam`` folder holding ``sms_spam.tsv`` (default
    ``shared_datasets() / 'sms_spam'``). ``X`` is a one-column DataFrame
    (``text``), ``y`` the labels ``'ham'``/``'spam'``; ``split`` is None (use
    stratified cross-validation). Exits with a message when the file is absent.
    """
    import pandas as pd

    root = Path(root) if root is not None else shared_datasets() / "sms_spam"
    path = require(root / "sms_spam.tsv", "sms_spam")
    df = pd.read_csv(path, sep="\t", header=None, names=["label", "text"], quoting=3,
                     dtype=str, keep_default_na=False)
    return df[["text"]], df["label"].to_numpy(), None
