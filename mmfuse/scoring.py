"""Batch scoring of a manifest with a trained model: chunked, observable, atomic.

:func:`score_manifest` streams a manifest CSV in chunks (memory stays flat
whatever its length), scores each chunk, and appends the predictions to a
temporary file that is renamed over the destination only when every chunk is
done, so an interrupted run leaves no partial output. With
``on_error='skip'`` rows whose inputs cannot be read are left out of the
predictions and written, with row, id, column, path and cause, to an errors
CSV beside the output; every good row is scored. Chunks can run in parallel
with joblib (``n_jobs``) or as Dask tasks (``scheduler='local'`` starts a
``LocalCluster`` on 127.0.0.1; any other value is the address of a running
scheduler). The output is the same whichever way the chunks ran.
"""

from __future__ import annotations

import csv
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._config import collect_errors, config_context
from .datasets import infer_modalities, resolve_paths
from .io import MMFuseInputError

__all__ = ["ScoreSummary", "count_rows", "iter_manifest", "score_frame", "score_manifest"]

ERROR_COLUMNS = ["row", "id", "column", "path", "cause"]


@dataclass
class ScoreSummary:
    """What :func:`score_manifest` did."""

    n_rows: int = 0
    n_scored: int = 0
    n_errors: int = 0
    seconds: float = 0.0
    out: str = ""
    errors_path: str | None = None
    errors: list = field(default_factory=list)

    @property
    def rows_per_second(self) -> float:
        return self.n_rows / self.seconds if self.seconds else float("nan")


def count_rows(path) -> int:
    """Number of data rows of a CSV (quoted newlines handled)."""
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        return max(0, sum(1 for _ in csv.reader(f)) - 1)


def model_columns(model, metadata=None) -> dict:
    """``{column: kind}`` the model reads, from the saved metadata or the model itself."""
    from .persistence import describe_inputs  # noqa: PLC0415

    cols = (metadata or {}).get("inputs") or describe_inputs(model)
    return {c: (k or infer_modalities([c]).get(c, "text")) for c, k in cols.items()}


def iter_manifest(path, columns, chunk_size=1000):
    """Yield manifest chunks (DataFrames indexed by global row number) with resolved paths.

    Raises :class:`MMFuseInputError` naming every required column the manifest lacks.
    """
    import pandas as pd  # noqa: PLC0415

    path = Path(path)
    if not path.is_file():
        raise MMFuseInputError("manifest not found", path=path)
    header = pd.read_csv(path, nrows=0, dtype=str).columns.str.strip().tolist()
    missing = [c for c in columns if c not in header]
    if missing:
        raise MMFuseInputError(f"manifest lacks column(s) {missing} that the model reads "
                               f"(found {header})", path=path)
    reader = pd.read_csv(path, dtype=str, chunksize=chunk_size, encoding="utf-8",
                         encoding_errors="replace")
    for chunk in reader:
        chunk.columns = [c.strip() for c in chunk.columns]
        chunk, _ = resolve_paths(chunk, path.parent, columns, check_files=False)
        yield chunk


def _predict(model, X, proba):
    pred = np.asarray(model.predict(X))
    P = np.asarray(model.predict_proba(X)) if proba else None
    return pred, P


def _as_error(exc, row, ident):
    if isinstance(exc, MMFuseInputError):
        e = exc.with_context(row=row)
    else:
        e = MMFuseInputError(f"{type(exc).__name__}: {exc}", row=row)
    return {"row": row, "id": ident, "column": e.column, "path": e.path, "cause": e.cause}


def score_frame(model, frame, columns, *, proba=False, on_error="raise"):
    """Score one chunk; returns ``(predictions DataFrame, error dicts)``.

    Under ``'skip'``, extractors zero-fill rows they cannot read and report them;
    those rows are dropped. If the chunk still fails as a whole (e.g. a row the
    fuser refuses), rows are scored one by one so only the bad ones are lost.
    """
    import pandas as pd  # noqa: PLC0415

    X = frame[list(columns)]
    ids = frame["id"] if "id" in frame.columns else pd.Series(frame.index, index=frame.index)
    errors = []
    keep = np.ones(len(frame), dtype=bool)
    try:
        with config_context(on_error=on_error), collect_errors() as errs:
            pred, P = _predict(model, X, proba)
        pos = {r: i for i, r in enumerate(frame.index)}
        if any(e.row not in pos for e in errs):  # row labels lost somewhere: be safe
            raise RuntimeError("error rows could not be matched to the chunk")
        for e in errs:
            if keep[pos[e.row]]:
                keep[pos[e.row]] = False
                errors.append(_as_error(e, e.row, ids.loc[e.row]))
    except (MMFuseInputError, ValueError):
        if on_error == "raise":
            raise
        pred_rows, P_rows, keep, errors = [], [], np.zeros(len(frame), dtype=bool), []
        others = []
        for i, r in enumerate(frame.index):
            try:
                with config_context(on_error="raise"):
                    p, pp = _predict(model, X.iloc[[i]], proba)
            except (MMFuseInputError, ValueError) as row_exc:  # a row the model refuses
                errors.append(_as_error(row_exc, r, ids.loc[r]))
                if not isinstance(row_exc, MMFuseInputError):
                    others.append(row_exc)
                continue
            keep[i] = True
            pred_rows.append(p[0])
            if proba:
                P_rows.append(pp[0])
        if len(others) == len(frame):  # not bad rows but a problem of the model: say it
            raise others[0]
        pred = np.asarray(pred_rows)
        P = np.asarray(P_rows) if proba else None
    else:
        pred = pred[keep]
        P = P[keep] if proba else None
    out = pd.DataFrame({"row": np.asarray(frame.index)[keep]})
    if "id" in frame.columns:
        out["id"] = frame["id"].to_numpy()[keep]
    out["prediction"] = pred
    if proba:
        for j, c in enumerate(model.classes_):
            out[f"proba_{c}"] = P[:, j] if len(P) else np.zeros(0)
    return out, errors


