"""Global configuration, modelled on :func:`sklearn.set_config`.

Keys
----
device : {'auto', 'cpu', 'cuda'}
    Used by estimators whose own ``device`` parameter is ``None``.
progress : bool or None
    Show tqdm progress bars; ``None`` shows them only when stderr is a terminal.
working_memory : int
    MiB that chunked computations (codebook assignment, kernels) may use per chunk.
on_error : {'raise', 'skip'}
    What feature extractors do with an item that cannot be loaded.  ``'raise'``
    raises :class:`mmfuse.io.MMFuseInputError`; ``'skip'`` gives the row a
    zero feature vector and reports the error to every active
    :func:`collect_errors` block, so a batch scorer can drop exactly those rows
    and keep all good ones.
"""

from __future__ import annotations

import contextlib
import sys
import threading

__all__ = ["collect_errors", "config_context", "get_config", "set_config", "show_progress"]

_DEFAULTS = {"device": "auto", "progress": None, "working_memory": 256, "on_error": "raise"}
# Process-wide rather than thread-local: extractors run inside joblib worker threads
# (FeatureFusion(n_jobs=...), load_column(n_jobs=...)) and must see the caller's policy.
_CONFIG = dict(_DEFAULTS)
_SINKS: list = []
_LOCK = threading.Lock()


def _cfg() -> dict:
    return _CONFIG


def get_config() -> dict:
    """A copy of the current configuration."""
    return dict(_cfg())


def set_config(*, device=None, progress="unset", working_memory=None, on_error=None) -> None:
    """Set configuration keys; ``None`` (or unset for ``progress``) leaves a key as it is."""
    cfg = _cfg()
    if device is not None:
        if device not in ("auto", "cpu", "cuda"):
            raise ValueError(f"device must be 'auto', 'cpu' or 'cuda'; got {device!r}")
        cfg["device"] = device
    if progress != "unset":
        if progress not in (None, True, False):
            raise ValueError(f"progress must be True, False or None; got {progress!r}")
        cfg["progress"] = progress
    if working_memory is not None:
        if int(working_memory) < 1:
            raise ValueError(f"working_memory must be >= 1 MiB; got {working_memory!r}")
        cfg["working_memory"] = int(working_memory)
    if on_error is not None:
        if on_error not in ("raise", "skip"):
            raise ValueError(f"on_error must be 'raise' or 'skip'; got {on_error!r}")
        cfg["on_error"] = on_error


@contextlib.contextmanager
def config_context(**kwargs):
    """Temporarily change configuration keys inside a ``with`` block."""
    old = get_config()
    set_config(**kwargs)
    try:
        yield
    finally:
        _cfg().clear()
        _cfg().update(old)


def show_progress(progress=None) -> bool:
    """Resolve an estimator's ``progress`` parameter against the config and the TTY."""
    if progress is None:
        progress = _cfg()["progress"]
    if progress is None:
        return bool(getattr(sys.stderr, "isatty", lambda: False)())
    return bool(progress)


def resolve_configured_device(device):
    """``device`` itself, or the configured default when it is None."""
    return _cfg()["device"] if device is None else device


@contextlib.contextmanager
def collect_errors():
    """Collect the input errors that extractors skip (``on_error='skip'``) in this block.

    Yields a list that receives every :class:`~mmfuse.io.MMFuseInputError`
    reported with :func:`report_errors` while the block runs (from any thread)::

        with config_context(on_error="skip"), collect_errors() as errors:
            y = model.predict(X)
        bad_rows = {e.row for e in errors}
    """
    sink = []
    with _LOCK:
        _SINKS.append(sink)
    try:
        yield sink
    finally:
        with _LOCK:
            _SINKS.remove(sink)


def report_errors(errors) -> None:
    """Hand skipped-row errors to every active :func:`collect_errors` block."""
    with _LOCK:
        for sink in _SINKS:
            sink.extend(errors)
