"""Training, model search and prediction on a Dask cluster (``pip install 'mmfuse[dask]'``).

:func:`fit_distributed` fits a model as :meth:`fit` would, with the feature
extraction spread over the workers of a :class:`distributed.Client`, and
gives the same fitted model (features equal to rounding, the same
predictions). For a :class:`~sklearn.pipeline.Pipeline` whose first step is
a :class:`~mmfuse.fusion.FeatureFusion` (every early-fusion and
single-modality recipe):

1. **client**: checks the parameters and applies the row contract to the
   rows (no item is loaded), cuts every block's column into row chunks and
   scatters them (``client.scatter``): paths, texts, or the items themselves
   when ``X`` holds arrays;
2. **one worker per block**: fits the block's extractor once, on all its
   present rows (a SIFT codebook on a sample of descriptors, a TF-IDF
   vocabulary; HOG and MFCC only check their parameters); the fitted
   extractor is then copied to every worker (``client.replicate``);
3. **every worker**: transforms the chunks it holds (``client.submit``, one
   task per block and chunk); the raw block features stay on the workers, and,
   when the fuser has a ``memory``, are also written to that
   :class:`joblib.Memory` cache (which must then be shared storage);
4. **workers**: the per-block normalisation is fitted (a row-wise L2 norm
   needs no pass; a standard scaler, a projection or the mean fill row of
   ``missing='mean'`` is fitted by one worker on the whole block, as a local
   fit computes it), then every chunk is normalised and fused where it lies;
5. **client**: gathers the fused chunks, the only rows of features it ever
   holds (``n_samples x n_features_out``, what the classifier needs anyway),
   and fits the rest of the pipeline (scaler, classifier) on them.

A search (:class:`~sklearn.model_selection.GridSearchCV` and the other
:class:`~sklearn.model_selection._search.BaseSearchCV`) runs its
cross-validation fits as Dask tasks through joblib's Dask backend
(:func:`dask_backend`), then refits the best candidate with
:func:`fit_distributed`. Any other model (late or kernel fusion) is fitted on
the client with joblib's Dask backend active, so its own joblib work (one
member per modality) runs as Dask tasks.

The caller's configuration (:func:`mmfuse.get_config`, scikit-learn's) travels
with every task. Fitting raises at the first bad row, as a local fit does (in
row order, block by block). :func:`predict_distributed` predicts (or
transforms, or screens) chunk by chunk on the workers; there, under
``on_error='skip'``, each task's error rows and input warnings come back as
values and are reported to the caller's :func:`mmfuse.collect_errors`, as
:mod:`mmfuse._parallel` does for joblib workers.

Nothing here schedules work itself: tasks go to the Dask scheduler
(``client.submit``, ``client.scatter``) or through joblib's Dask backend.
"""

from __future__ import annotations

import contextlib
import time
import uuid

import numpy as np

from ._config import config_context, get_config, report_errors, warn_input

__all__ = ["dask_backend", "fit_distributed", "fit_transform_distributed",
           "predict_distributed"]

#: The most rows a chunk holds when ``chunk_size`` is None.
MAX_CHUNK_ROWS = 2000


# --------------------------------------------------------------------------- the client

def _get_client(client):
    if client is not None:
        if not all(hasattr(client, m) for m in ("submit", "scatter", "gather")):
            if isinstance(client, str) and client.strip().lower() == "local":
                hint = "distributed.Client() (a LocalCluster on this machine)"
            elif isinstance(client, str):
                hint = f"distributed.Client({client!r})"
            else:
                hint = "distributed.Client(ADDRESS)"
            raise TypeError(f"client must be a distributed.Client; got "
                            f"{type(client).__name__} {client!r:.60}: pass client={hint}")
        return client
    try:
        from distributed import get_client  # noqa: PLC0415
    except ImportError:
        raise ImportError("training on Dask needs distributed: pip install 'mmfuse[dask]'") \
            from None
    try:
        return get_client()
    except ValueError:
        raise ValueError("no Dask client: pass client=distributed.Client(ADDRESS) (or create "
                         "one first, it becomes the default)") from None