class _AtomicWriter:
    """Append DataFrames to a temporary CSV/Parquet file; rename into place on commit."""

    def __init__(self, path):
        self.path = Path(path)
        self.kind = "parquet" if self.path.suffix.lower() in (".parquet", ".pq") else "csv"
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
        os.replace(self.tmp, self.path)

    def abort(self):
        if self.kind == "parquet" and self._writer not in (None, True):
            try:
                self._writer.close()
            except Exception:  # closing a half-written file may fail; it is deleted anyway
                pass
        if os.path.exists(self.tmp):
            os.unlink(self.tmp)


def _chunk_results(model, chunks, columns, proba, on_error, n_jobs, scheduler):
    """Yield (chunk, predictions, errors) in manifest order, however they were computed."""
    if scheduler:
        yield from _dask_results(model, chunks, columns, proba, on_error, n_jobs, scheduler)
        return
    if n_jobs is not None and n_jobs != 1:
        from itertools import islice  # noqa: PLC0415

        from joblib import Parallel, delayed, effective_n_jobs  # noqa: PLC0415

        # a bounded window of chunks at a time keeps memory flat on long manifests
        window = 2 * effective_n_jobs(n_jobs)
        chunks = iter(chunks)
        with Parallel(n_jobs=n_jobs) as par:
            while batch := list(islice(chunks, window)):
                results = par(delayed(score_frame)(model, c, columns, proba=proba,
                                                   on_error=on_error) for c in batch)
                for c, (pred, errs) in zip(batch, results):
                    yield c, pred, errs
        return
    for c in chunks:
        pred, errs = score_frame(model, c, columns, proba=proba, on_error=on_error)
        yield c, pred, errs


def _dask_results(model, chunks, columns, proba, on_error, n_jobs, scheduler):
    try:
        from distributed import Client, LocalCluster  # noqa: PLC0415
    except ImportError:
        raise ImportError("--scheduler needs Dask: pip install 'mmfuse[dask]'") from None
    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(n_workers=max(1, n_jobs or 2), threads_per_worker=1,
                               processes=True, host="127.0.0.1", dashboard_address=None)
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        [model_f] = client.scatter([model], broadcast=True)
        window = 2 * max(1, len(client.scheduler_info().get("workers", {})))
        pending = []
        for c in chunks:
            pending.append((c, client.submit(score_frame, model_f, c, columns, proba=proba,
                                             on_error=on_error, pure=False)))
            if len(pending) >= window:
                c0, f0 = pending.pop(0)
                yield (c0, *f0.result())
        for c0, f0 in pending:
            yield (c0, *f0.result())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def score_manifest(model, manifest, out, *, proba=False, chunk_size=1000, on_error="raise",
                   n_jobs=None, scheduler=None, progress=None, metadata=None,
                   errors_out=None):
    """Score every row of ``manifest`` with ``model`` and write ``out`` (.csv or .parquet).

    Parameters
    ----------
    model : fitted estimator
    manifest : path of a manifest CSV (see :func:`mmfuse.datasets.load_manifest`)
    out : destination path; ``.parquet``/``.pq`` writes Parquet, anything else CSV.
    proba : also write ``proba_<class>`` columns.
    chunk_size : rows per chunk (memory is bounded by one chunk per worker).
    on_error : ``'raise'`` stops at the first bad row (no output is written);
        ``'skip'`` scores every good row and writes the bad ones to ``errors_out``
        (default ``<out>.errors.csv``).
    n_jobs : chunks scored in parallel with joblib processes.
    scheduler : ``'local'`` or a Dask scheduler address to score chunks as Dask tasks.
    progress : show a tqdm bar with rows/s (None: only on a terminal).
    metadata : the model file's metadata (to know its input columns).

    Returns
    -------
    ScoreSummary
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
    t0 = time.perf_counter()
    total = count_rows(manifest)
    summary = ScoreSummary(n_rows=total, out=str(out))
    chunks = iter_manifest(manifest, columns, chunk_size=int(chunk_size))
    writer = _AtomicWriter(out)
    all_errors = []
    empty = None
    try:
        with progress_bar(total=total, desc="scoring", progress=progress, unit="rows") as bar:
            for chunk, pred, errs in _chunk_results(model, chunks, columns, proba, on_error,
                                                    n_jobs, scheduler):
                if empty is None:
                    empty = pred.iloc[:0]
                if len(pred):
                    writer.write(pred)
                summary.n_scored += len(pred)
                all_errors += errs
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
        ew = _AtomicWriter(epath.with_suffix(".csv") if epath.suffix != ".csv" else epath)
        try:
            ew.commit(pd.DataFrame(all_errors, columns=ERROR_COLUMNS))
        except BaseException:
            ew.abort()
            raise
        summary.errors_path = str(ew.path)
    summary.seconds = time.perf_counter() - t0
    return summary
