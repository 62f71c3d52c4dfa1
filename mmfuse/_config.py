"""Context-local configuration, modelled on :func:`sklearn.set_config`.

Keys
----
device : {'auto', 'cpu', 'cuda'}
    Used by every estimator whose own ``device`` parameter is ``None`` (the
    default everywhere).
progress : bool or None
    Show tqdm progress bars; ``None`` shows them only when stderr is a terminal.
working_memory : int or None
    MiB that one chunk of mmfuse's batched computations (HOG, dense SIFT,
    codebook assignment, kernels, MFCC) may use. None (the default) is
    scikit-learn's ``working_memory`` (:func:`sklearn.set_config`, 1024 MiB by
    default), so one setting bounds scikit-learn's chunked computations and
    mmfuse's; a number sets mmfuse's alone. :func:`get_config` reports the
    budget in effect.
on_error : {'raise', 'skip'}
    What prediction-time calls (``transform``, ``predict``, ``predict_proba``,
    ``decision_function``) do with a row whose item cannot be loaded, or a row
    in which no modality is present. ``'raise'`` raises
    :class:`mmfuse.MMFuseInputError`; ``'skip'`` removes the row from the
    batch before any extractor or classifier sees it (the output has one row
    per *good* input row, in input order) and reports its error to every
    active :func:`collect_errors` block. Fitting always raises: a training
    row cannot be dropped without its label.

The configuration and the active :func:`collect_errors` blocks live in
:mod:`contextvars`, so concurrent threads (and asyncio tasks) each see their
own. :class:`mmfuse._parallel.Parallel` carries them into joblib workers,
threads or processes, as :mod:`sklearn.utils.parallel` does for scikit-learn's
configuration, and brings the workers' errors back as values.
"""

from __future__ import annotations

import contextlib
import contextvars
import sys

from .exceptions import MMFuseInputWarning

__all__ = ["collect_errors", "config_context", "get_config", "set_config", "show_progress"]

_DEFAULTS = {"device": "auto", "progress": None, "working_memory": None, "on_error": "raise"}
_CONFIG: contextvars.ContextVar[dict] = contextvars.ContextVar("mmfuse_config",
                                                               default=_DEFAULTS)
_SINKS: contextvars.ContextVar[tuple] = contextvars.ContextVar("mmfuse_error_sinks",
                                                               default=())


def _cfg() -> dict:
    return _CONFIG.get()


def get_config() -> dict:
    """A copy of the configuration of the current context (thread, task).

    ``working_memory`` is the budget in effect: mmfuse's own when set, else
    scikit-learn's (:func:`sklearn.get_config`).
    """
    cfg = dict(_cfg())
    if cfg["working_memory"] is None:
        import sklearn  # noqa: PLC0415  (import mmfuse does not import scikit-learn)

        cfg["working_memory"] = sklearn.get_config()["working_memory"]
    return cfg


def _validated(cfg, **kwargs):
    unknown = sorted(set(kwargs) - set(_DEFAULTS))
    if unknown:
        raise TypeError(f"unknown configuration key(s) {unknown}; the keys are "
                        f"{sorted(_DEFAULTS)}")
    return _checked(cfg, **kwargs)


def _checked(cfg, *, device=None, progress="unset", working_memory=None, on_error=None):
    cfg = dict(cfg)
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
    return cfg


def set_config(*, device=None, progress="unset", working_memory=None, on_error=None) -> None:
    """Set configuration keys in the current context; ``None`` (unset for ``progress``) keeps a key.

    Like :func:`sklearn.set_config`, the change is local to the calling thread
    (context): other threads keep their own configuration, and work handed to
    :class:`mmfuse._parallel.Parallel` receives the caller's.

    Parameters
    ----------
    device : {'auto', 'cpu', 'cuda'}, optional
        Where estimators whose own ``device`` is None compute (default
        ``'auto'``: CUDA through CuPy when usable, else the CPU).
    progress : bool or None, optional
        Show tqdm progress bars; None shows them only when stderr is a terminal.
    working_memory : int >= 1, optional
        MiB that one chunk of mmfuse's batched computations may use; unset,
        scikit-learn's ``working_memory`` applies (:func:`sklearn.set_config`).
    on_error : {'raise', 'skip'}, optional
        What prediction-time calls do with an error row (module docstring of
        :mod:`mmfuse._config`; :ref:`row-contract`).

    Raises
    ------
    ValueError
        An unknown device or ``on_error`` value, ``working_memory < 1``, or a
        ``progress`` other than True/False/None.
    """
    _CONFIG.set(_validated(_cfg(), device=device, progress=progress,
                           working_memory=working_memory, on_error=on_error))


