"""The input schema of a fitted fuser: the raw columns it reads, their kinds and dtypes.

Every fuser of :mod:`mmfuse.fusion` sets ``input_schema_`` in ``fit``
(:func:`input_schema`): one entry per raw input column, in the order of its
blocks::

    {"image": {"kind": "image", "dtype": "object", "block": "image"},
     "age":   {"kind": "numeric", "dtype": "float64", "block": "tabular"}}

``kind`` is the modality the block's extractor declares in its ``modality``
class attribute (``'image'`` for :class:`~mmfuse.image.HOGFeatures` and
:class:`~mmfuse.image.SIFTFeatures`, ``'text'`` for
:class:`~mmfuse.text.TfidfText`, ``'audio'`` for
:class:`~mmfuse.audio.MFCCFeatures` and
:class:`~mmfuse.audio.VTLPAugmentedClassifier`), found through a
:class:`~sklearn.pipeline.Pipeline`'s first step and the ``estimator`` of a
wrapper (search, calibration); a block without a declared modality is
``'numeric'`` when its column has a numeric dtype, else ``None`` (unknown).
``dtype`` is the column's dtype at fit time; ``block`` the name of the block
that reads it.

The schema is plain data (a ``dict`` of ``dict`` of ``str``), so it pickles,
goes into a skops archive and into the JSON header of a model file
(:func:`mmfuse.persistence.save`), which :mod:`mmfuse.scoring` and
:mod:`mmfuse.report` read instead of looking inside the model.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import _safe_indexing

__all__ = ["KINDS", "declared_modality", "input_schema", "input_schema_of", "modalities",
           "reader_chain"]

#: the kinds a schema entry can have (besides ``None``, unknown)
KINDS = ("image", "audio", "text", "numeric")
_MODALITIES = ("image", "audio", "text")


def reader_chain(estimator):
    """Yield ``estimator``, then each component it hands its raw column to.

    The walk goes into a :class:`~sklearn.pipeline.Pipeline`'s first step
    that is not ``'passthrough'``/None and into a wrapper's
    ``best_estimator_`` (a fitted search) or ``estimator`` (search,
    calibration), and stops at None or a string; at most 16 components (a
    wrapper chain is never that deep). The fusers find a block's item loader
    (:func:`mmfuse.fusion._blocks.block_screener`) and its declared modality
    (:func:`declared_modality`) along this chain.
    """
    for _ in range(16):
        if estimator is None or isinstance(estimator, str):
            return
        yield estimator
        steps = getattr(estimator, "steps", None)
        if isinstance(steps, list):
            estimator = next((s for _, s in steps if s not in (None, "passthrough")), None)
            continue
        inner = getattr(estimator, "best_estimator_", None)
        estimator = getattr(estimator, "estimator", None) if inner is None else inner


def declared_modality(estimator) -> str | None:
    """The ``modality`` an extractor declares, looking through pipelines and wrappers.

    Parameters
    ----------
    estimator : estimator, ``'passthrough'`` or None
        A block's transformer or classifier (fitted or not).

    Returns
    -------
    {'image', 'audio', 'text'} or None
        The ``modality`` class attribute of the first component of
        :func:`reader_chain` that declares one (the estimator, the first step
        of a :class:`~sklearn.pipeline.Pipeline` that is not
        ``'passthrough'``, the ``best_estimator_``/``estimator`` of a
        wrapper); None when none declares one.
    """
    for component in reader_chain(estimator):
        kind = getattr(type(component), "modality", None)
        if isinstance(kind, str):
            return kind
    return None


def _selected(X, column):
    """``[(name, dtype)]`` of the raw columns ``column`` selects from ``X``."""
    try:
        if hasattr(X, "columns") and hasattr(X, "iloc"):
            sub = _safe_indexing(X.iloc[:0], column, axis=1)
            if sub.ndim == 1:
                return [(sub.name, sub.dtype)]
            return list(zip(sub.columns, sub.dtypes))
        positions = _safe_indexing(np.arange(X.shape[1])[None, :], column, axis=1)
    except (ValueError, IndexError, KeyError, TypeError):
        return []
    return [(int(p), X.dtype) for p in np.ravel(positions)]


def input_schema(X, entries, columns) -> dict:
    """The input schema of a fuser fitted on ``X`` (see the module's description).

    Parameters
    ----------
    X : DataFrame, ndarray or sparse matrix of shape (n_samples, n_columns)
        The fuser's input, as its ``fit`` received it.
    entries : list of tuple
        The fuser's active blocks, each starting with its name and its
        transformer or classifier (``(name, estimator, column[, kernel])``).
    columns : list
        Each block's column selection, callables already resolved (the
        fitted ``columns_``).

    Returns
    -------
    dict of {str: dict}
        ``{column: {'kind': ..., 'dtype': ..., 'block': ...}}``; a column
        read by several blocks keeps its first.
    """
    schema = {}
    for (name, estimator, *_), column in zip(entries, columns):
        kind = declared_modality(estimator)
        for col, dtype in _selected(X, column):
            numeric = getattr(dtype, "kind", "O") in "iufcb"
            schema.setdefault(str(col), {"kind": kind or ("numeric" if numeric else None),
                                         "dtype": str(dtype), "block": str(name)})
    return schema


def input_schema_of(model) -> dict | None:
    """The ``input_schema_`` of a fitted fuser, or of a pipeline's first step; else None.

    The fuser is found along :func:`reader_chain`: a fitted search
    (``GridSearchCV`` and the like) is looked through to its
    ``best_estimator_``, a pipeline to its first step.
    """
    for component in reader_chain(model):
        schema = getattr(component, "input_schema_", None)
        if isinstance(schema, dict):
            return schema
    return None


def modalities(schema) -> dict:
    """``{column: 'image' | 'audio' | 'text' | None}`` of a schema: its modality columns' kinds.

    Numeric and unknown columns map to None, as in the ``inputs`` of a model
    file's header.
    """
    return {col: (entry.get("kind") if entry.get("kind") in _MODALITIES else None)
            for col, entry in schema.items()}
