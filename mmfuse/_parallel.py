"""joblib ``Parallel`` that carries the caller's configuration into its workers.

Modelled on :mod:`sklearn.utils.parallel`: :class:`Parallel` captures, when it
is called, the mmfuse configuration (:func:`mmfuse.get_config`) and
scikit-learn's (:func:`sklearn.get_config`), and every task re-enters both
before it runs, in whatever thread or process executes it. A task also runs
inside its own :func:`mmfuse.collect_errors` block and returns the errors of
the rows it skipped, and its input warnings, *as values* beside its result;
:class:`Parallel` hands them to the caller's ``collect_errors`` blocks (and
issues the warnings) in task order. So concurrent
callers never see each other's errors, and errors reach the caller from
worker processes as well as from threads.

Use :func:`delayed` from this module (or :func:`joblib.delayed`) with it.
"""

from __future__ import annotations

import joblib

from . import _config

__all__ = ["Parallel", "delayed"]

delayed = joblib.delayed


class _InContext:
    """Run ``func`` under a captured configuration; return ``(result, skipped errors)``."""

    def __init__(self, func, mmfuse_config, sklearn_config):
        self.func = func
        self.mmfuse_config = mmfuse_config
        self.sklearn_config = sklearn_config

    def __call__(self, *args, **kwargs):
        import sklearn  # noqa: PLC0415

        with sklearn.config_context(**self.sklearn_config), \
                _config.config_context(**self.mmfuse_config), \
                _config.collect_errors() as errors, _config.collect_warnings() as notes:
            result = self.func(*args, **kwargs)
        return result, errors, notes


class Parallel(joblib.Parallel):
    """:class:`joblib.Parallel` whose tasks see the caller's mmfuse and scikit-learn config.

    Errors that tasks report under ``on_error='skip'`` come back with their
    results and are re-reported in the caller's context, in task order.
    Only list output is supported (``return_as='list'``, joblib's default).
    """

    def __call__(self, iterable):
        import sklearn  # noqa: PLC0415

        mm_config = _config.get_config()
        sk_config = sklearn.get_config()
        tasks = ((_InContext(func, mm_config, sk_config), args, kwargs)
                 for func, args, kwargs in iterable)
        results = []
        for result, errors, notes in super().__call__(tasks):
            _config.report_errors(errors)
            for note in notes:
                _config.warn_input(note)
            results.append(result)
        return results
