"""Batch scoring of a manifest with a trained model: chunked, observable, atomic.

:func:`score_manifest` streams a manifest CSV in chunks (memory stays flat
whatever its length), scores each chunk, and appends the predictions to a
temporary file that is renamed over the destination only when every chunk is
done, so an interrupted run leaves no partial output. With
``on_error='skip'`` error rows (an item that cannot be loaded, or no modality
present) leave each chunk before the model sees it and are written, with row,
id, column, path and cause, in manifest order, to an errors CSV beside the
output; every good row is scored. Every row of the manifest is either a
prediction or an error, never both, never neither. Chunks can run in parallel
with joblib (``n_jobs``) or as Dask tasks (``scheduler='local'`` starts a
``LocalCluster`` on 127.0.0.1; any other value is the address of a running
scheduler). The output is the same whichever way the chunks ran.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._base import new_file_mode
from ._config import collect_warnings, config_context, get_config
from .exceptions import MMFuseInputError
from .io._manifest import (  # scan_manifest and count_rows are public here too
    count_rows,
    infer_modalities,
    read_manifest,
    resolve_paths,
    scan_manifest,
    warn_duplicate_ids,
)

__all__ = ["ScoreSummary", "count_rows", "find_error_rows", "iter_manifest", "scan_manifest",
           "score_frame", "score_manifest"]

ERROR_COLUMNS = ["row", "id", "column", "path", "cause"]


@dataclass
class ScoreSummary:
    """What :func:`score_manifest` did.

    Parameters
    ----------
    n_rows : int
        Data rows of the manifest.
    n_scored : int
        Rows written to the predictions file.
    n_errors : int
        Error rows (``n_scored + n_errors == n_rows``: the row contract).
    seconds : float
        Wall-clock time of the run.
    out : str
        The predictions file.
    errors_path : str or None
        The errors CSV (``row, id, column, path, cause``), None when no row failed.
    errors : list of dict
        The error records, in manifest order.
    """

    n_rows: int = 0
    n_scored: int = 0
    n_errors: int = 0
    seconds: float = 0.0
    out: str = ""
    errors_path: str | None = None
    errors: list = field(default_factory=list)

    @property
    def rows_per_second(self) -> float:
        """``n_rows / seconds``: the throughput of the run."""
        return self.n_rows / self.seconds if self.seconds else float("nan")


def model_columns(model, metadata=None) -> dict:
    """``{column: kind}`` the model reads, from its input schema, the saved metadata or itself.

    The kinds say how a manifest's cells are read: ``'image'`` and ``'audio'``
    cells are file paths (resolved against the manifest's folder), ``'text'``
    cells are left as written. They come from the model file's
    ``input_schema`` (:func:`mmfuse.persistence.read_metadata`) or the fitted
    fuser's ``input_schema_``; a numeric column is read as written. A column
    whose kind is unknown follows the manifest's naming convention
    (:func:`mmfuse.datasets.infer_modalities`: ``image*``, ``audio*``, else
    text). A model file written before input schemas were recorded has only
    its ``inputs``, which are used as they are.

    Parameters
    ----------
    model : estimator
        A fitted model, or an unfitted one (its blocks' declared modalities).
    metadata : dict, optional
        The model file's header (:func:`mmfuse.persistence.read_metadata`).

    Returns
    -------
    dict of {str: {'image', 'audio', 'text'}}
    """
    from ._schema import input_schema_of, modalities  # noqa: PLC0415
    from .persistence import describe_inputs  # noqa: PLC0415

    metadata = metadata or {}
    schema = metadata.get("input_schema")
    if schema is None and not metadata.get("inputs"):
        schema = input_schema_of(model)
    if schema is not None:
        cols = {c: ("text" if entry.get("kind") == "numeric" else kind)
                for (c, entry), kind in zip(schema.items(), modalities(schema).values())}
    else:  # an older model file's header, or an unfitted model
        cols = metadata.get("inputs") or describe_inputs(model)
    return {c: (k or infer_modalities([c]).get(c, "text")) for c, k in cols.items()}


def iter_manifest(path, columns, chunk_size=1000, *, encoding=None):
    """Yield manifest chunks (DataFrames indexed by global row number) with resolved paths.

    Reads with :func:`mmfuse.datasets.read_manifest`, the reader of training,
    so scoring sees the same text and the same missing cells.

    Parameters
    ----------
    path : str or os.PathLike
        The manifest CSV; relative item paths resolve against its folder.
    columns : dict or list of str
        The modality columns to resolve (``{column: kind}`` or names).
    chunk_size : int, default=1000
        Rows per chunk.
    encoding : str, optional
        As in :func:`scan_manifest`.

    Yields
    ------
    chunk : pandas.DataFrame
        Up to ``chunk_size`` rows, indexed by their row number in the manifest.

    Raises
    ------
    MMFuseInputError
        naming every required column the manifest lacks.
    """
    path = Path(path)
    header = next(read_manifest(path, encoding=encoding, chunksize=1), None)
    header = [] if header is None else list(header.columns)
    missing = [c for c in columns if c not in header]
    if missing:
        raise MMFuseInputError(f"manifest lacks column(s) {missing} that the model reads "
                               f"(found {header})", path=path)
    for chunk in read_manifest(path, encoding=encoding, chunksize=chunk_size):
        chunk, _ = resolve_paths(chunk, path.parent, columns, check_files=False)
        yield chunk


def find_error_rows(model, X, columns=None):
    """The rows of ``X`` that ``model`` cannot predict: ``(bad mask, errors)``; raises nothing.

    A row is an error row when none of the model's input columns holds a value
    (no modality present), or when an item cannot be loaded by the extractor
    that reads it (every item is loaded once with that extractor's loader;
    nothing is extracted or predicted). The loaders are found through the
    model's first step (a fuser, or an extractor; see
    :func:`mmfuse.fusion._blocks.block_screener`); a model whose inputs no
    mmfuse component reads is checked for empty rows only.

    Parameters
    ----------
    model : fitted estimator
    X : pandas.DataFrame
        The rows to check, with the model's input columns.
    columns : list of str, optional
        The model's input columns (default: :func:`model_columns`).

    Returns
    -------
    bad : ndarray of bool, shape (n_rows,)
    errors : list of MMFuseInputError
        In row order, each naming its row label, column, path and cause.
    """
    from .fusion._blocks import block_screener  # noqa: PLC0415

    columns = list(model_columns(model) if columns is None else columns)
    labels = list(X.index)
    none = _no_modality(X, columns)
    found = [(pos, MMFuseInputError(
        f"no modality is present (every one of {columns} is empty)", row=labels[pos]))
        for pos in np.flatnonzero(none)]
    bad = none.copy()
    screen = block_screener(model)
    if screen is not None and (~bad).any():
        rest = X[~bad]
        failed, errors = screen(rest)
        failed = np.asarray(failed, dtype=bool)
        positions = np.flatnonzero(~bad)[failed]
        found += [(pos, e.with_context(row=labels[pos])) for pos, e in zip(positions, errors)]
        bad[positions] = True
    found.sort(key=lambda t: t[0])
    return bad, [e for _, e in found]


def _no_modality(X, columns):
    """Rows of ``X`` where every one of ``columns`` is missing (None/NaN)."""
    from .io import missing_rows  # noqa: PLC0415

    none = np.ones(len(X), dtype=bool)
    for col in columns:
        none &= missing_rows(X[col])
    return none


def _predict(model, X, proba):
    pred = np.asarray(model.predict(X))
    P = np.asarray(model.predict_proba(X)) if proba else None
    return pred, P


def _as_record(exc, row, ident):
    e = exc if isinstance(exc, MMFuseInputError) else MMFuseInputError(
        f"{type(exc).__name__}: {exc}", row=row)
    return e.with_context(row=row, id=ident).as_record()


def score_frame(model, frame, columns, *, proba=False, on_error="raise", config=None):
    """Score one chunk; returns ``(predictions DataFrame, error records, input warnings)``.

    Under ``'skip'`` the chunk's error rows (:func:`find_error_rows`) leave it
    before the model sees it, and come back as records (row, id, column, path,
    cause) in row order; the good rows are predicted. If the model still
    refuses the batch (an error the screening cannot see), rows are scored one
    by one so only the bad ones are lost. Under ``'raise'`` the first error
    raises, naming its row and id.

    ``config`` is the caller's :func:`mmfuse.get_config` (device, working
    memory...), re-entered here so a worker thread, process or Dask task
    computes as its caller would. The :class:`~mmfuse.io.MMFuseInputWarning`
    of the chunk (blank images, damaged files) come back as values too, for
    the caller to report with the rows' ids.

    Parameters
    ----------
    model : fitted estimator
        The model to score with.
    frame : pandas.DataFrame
        One chunk of a manifest (:func:`iter_manifest`), with an optional ``id`` column.
    columns : list of str
        The model's input columns.
    proba : bool, default=False
        Add ``proba_<class>`` columns.
    on_error : {'raise', 'skip'}, default='raise'
        What an error row does.
    config : dict, optional
        Configuration to compute under (the caller's :func:`mmfuse.get_config`).

    Returns
    -------
    predictions : pandas.DataFrame
        ``row``, ``id``, ``prediction`` (and ``proba_<class>``), one row per good row.
    errors : list of dict
        ``row, id, column, path, cause`` of each error row.
    warnings : list of MMFuseInputWarning
    """
    with config_context(**(config or {})), collect_warnings() as notes:
        pred, errors = _score_frame(model, frame, columns, proba, on_error)
    return pred, errors, notes


def _score_frame(model, frame, columns, proba, on_error):
    import pandas as pd  # noqa: PLC0415

    X = frame[list(columns)]
    ids = frame["id"] if "id" in frame.columns else pd.Series([None] * len(frame),
                                                              index=frame.index)
    keep = np.ones(len(frame), dtype=bool)
    errors = []
    try:
        if on_error == "skip":
            bad, found = find_error_rows(model, X, columns)
            errors = [_as_record(e, e.row, ids.loc[e.row]) for e in found]
            keep = ~bad
        else:
            none = _no_modality(X, columns)
            if none.any():  # an error row for sure; name the earliest one up to it
                last = int(np.flatnonzero(none)[0])
                _raise_first_error(model, X.iloc[:last + 1], columns, ids)
        if keep.any():
            with config_context(on_error="raise"):
                pred, P = _predict(model, X[keep], proba)
        else:
            pred = np.zeros(0, dtype=getattr(model, "classes_", np.zeros(0)).dtype)
            P = np.zeros((0, len(getattr(model, "classes_", [])))) if proba else None
    except (MMFuseInputError, ValueError) as exc:
        if on_error == "raise":
            # the model stops at the first bad item of its first block: name the first
            # error row of the chunk instead, so the answer does not depend on chunking
            _raise_first_error(model, X, columns, ids)
            if isinstance(exc, MMFuseInputError) and exc.row in ids.index:
                raise exc.with_context(id=ids.loc[exc.row]) from None
            raise
        pred, P, keep, errors = _score_rows(model, X, ids, proba, keep, errors)
    out = pd.DataFrame({"row": np.asarray(frame.index)[keep]})
    if "id" in frame.columns:
        out["id"] = frame["id"].to_numpy()[keep]
    out["prediction"] = pred
    if proba:
        for j, c in enumerate(model.classes_):
            out[f"proba_{c}"] = P[:, j] if len(P) else np.zeros(0)
    return out, errors


def _raise_first_error(model, X, columns, ids):
    """Raise the first error row of ``X`` (row order), naming its id; return if there is none."""
    bad, found = find_error_rows(model, X, columns)
    if not found:
        return
    e = found[0]
    n = int(bad.sum())
    more = f" (and {n - 1} more error row(s) in rows {X.index[0]}-{X.index[-1]})" if n > 1 else ""
    raise MMFuseInputError(e.cause + more, row=e.row, column=e.column, path=e.path,
                           id=ids.loc[e.row] if e.row in ids.index else None) from None


def _score_rows(model, X, ids, proba, keep, errors):
    """Score the rows one by one: only the rows the model refuses are lost."""
    pred_rows, P_rows, others = [], [], []
    errors = list(errors)
    keep = keep.copy()
    n_tried = int(keep.sum())
    for i, r in enumerate(X.index):
        if not keep[i]:
            continue
        try:
            with config_context(on_error="raise"):
                p, pp = _predict(model, X.iloc[[i]], proba)
        except (MMFuseInputError, ValueError) as row_exc:  # a row the model refuses
            errors.append(_as_record(row_exc, r, ids.loc[r]))
            keep[i] = False
            if not isinstance(row_exc, MMFuseInputError):
                others.append(row_exc)
            continue
        pred_rows.append(p[0])
        if proba:
            P_rows.append(pp[0])
    if others and len(others) == n_tried:
        raise others[0]  # not bad rows but a problem of the model: say it
    position = {r: i for i, r in enumerate(X.index)}
    errors.sort(key=lambda e: position[e["row"]])
    return np.asarray(pred_rows), (np.asarray(P_rows) if proba else None), keep, errors


class _AtomicWriter:
    """Append DataFrames to a temporary CSV/Parquet file; rename into place on commit."""

    def __init__(self, path):
        self.path = Path(path)
        self.kind = OUTPUT_SUFFIXES.get(self.path.suffix.lower(), "csv")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, self.tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".partial",
                                        dir=self.path.parent)
        os.close(fd)
        self._writer = None
        self._schema = None
        self._rows = 0

    def write(self, df):
        if self.kind == "csv":
            df.to_csv(self.tmp, mode="a", header=self._rows == 0 and self._writer is None,
                      index=False)
            self._writer = True
        else:
            import pyarrow as pa  # noqa: PLC0415
            import pyarrow.parquet as pq  # noqa: PLC0415

            table = pa.Table.from_pandas(df, preserve_index=False, schema=self._schema)
            if self._writer is None:
                self._schema = table.schema
                self._writer = pq.ParquetWriter(self.tmp, self._schema)
            self._writer.write_table(table)
        self._rows += len(df)

    def commit(self, empty_frame):
        if self._writer is None:  # nothing written: still produce a valid empty file
            self.write(empty_frame)
        if self.kind == "parquet":
            self._writer.close()
        os.chmod(self.tmp, new_file_mode())  # mkstemp's 0600 -> what open() would give
        os.replace(self.tmp, self.path)

    def abort(self):
        if self.kind == "parquet" and self._writer not in (None, True):
            try:
                self._writer.close()
            except Exception:  # noqa: BLE001 - closing a half-written file may fail; it is deleted anyway
                pass
        if os.path.exists(self.tmp):
            os.unlink(self.tmp)


def _chunk_results(model, chunks, columns, proba, on_error, n_jobs, client, config):
    """Yield (chunk, predictions, errors, warnings) in manifest order, however computed."""
    kw = dict(proba=proba, on_error=on_error, config=config)
    if client is not None:
        yield from _dask_results(model, chunks, columns, kw, client)
        return
    if n_jobs is not None and n_jobs != 1:
        from itertools import islice  # noqa: PLC0415

        from joblib import Parallel, delayed, effective_n_jobs  # noqa: PLC0415

        # a bounded window of chunks at a time keeps memory flat on long manifests
        window = 2 * effective_n_jobs(n_jobs)
        chunks = iter(chunks)
        with Parallel(n_jobs=n_jobs) as par:
            while batch := list(islice(chunks, window)):
                results = par(delayed(score_frame)(model, c, columns, **kw) for c in batch)
                for c, result in zip(batch, results):
                    yield (c, *result)
        return
    for c in chunks:
        yield (c, *score_frame(model, c, columns, **kw))


class _DaskClient:
    """A Dask client for ``scheduler``: ``'local'`` starts a LocalCluster on 127.0.0.1.

    Connecting happens on entry, before any work, and fails within ``timeout``
    seconds with one line naming the address and what to do.
    """

    def __init__(self, scheduler, n_jobs=None, timeout=5):
        self.scheduler, self.n_jobs, self.timeout = scheduler, n_jobs, timeout
        self.client = self.cluster = None

    def __enter__(self):
        try:
            from distributed import Client, LocalCluster  # noqa: PLC0415
        except ImportError:
            raise ImportError("--scheduler needs Dask: pip install 'mmfuse[dask]'") from None
        if self.scheduler == "local":
            import logging  # noqa: PLC0415

            # a task's failure comes back to the client as one line; the workers' own
            # multi-line log of it would repeat it on stderr
            self.cluster = LocalCluster(n_workers=max(1, self.n_jobs or 2),
                                        threads_per_worker=1, processes=True,
                                        host="127.0.0.1", dashboard_address=None,
                                        silence_logs=logging.CRITICAL)
            self.client = Client(self.cluster)
            return self.client
        # Client's own timeout covers connecting, not a peer that accepts and then says
        # nothing (or speaks another protocol): wait for it in a thread, bounded
        import threading  # noqa: PLC0415

        outcome = {}

        def connect():
            try:
                outcome["client"] = Client(self.scheduler, timeout=self.timeout)
            except BaseException as exc:  # noqa: BLE001 - reported below, in this thread
                outcome["error"] = exc

        worker = threading.Thread(target=connect, daemon=True)
        worker.start()
        worker.join(self.timeout + 2)
        if "client" in outcome:
            self.client = outcome["client"]
            return self.client
        why = "no answer"
        if "error" in outcome:
            exc = outcome["error"]
            detail = (str(exc).strip().splitlines() or [""])[0][:160]
            why = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
        raise ConnectionError(
            f"cannot reach a Dask scheduler at {self.scheduler!r} within {self.timeout} s "
            f"({why}); start one (`dask scheduler`, then `dask worker ADDRESS`), check the "
            "address, or use --scheduler local")

    def __exit__(self, *exc):
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _dask_results(model, chunks, columns, kw, client):
    [model_f] = client.scatter([model], broadcast=True)
    window = 2 * max(1, len(client.scheduler_info().get("workers", {})))
    pending = []
    for c in chunks:
        pending.append((c, client.submit(score_frame, model_f, c, columns, pure=False, **kw)))
        if len(pending) >= window:
            c0, f0 = pending.pop(0)
            yield (c0, *f0.result())
    for c0, f0 in pending:
        yield (c0, *f0.result())


def score_manifest(model, manifest, out, *, proba=False, chunk_size=1000, on_error="raise",
                   n_jobs=None, scheduler=None, progress=None, metadata=None,
                   errors_out=None, encoding=None):
    """Score every row of ``manifest`` with ``model`` and write ``out`` (.csv or .parquet).

    The caller's configuration (:func:`mmfuse.get_config`: device, working
    memory) is carried into every worker. Rows are numbered from 0 (the first
    data row); errors are listed in manifest order whatever ``chunk_size``.

    Parameters
    ----------
    model : fitted estimator
        The model to score with.
    manifest : str or os.PathLike
        A manifest CSV (see :func:`mmfuse.datasets.load_manifest`).
    out : str or os.PathLike
        Destination; ``.parquet``/``.pq`` writes Parquet, ``.csv`` CSV. Written
        atomically (a temporary file renamed when every chunk is done).
    proba : bool, default=False
        Also write ``proba_<class>`` columns.
    chunk_size : int, default=1000
        Rows per chunk (memory is bounded by one chunk per worker).
    on_error : {'raise', 'skip'}, default='raise'
        ``'raise'`` stops at the first bad row (no output is written);
        ``'skip'`` scores every good row and writes the bad ones to
        ``errors_out``.
    n_jobs : int, default=None
        Chunks scored in parallel with joblib processes.
    scheduler : str, default=None
        ``'local'`` or a Dask scheduler address to score chunks as Dask tasks.
    progress : bool or None, default=None
        Show a tqdm bar with rows/s (None: only on a terminal).
    metadata : dict, default=None
        The model file's metadata (:func:`mmfuse.persistence.read_metadata`),
        which names its input columns.
    errors_out : str or os.PathLike, default=None
        Path of the errors CSV (default ``<out>.errors.csv``).
    encoding : str, default=None
        The manifest's encoding; None reads UTF-8 with or without BOM and
        refuses anything else before any row is scored (see
        :func:`mmfuse.datasets.read_manifest`).

    Returns
    -------
    ScoreSummary

    Raises
    ------
    MMFuseInputError
        Under ``on_error='raise'``, the first error row (naming its row, id,
        column, path and cause); a manifest lacking a column the model reads.
    ValueError
        A bad ``on_error``, ``chunk_size`` or output path; ``proba=True`` for
        a model without ``predict_proba``.

    Warns
    -----
    MMFuseInputWarning
        Once, naming every ``id`` that occurs on more than one row.
    """
    import pandas as pd  # noqa: PLC0415

    from ._base import progress_bar  # noqa: PLC0415

    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip'; got {on_error!r}")
    if int(chunk_size) < 1:
        raise ValueError(f"chunk_size must be >= 1; got {chunk_size}")
    if proba and not hasattr(model, "predict_proba"):
        raise ValueError(f"the model ({type(model).__name__} ending in "
                         f"{type(getattr(model, 'steps', [[None, model]])[-1][1]).__name__}) "
                         "has no predict_proba; score without --proba, or train a model "
                         "whose classifier gives probabilities")
    columns = model_columns(model, metadata)
    if not columns:
        raise ValueError("cannot tell which manifest columns the model reads; save it with "
                         "mmfuse.save from a fitted FeatureFusion/LateFusionClassifier "
                         "pipeline, or fit it on a DataFrame")
    check_output_path(out)
    t0 = time.perf_counter()
    with (_DaskClient(scheduler, n_jobs) if scheduler else contextlib.nullcontext()) as client:
        total, _, dups = scan_manifest(manifest, encoding=encoding)
        warn_duplicate_ids(dups, manifest, what="scored")
        summary = ScoreSummary(n_rows=total, out=str(out))
        chunks = iter_manifest(manifest, columns, chunk_size=int(chunk_size), encoding=encoding)
        config = get_config()
        writer = _AtomicWriter(out)
        all_errors = []
        empty = None
        try:
            with progress_bar(total=total, desc="scoring", progress=progress,
                              unit="rows") as bar:
                for chunk, pred, errs, notes in _chunk_results(
                        model, chunks, columns, proba, on_error, n_jobs, client, config):
                    if empty is None:
                        empty = pred.iloc[:0]
                    if len(pred):
                        writer.write(pred)
                    summary.n_scored += len(pred)
                    all_errors += errs
                    reissue_warnings(notes, chunk)
                    bar.update(len(chunk))
            writer.commit(empty if empty is not None else pd.DataFrame({"row": [],
                                                                        "prediction": []}))
        except BaseException:
            writer.abort()
            raise
    summary.errors = all_errors
    summary.n_errors = len(all_errors)
    if on_error == "skip":
        epath = Path(errors_out) if errors_out else Path(str(out) + ".errors.csv")
        epath = epath.with_suffix(".csv") if epath.suffix != ".csv" else epath
        if all_errors:
            ew = _AtomicWriter(epath)
            try:
                ew.commit(pd.DataFrame(all_errors, columns=ERROR_COLUMNS))
            except BaseException:
                ew.abort()
                raise
            summary.errors_path = str(ew.path)
        elif epath.is_file():  # an earlier run's errors no longer describe this output
            epath.unlink()
    summary.seconds = time.perf_counter() - t0
    return summary


OUTPUT_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def check_output_path(out) -> str:
    """The format of an output path (``'csv'`` or ``'parquet'``), checked before any work.

    Raises
    ------
    ValueError
        An extension other than ``.csv``, ``.parquet``, ``.pq``, or a folder
        that does not exist (it is not created for you: a typo would otherwise
        scatter outputs).
    ImportError
        ``.parquet`` without pyarrow (``pip install 'mmfuse[parquet]'``).
    """
    out = Path(out)
    kind = OUTPUT_SUFFIXES.get(out.suffix.lower())
    if kind is None:
        raise ValueError(f"output {str(out)!r}: unknown extension {out.suffix or '(none)'!r}; "
                         "write .csv, .parquet or .pq")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise ValueError(f"output {str(out)!r}: folder {str(parent)!r} does not exist; "
                         "create it first")
    if kind == "parquet":
        import importlib.util  # noqa: PLC0415

        if importlib.util.find_spec("pyarrow") is None:
            raise ImportError("writing .parquet needs pyarrow: pip install 'mmfuse[parquet]' "
                              "(or write .csv)")
    return kind


def reissue_warnings(notes, frame):
    """Issue collected input warnings (:func:`mmfuse._config.collect_warnings`) here,
    each naming its rows' ids (from ``frame['id']``) and paths."""
    if not notes:
        return
    import warnings  # noqa: PLC0415

    from .exceptions import MMFuseInputWarning  # noqa: PLC0415

    ids = dict(zip(frame.index, frame["id"])) if "id" in frame.columns else {}
    for note in notes:
        if isinstance(note, MMFuseInputWarning):
            warnings.warn(note.describe(ids), MMFuseInputWarning, stacklevel=3)
        else:
            warnings.warn(note, stacklevel=3)