@contextlib.contextmanager
def config_context(**kwargs):
    """Temporarily change configuration keys inside a ``with`` block (this context only).

    Parameters
    ----------
    **kwargs
        Keys of :func:`set_config` (``device``, ``progress``, ``working_memory``,
        ``on_error``).
    """
    token = _CONFIG.set(_validated(_cfg(), **kwargs))
    try:
        yield
    finally:
        _CONFIG.reset(token)


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
    """Collect the input errors of rows skipped (``on_error='skip'``) in this block.

    Yields a list that receives every :class:`~mmfuse.io.MMFuseInputError`
    reported while the block runs in this context, including by work that
    mmfuse hands to its own joblib workers. Other threads' errors never
    arrive here::

        with config_context(on_error="skip"), collect_errors() as errors:
            y_pred = model.predict(X)          # one prediction per good row
        bad = {e.row for e in errors}          # row labels of X
        good = [r for r in X.index if r not in bad]   # the rows of y_pred

    Blocks nest: an error reaches every enclosing block of the same context.
    """
    sink = []
    token = _SINKS.set(_SINKS.get() + (sink,))
    try:
        yield sink
    finally:
        _SINKS.reset(token)


def report_errors(errors) -> None:
    """Hand skipped-row errors to the :func:`collect_errors` blocks of the current context.

    Without an active block the rows would leave the batch unseen: an
    :class:`~mmfuse.io.MMFuseInputWarning` names them instead (the first ten,
    and how many), so no row is ever dropped silently.
    """
    errors = list(errors)
    if not errors:
        return
    sinks = _SINKS.get()
    if sinks:
        for sink in sinks:
            sink.extend(errors)
        return
    import warnings  # noqa: PLC0415

    shown = "; ".join(str(e) for e in errors[:10])
    more = f"; and {len(errors) - 10} more" if len(errors) > 10 else ""
    warnings.warn(MMFuseInputWarning(
        f"{len(errors)} row(s) left out under on_error='skip' ({shown}{more}); collect them "
        "with mmfuse.collect_errors()"), stacklevel=3)


def collecting() -> bool:
    """Whether a :func:`collect_errors` block is active in the current context."""
    return bool(_SINKS.get())


def follow_configured_device(estimator) -> list:
    """Make every component of a (fitted) model follow the configured device.

    Sets ``device=None`` on every estimator reachable from ``estimator`` that
    has a ``device`` parameter: the nested parameters *and* the fitted
    components that :meth:`get_params` does not show (a fuser's
    ``transformers_``/``estimators_``, a SIFT extractor's ``encoder_``...).
    The model then runs wherever :func:`config_context` (or the CLI's
    ``--device``) says, e.g. a model fitted with ``device='cuda'`` on a
    CPU-only host. Fitted state is NumPy whatever the device, so results do
    not change.

    Returns
    -------
    changed : list of str
        The class names of the components whose device was changed.
    """
    changed, seen, stack = [], set(), [estimator]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, type):
            continue
        seen.add(id(obj))
        if isinstance(obj, dict):
            stack.extend(obj.values())
            continue
        if isinstance(obj, (list, tuple)):
            stack.extend(obj)
            continue
        if not hasattr(obj, "__dict__"):
            continue
        if not hasattr(obj, "get_params"):  # e.g. mmfuse.kernels.Chi2Kernel in SVC(kernel=)
            if type(obj).__module__.startswith("mmfuse.") and getattr(obj, "device", None):
                obj.device = None
                changed.append(type(obj).__name__)
            continue
        try:
            params = obj.get_params(deep=False)
        except TypeError:  # a class-level get_params, not an instance's
            params = {}
        if "device" in params and params["device"] is not None:
            obj.set_params(device=None)
            changed.append(type(obj).__name__)
        stack.extend(vars(obj).values())
    return changed


_NOTES: contextvars.ContextVar[tuple] = contextvars.ContextVar("mmfuse_warning_sinks",
                                                              default=())


@contextlib.contextmanager
def collect_warnings():
    """Collect the :class:`~mmfuse.io.MMFuseInputWarning` of this context instead of issuing them.

    Yields a list of the warning instances (row labels, column, paths kept),
    so a batch scorer can return them with its chunk's results and report them
    once, with the rows' ids, in the caller: :mod:`warnings` itself is
    process-wide and cannot be captured per thread.
    """
    sink = []
    token = _NOTES.set(_NOTES.get() + (sink,))
    try:
        yield sink
    finally:
        _NOTES.reset(token)


@contextlib.contextmanager
def drop_input_warnings():
    """Discard the :class:`~mmfuse.io.MMFuseInputWarning` of this context, enclosing
    :func:`collect_warnings` blocks included.

    For work on altered copies of rows whose warnings were reported already
    (the shuffled or blanked columns of a permutation analysis), where a
    warning would name a row with an item that is not its own.
    """
    token = _NOTES.set(([],))
    try:
        yield
    finally:
        _NOTES.reset(token)


def warn_input(warning, *, stacklevel=2) -> None:
    """Issue an input warning, or hand it to the :func:`collect_warnings` blocks of this context."""
    sinks = _NOTES.get()
    if sinks:
        for sink in sinks:
            sink.append(warning)
        return
    import warnings  # noqa: PLC0415

    warnings.warn(warning, stacklevel=stacklevel + 1)