def _n_threads(client):
    return max(1, sum(client.nthreads().values()))


def _bounds(n, chunk_size, client):
    """``[(start, stop), ...]`` row ranges; by default two chunks per worker thread."""
    if chunk_size is None:
        chunk_size = min(MAX_CHUNK_ROWS, -(-n // (2 * _n_threads(client))))
    chunk_size = int(chunk_size)
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1; got {chunk_size}")
    return [(a, min(a + chunk_size, n)) for a in range(0, n, chunk_size)]


def _rows(X, a, b):
    """Rows ``a:b`` of a column, frame, array, sparse matrix or list (pandas labels kept)."""
    if hasattr(X, "iloc"):
        return X.iloc[a:b]
    return X[a:b]


def _concat(parts):
    """The rows of ``parts`` (as :func:`_rows` cut them) joined again."""
    first = parts[0]
    if hasattr(first, "iloc"):
        import pandas as pd  # noqa: PLC0415

        return pd.concat(parts)
    import scipy.sparse as sp  # noqa: PLC0415

    if sp.issparse(first):
        return sp.vstack(parts, format="csr")
    if isinstance(first, np.ndarray):
        return np.concatenate(parts, axis=0)
    return [item for part in parts for item in part]


def _task_config():
    """The caller's mmfuse and scikit-learn configuration, for a worker (no progress bars)."""
    import sklearn  # noqa: PLC0415

    return {**get_config(), "progress": False}, sklearn.get_config()


def _in_context(func):
    """``func`` wrapped to run under the caller's configuration on a worker and to return
    ``(result, skipped errors, input warnings)`` (:class:`mmfuse._parallel._InContext`)."""
    from ._parallel import _InContext  # noqa: PLC0415

    return _InContext(func, *_task_config())


def _raise_first(futures):
    """Raise the exception of the first failed future, in the order given."""
    for f in futures:
        if f.status == "error":
            f.result()  # raises the worker's exception, with its traceback


def _merge_notes(notes):
    """Input warnings of one block, its chunks' warnings of the same cause joined (one
    warning per cause and column, with every row, as a local fit issues)."""
    from .exceptions import MMFuseInputWarning  # noqa: PLC0415

    merged = {}
    for note in notes:
        if not isinstance(note, MMFuseInputWarning):
            merged[id(note)] = note
            continue
        key = (note.cause, note.column)
        seen = merged.get(key)
        if seen is None:
            merged[key] = note
            continue
        paths = None
        if seen.paths is not None or note.paths is not None:
            paths = ((seen.paths or [None] * len(seen.rows))
                     + (note.paths or [None] * len(note.rows)))
        merged[key] = MMFuseInputWarning(note.cause, rows=seen.rows + note.rows,
                                         column=note.column, paths=paths)
    return list(merged.values())


class _Progress:
    """Stage lines (``on_stage``) and one tqdm bar per stage (off unless ``progress``)."""

    def __init__(self, on_stage, progress):
        self.on_stage = on_stage
        self.progress = progress

    def __call__(self, text):
        if self.on_stage is not None:
            self.on_stage(text)

    def wait(self, futures, desc, unit="chunk"):
        """Wait for ``futures`` (errors included), a bar counting them as they finish."""
        from distributed import as_completed  # noqa: PLC0415

        from ._base import progress_bar  # noqa: PLC0415

        futures = list(futures)
        with progress_bar(total=len(futures), desc=desc, progress=self.progress,
                          unit=unit) as bar:
            for _ in as_completed(futures):
                bar.update(1)


# --------------------------------------------------------------------------- tasks

def _fit_block(name, column, transformer, memory, key, y, *parts):
    """Worker: fit one block's extractor on its present rows (all chunks joined here)."""
    from ._base import strict_loading  # noqa: PLC0415
    from .fusion._blocks import in_block, take_rows  # noqa: PLC0415

    if transformer == "passthrough":
        return "passthrough"
    Xb = _concat([Xb for Xb, _ in parts])
    present = np.concatenate([p for _, p in parts])
    Xp = take_rows(Xb, present) if not present.all() else Xb
    fit = _fit_extractor if memory is None else memory.cache(
        _fit_extractor, ignore=["transformer", "X", "y"])
    with strict_loading():
        return in_block("block", name, column, transformer, fit, key, transformer, Xp, y)


def _fit_extractor(key, transformer, X, y):
    """``transformer.fit(X, y)``; module level so :class:`joblib.Memory` caches it by ``key``
    (the block's fit key, as :class:`~mmfuse.fusion.FeatureFusion` computes it)."""
    return transformer.fit(X, y)


def _extract_chunk(name, column, transformer, memory, key, part):
    """Worker: ``(raw block features of the chunk's present rows or None, present mask)``."""
    from ._base import strict_loading  # noqa: PLC0415
    from .fusion._blocks import fingerprint, in_block, take_rows, to_2d  # noqa: PLC0415
    from .fusion._early import _transform_one  # noqa: PLC0415

    Xb, present = part
    if not present.any():
        return None, present
    Xp = take_rows(Xb, present) if not present.all() else Xb
    transform = _transform_one if memory is None else memory.cache(
        _transform_one, ignore=["transformer", "X"])
    with strict_loading():
        Z = in_block("block", name, column, transformer, transform, key,
                     None if memory is None else fingerprint(Xp), transformer, Xp)
    return to_2d(Z, name), present


def _shape_of(extracted):
    """Worker: ``(rows, width, dtype, sparse)`` of an extracted chunk (None: no present row)."""
    import scipy.sparse as sp  # noqa: PLC0415

    (Z, _), _, _ = extracted
    if Z is None:
        return None
    return Z.shape[0], Z.shape[1], Z.dtype, sp.issparse(Z)


def _fit_post(fuser, name, dim, *extracted):
    """Worker: fit one block's normaliser/projector on the whole block (chunks joined here);
    ``(post, fill row)``."""
    Z = _concat([Z for (Z, _), _, _ in extracted if Z is not None])
    post, fill, _ = fuser._fit_post(name, Z, dim)
    return post, fill


def _fuse_chunk(fuser, *extracted):
    """Worker: normalise and fuse one chunk's blocks; ``(fused rows, warnings per block)``."""
    from .fusion._blocks import scatter_rows  # noqa: PLC0415

    blocks, presents, notes = [], [], []
    for (name, _, _), post, ((Z, present), _, block_notes) in zip(
            fuser.transformers_, fuser.posts_, extracted):
        fill = np.asarray(fuser.missing_fill_[name])
        if Z is not None:
            Zp = post.transform(Z)
        else:
            Zp = np.zeros((0, fuser.block_dims_[name]), dtype=fill.dtype)
        blocks.append(scatter_rows(Zp, present, fill))
        presents.append(present)
        notes.append(block_notes)
    return fuser._combine(blocks, presents), notes


# --------------------------------------------------------------------------- extraction

def fit_transform_distributed(fuser, X, y=None, *, client=None, chunk_size=None,
                              progress=None, on_stage=None):
    """Fit a :class:`~mmfuse.fusion.FeatureFusion` with its blocks extracted on Dask workers.

    The same fitted fuser and the same fused features as ``fuser.fit_transform(X, y)``
    (equal to rounding, 1e-6), computed as the module docstring says: every
    block's extractor is fitted once on one worker and replicated to all,
    the row chunks are extracted, normalised and fused on the workers, and
    only the fused rows come back to the client.

    Parameters
    ----------
    fuser : FeatureFusion
        Fitted in place (as :meth:`fit` does).
    X : DataFrame or array-like of shape (n_samples, n_columns)
        One column per modality (paths, texts, or items). Items are read by the
        workers: paths must resolve there as on the client (shared storage).
    y : array-like of shape (n_samples,), optional
        Passed to each extractor's ``fit``.
    client : distributed.Client, optional
        The cluster (default: :func:`distributed.get_client`, the current client).
    chunk_size : int, optional
        Rows per task (default: two chunks per worker thread, at most
        :data:`MAX_CHUNK_ROWS` rows each). The result does not depend on it.
    progress : bool, optional
        A progress bar per stage (None: only on a terminal).
    on_stage : callable, optional
        Called with one line of text as each stage starts.

    Returns
    -------
    X_fused : ndarray or CSR matrix of shape (n_samples, n_features_out)
        The fused training features, held by the client.

    Raises
    ------
    MMFuseInputError
        The first bad row (in row order, block by block), whatever ``on_error``
        says: a training row cannot be skipped, as in :meth:`FeatureFusion.fit`.
    ValueError, TypeError
        The parameter errors of :meth:`FeatureFusion.fit`, a bad ``chunk_size``,
        or no Dask client.
    ImportError
        distributed is not installed.

    Notes
    -----
    Held by the client: ``X`` (what the caller passed), the fitted extractors
    (codebooks, vocabularies), the fitted normalisers and the fused rows.
    Held by the workers: the chunks of ``X``, the descriptors of the items
    they load (never sent anywhere), each chunk's raw block features (until
    the fusion of that chunk); while a standard scaler, a projection or a
    mean fill row is fitted, one worker holds that whole block. A fuser with
    ``memory`` also caches each chunk's features there (:class:`joblib.Memory`,
    which all workers must reach).
    """
    from sklearn.base import clone  # noqa: PLC0415
    from sklearn.utils.validation import check_memory  # noqa: PLC0415

    from ._base import strict_loading  # noqa: PLC0415
    from .fusion import FeatureFusion  # noqa: PLC0415
    from .fusion._blocks import n_rows, take_rows  # noqa: PLC0415

    if not isinstance(fuser, FeatureFusion):
        raise TypeError(f"fit_transform_distributed fits a FeatureFusion; got "
                        f"{type(fuser).__name__} (fit_distributed takes any model)")
    client = _get_client(client)
    say = _Progress(on_stage, progress)
    fuser._validate_params()
    with strict_loading():
        entries, inputs, y_arr = fuser._start_fit(X, y)
    memory = check_memory(fuser.memory)
    caching = memory.location is not None
    n = n_rows(inputs[0][0])
    bounds = _bounds(n, chunk_size, client)
    names = [name for name, _, _ in entries]
    run = uuid.uuid4().hex[:8]  # task keys read mmfuse-<stage>-<block>-<chunk>-<run>

    # 1. the blocks' rows go to the workers, one future per block and chunk
    say(f"sending {n} rows to the workers in {len(bounds)} chunk(s) of up to "
        f"{bounds[0][1] - bounds[0][0]} rows ({_n_threads(client)} worker thread(s))")
    parts = [client.scatter([(_rows(Xb, a, b), present[a:b]) for a, b in bounds], hash=False)
             for Xb, present in inputs]

    # 2. each extractor fitted once, on one worker, then copied to every worker
    say(f"fitting the extractor(s) of {', '.join(names)} on the workers (one task each)")
    fits, keys = [], []
    for (name, t, _), col, (Xb, present), block_parts in zip(
            entries, fuser.columns_, inputs, parts):
        yp = None if y_arr is None else y_arr[present]
        t = "passthrough" if t == "passthrough" else clone(t)
        key = None
        if caching:
            key = fuser._fit_key(t, take_rows(Xb, present) if not present.all() else Xb, yp)
        keys.append(key)
        fits.append(client.submit(_in_context(_fit_block), name, col, t,
                                  memory if caching else None, key, yp, *block_parts,
                                  key=f"mmfuse-fit-{name}-{run}"))
    say.wait(fits, "fitting extractors", unit="block")
    fitted = [client.submit(_first, f, key=f"mmfuse-fitted-{n_}-{run}")
              if f.status != "error" else None for f, n_ in zip(fits, names)]
    fit_notes = [[] if f.status == "error" else
                 client.submit(_notes, f, key=f"mmfuse-fit-notes-{n_}-{run}")
                 for f, n_ in zip(fits, names)]
    good = [f for f in fitted if f is not None]
    if good:
        say.wait(good, "fitting extractors", unit="block")
        with contextlib.suppress(Exception):  # a copy per worker saves transfers, no more
            client.replicate(good)

    # 3. every chunk of every block extracted where it lies
    say(f"extracting {', '.join(names)}: {len(bounds) * len(names)} task(s)")
    extracted = []
    for (name, _, _), col, key, f, block_parts in zip(
            entries, fuser.columns_, keys, fitted, parts):
        extracted.append([] if f is None else [
            client.submit(_in_context(_extract_chunk), name, col, f,
                          memory if caching else None, key, part,
                          key=f"mmfuse-extract-{name}-{k}-{run}")
            for k, part in enumerate(block_parts)])
    say.wait([e for block in extracted for e in block], "extracting")
    for fit, block in zip(fits, extracted):  # a local fit raises block by block, row by row
        _raise_first([fit])
        _raise_first(block)
    fuser._fit_keys = keys if caching else [None] * len(entries)
    fuser.transformers_ = [(n_, t, c) for (n_, _, c), t
                           in zip(entries, client.gather(fitted))]

    # 4. the block normalisers, then each chunk normalised and fused on its worker
    say("fitting the block normalisers on the workers")
    shapes = [[s for s in client.gather(client.map(_shape_of, block, pure=False))
               if s is not None] for block in extracted]
    dims = fuser._target_dims([s[0][1] for s in shapes])
    fuser.posts_, fuser.missing_fill_ = [], {}
    for (name, _, _), block, block_shapes, dim in zip(entries, extracted, shapes, dims):
        post, fill = _block_post(fuser, client, name, block, block_shapes, dim)
        fuser.posts_.append(post)
        fuser.missing_fill_[name] = fill
    fuser._finish_fit()
    say(f"fusing {len(bounds)} chunk(s) on the workers and gathering the fused features")
    [fuser_f] = client.scatter([fuser], broadcast=True, hash=False)
    fused = [client.submit(_fuse_chunk, fuser_f, *[block[k] for block in extracted],
                           key=f"mmfuse-fuse-{k}-{run}") for k in range(len(bounds))]
    say.wait(fused, "fusing")
    _raise_first(fused)
    results = client.gather(fused)
    fit_notes = client.gather(fit_notes)
    for b in range(len(entries)):  # each block's warnings, in row order, joined per cause
        for note in _merge_notes(fit_notes[b] + [w for _, notes in results for w in notes[b]]):
            warn_input(note)
    from sklearn.utils._set_output import _wrap_data_with_container  # noqa: PLC0415

    # set_output(transform='pandas') as fit_transform honours it
    return _wrap_data_with_container("transform", _vstack([Z for Z, _ in results]), X, fuser)


def _first(result):
    """Worker: the result of an :func:`_in_context` task, without its errors and warnings."""
    return result[0]


def _notes(result):
    """Worker: the input warnings of an :func:`_in_context` task."""
    return list(result[2])


def _vstack(parts):
    import scipy.sparse as sp  # noqa: PLC0415

    if any(sp.issparse(p) for p in parts):
        return sp.vstack([sp.csr_matrix(p) for p in parts], format="csr")
    return np.concatenate(parts, axis=0)


def _block_post(fuser, client, name, block, shapes, dim):
    """``(fitted post, fill row)`` of one block, fitted where its chunks lie."""
    import scipy.sparse as sp  # noqa: PLC0415

    width, dtype, sparse = shapes[0][1], shapes[0][2], shapes[0][3]
    row_wise = (fuser.block_norm in ("l2", None) and (dim is None or dim == width)
                and fuser.missing != "mean")
    if not row_wise:  # a scaler, a projection or a mean: one worker, on the whole block
        return client.submit(_fit_post, fuser, name, dim, *block,
                             key=f"mmfuse-post-{name}-{uuid.uuid4().hex[:8]}").result()
    # an L2 norm (or none) is row by row and the fill row is constant: the post only
    # learns the block's width, which a probe row of that width and dtype gives
    probe = sp.csr_matrix((1, width), dtype=dtype) if sparse else np.zeros((1, width), dtype)
    post, fill, _ = fuser._fit_post(name, probe, dim)
    return post, fill


# --------------------------------------------------------------------------- fitting

def fit_distributed(estimator, X, y=None, *, client=None, chunk_size=None, progress=None,
                    on_stage=None):
    """Fit ``estimator`` on ``(X, y)`` with its work spread over a Dask cluster.

    The fitted model is the one ``estimator.fit(X, y)`` gives: the same
    fitted state (features equal to 1e-6), the same predictions, the same
    best parameters for a search.

    * A :class:`~sklearn.pipeline.Pipeline` whose first step is a
      :class:`~mmfuse.fusion.FeatureFusion` (or a fuser alone): the fuser is
      fitted with :func:`fit_transform_distributed` (extraction on the
      workers); the other steps are fitted on the client, on the gathered
      fused features.
    * A search (:class:`~sklearn.model_selection.GridSearchCV`,
      :class:`~sklearn.model_selection.RandomizedSearchCV`, ... with
      ``refit=True`` and one metric): its cross-validation fits run as Dask
      tasks (:func:`dask_backend`; ``n_jobs=None`` uses every worker thread),
      and the best candidate is refitted with :func:`fit_distributed`
      (``best_estimator_``, ``refit_time_`` set as the search sets them).
      Another ``refit`` lets the search refit on the client.
    * Any other model (:class:`~mmfuse.fusion.LateFusionClassifier`,
      :class:`~mmfuse.fusion.KernelFusionClassifier`, a plain scikit-learn
      estimator): fitted on the client inside :func:`dask_backend`, so its
      own joblib work (one task per member or block) runs on the workers.

    Parameters
    ----------
    estimator : estimator
        Fitted in place and returned, as by ``fit``.
    X : DataFrame or array-like of shape (n_samples, n_columns)
        The training rows; item paths must resolve on the workers.
    y : array-like of shape (n_samples,), optional
        Labels.
    client : distributed.Client, optional
        The cluster (default: the current client, :func:`distributed.get_client`).
    chunk_size : int, optional
        Rows per extraction task (see :func:`fit_transform_distributed`).
    progress : bool, optional
        Progress bars per stage (None: only on a terminal).
    on_stage : callable, optional
        Called with one line of text as each stage starts (``mmfuse train``
        prints them).

    Returns
    -------
    estimator
        The fitted estimator.

    Raises
    ------
    MMFuseInputError
        The first bad training row, as ``fit`` raises it.
    ValueError, TypeError
        What ``fit`` raises; no Dask client.
    ImportError
        distributed is not installed.

    See Also
    --------
    fit_transform_distributed : the extraction stage, and what lives where.
    predict_distributed : predictions chunk by chunk on the workers.

    Examples
    --------
    Not run here (it needs a cluster)::

        from distributed import Client
        from mmfuse.distributed import fit_distributed
        from mmfuse.pipelines import av_digits

        with Client("tcp://scheduler:8786") as client:
            model = fit_distributed(av_digits.build(), X, y, client=client)
    """
    from sklearn.model_selection._search import BaseSearchCV  # noqa: PLC0415
    from sklearn.pipeline import Pipeline  # noqa: PLC0415

    from .fusion import FeatureFusion  # noqa: PLC0415

    client = _get_client(client)
    say = _Progress(on_stage, progress)
    kw = dict(client=client, chunk_size=chunk_size, progress=progress, on_stage=on_stage)
    if isinstance(estimator, BaseSearchCV):
        return _fit_search(estimator, X, y, say, kw)
    if isinstance(estimator, FeatureFusion):
        fit_transform_distributed(estimator, X, y, **kw)
        return estimator
    steps = getattr(estimator, "steps", None)
    if isinstance(estimator, Pipeline) and isinstance(steps[0][1], FeatureFusion):
        estimator._validate_params()
        Xt = fit_transform_distributed(steps[0][1], X, y, **kw)
        if len(steps) > 1:
            rest = ", ".join(f"{name} ({type(step).__name__})" for name, step in steps[1:])
            say(f"fitting {rest} on the client, on the fused features "
                f"({Xt.shape[0]} x {Xt.shape[1]})")
            tail = Pipeline(steps[1:], memory=estimator.memory)
            tail.fit(Xt, y)
            estimator.steps[1:] = tail.steps
        return estimator
    say(f"fitting {type(estimator).__name__} on the client; its own parallel work runs "
        "as Dask tasks (only a FeatureFusion pipeline extracts in row chunks on the workers)")
    with dask_backend(client):
        estimator.fit(X, y)
    return estimator


def _fit_search(search, X, y, say, kw):
    """A search: CV fits as Dask tasks; the best candidate refitted with fit_distributed."""
    from sklearn.base import clone  # noqa: PLC0415

    client = kw["client"]
    if search.refit is not True:  # refit=False, or a metric/callable: the search's own way
        say(f"{type(search).__name__}: every fit as a Dask task"
            + ("" if search.refit is False else "; the refit on the client"))
        with dask_backend(client):
            search.fit(X, y)
        return search
    cv = clone(search).set_params(refit=False)
    say(f"{type(search).__name__}: the cross-validation fits as Dask tasks on "
        f"{_n_threads(client)} worker thread(s)")
    with dask_backend(client):
        cv.fit(X, y)
    if getattr(cv, "multimetric_", False):
        raise ValueError(f"{type(search).__name__} with several metrics needs refit=<metric "
                         "name>; refit=True picks no metric")
    for name, value in vars(cv).items():
        if name.endswith("_") and not name.startswith("_"):
            setattr(search, name, value)
    say(f"refitting the best candidate {search.best_params_} on all {len(X)} rows")
    best = clone(search.estimator).set_params(**clone(search.best_params_, safe=False))
    t0 = time.time()
    fit_distributed(best, X, y, **kw)
    search.refit_time_ = time.time() - t0
    search.best_estimator_ = best
    if hasattr(best, "feature_names_in_"):
        search.feature_names_in_ = best.feature_names_in_
    return search


# --------------------------------------------------------------------------- joblib

class _Configured:
    """A joblib task run under the caller's mmfuse configuration, its own joblib calls
    sequential (the cluster's parallelism is across the tasks)."""

    def __init__(self, func, config):
        self.func = func
        self.config = config

    def __call__(self, *args, **kwargs):
        import joblib  # noqa: PLC0415

        with config_context(**self.config), joblib.parallel_config(backend="sequential"):
            return self.func(*args, **kwargs)


def _backend(client, config):
    """joblib's Dask backend whose tasks carry ``config``; the plain one if joblib's
    internals moved (then tasks run under the workers' default configuration)."""
    try:
        from joblib._dask import DaskDistributedBackend  # noqa: PLC0415
    except ImportError:  # pragma: no cover - joblib without its Dask module
        return "dask"

    class ConfiguredDaskBackend(DaskDistributedBackend):
        def submit(self, func, callback=None):
            items = getattr(func, "items", None)
            if isinstance(items, list):
                func.items = [(_Configured(f, config), a, k) for f, a, k in items]
            return super().submit(func, callback)

    return ConfiguredDaskBackend(client=client)


@contextlib.contextmanager
def dask_backend(client=None):
    """joblib's Dask backend for the block: ``joblib.Parallel`` work runs as Dask tasks.

    What ``joblib.parallel_config(backend='dask')`` does, with the caller's
    :func:`mmfuse.get_config` carried into each task (device, working memory:
    a search computes on the workers as it would here), and the joblib
    calls *inside* a task run sequentially (the cluster's parallelism is
    across tasks, e.g. the fits of a grid search). scikit-learn's
    ``n_jobs=None`` means every worker thread inside this block.

    Parameters
    ----------
    client : distributed.Client, optional
        Default: the current client.

    Examples
    --------
    Not run here (it needs a cluster)::

        with Client("tcp://scheduler:8786") as client, dask_backend(client):
            scores = cross_val_score(model, X, y, cv=5)   # five Dask tasks
    """
    import joblib  # noqa: PLC0415

    client = _get_client(client)
    config = {**get_config(), "progress": False}
    with joblib.parallel_config(backend=_backend(client, config)):
        yield


# --------------------------------------------------------------------------- prediction

def _call(model, method, chunk):
    return getattr(model, method)(chunk)


def _screen(model, chunk):
    from .fusion._blocks import block_screener  # noqa: PLC0415

    return block_screener(model)(chunk)


def _map_chunks(client, model_f, X, fn, args, chunk_size):
    """``fn(model, *args, chunk)`` over row chunks of ``X``, in order, a bounded window in
    flight; the tasks' skipped-row errors and input warnings are reported here."""
    bounds = _bounds(len(X), chunk_size, client) if len(X) else []
    window = 4 * _n_threads(client)
    task = _in_context(fn)
    pending, out = [], []

    def collect(f):
        result, errors, notes = f.result()
        report_errors(errors)
        for note in notes:
            warn_input(note)
        out.append(result)

    for a, b in bounds:
        pending.append(client.submit(task, model_f, *args, _rows(X, a, b), pure=False))
        if len(pending) >= window:
            collect(pending.pop(0))
    for f in pending:
        collect(f)
    return out


def predict_distributed(model, X, *, client=None, method="predict", chunk_size=None):
    """``getattr(model, method)(X)`` computed chunk by chunk on Dask workers.

    The model is sent to every worker once (``client.scatter(..., broadcast=True)``);
    each chunk of rows is one task, run under the caller's configuration. Under
    ``on_error='skip'`` the rows each task skips are reported to the caller's
    :func:`mmfuse.collect_errors` and the result has one row per good row, in
    input order, as a local call gives.

    Parameters
    ----------
    model : fitted estimator
    X : DataFrame or array-like of shape (n_samples, n_columns)
    client : distributed.Client, optional
        Default: the current client.
    method : str, default='predict'
        ``'predict'``, ``'predict_proba'``, ``'decision_function'``, ``'transform'``...
    chunk_size : int, optional
        Rows per task (default: two chunks per worker thread, at most
        :data:`MAX_CHUNK_ROWS`).

    Returns
    -------
    ndarray or CSR matrix of shape (n_good_rows, ...)

    Raises
    ------
    MMFuseInputError
        Under ``on_error='raise'``, the first bad row, naming it.
    AttributeError
        ``model`` has no ``method``.
    """
    client = _get_client(client)
    getattr(model, method)  # an AttributeError here, not on a worker
    [model_f] = client.scatter([model], broadcast=True, hash=False)
    parts = _map_chunks(client, model_f, X, _call, (method,), chunk_size)
    if not parts:
        return getattr(model, method)(X)
    return _vstack([p if hasattr(p, "tocsr") else np.asarray(p) for p in parts])


class _OnDask:
    """A fitted model whose predictions (and row screening) run chunk by chunk on Dask.

    Every other attribute is the model's own, so a report that looks inside the
    model (its steps, classes, members) sees it as it is. Used by
    ``mmfuse evaluate --scheduler``.
    """

    def __init__(self, model, client, chunk_size=None):
        self.__dict__.update(model=model, client=client, chunk_size=chunk_size)
        [self.__dict__["_model_f"]] = client.scatter([model], broadcast=True, hash=False)

    def __getattr__(self, name):
        return getattr(self.__dict__["model"], name)

    def __repr__(self):
        return repr(self.model)

    def _run(self, method, X):
        parts = _map_chunks(self.client, self._model_f, X, _call, (method,), self.chunk_size)
        if not parts:
            return getattr(self.model, method)(X)
        return _vstack([np.asarray(p) for p in parts])

    def predict(self, X):
        return self._run("predict", X)

    def predict_proba(self, X):
        return self._run("predict_proba", X)

    def decision_function(self, X):
        return self._run("decision_function", X)

    @property
    def _screen_rows(self):
        from .fusion._blocks import block_screener  # noqa: PLC0415

        if block_screener(self.model) is None:
            raise AttributeError("_screen_rows")

        def screen(X):
            parts = _map_chunks(self.client, self._model_f, X, _screen, (), self.chunk_size)
            if not parts:
                return np.zeros(0, dtype=bool), []
            return (np.concatenate([np.asarray(f, dtype=bool) for f, _ in parts]),
                    [e for _, errors in parts for e in errors])

        return screen
