"""Declarative parameter checks for mmfuse's public functions: scikit-learn's ``validate_params``.

Every public function declares the values each parameter accepts, as scikit-learn's
functions do, and a bad value raises ``InvalidParameterError`` (a
:class:`ValueError` and :class:`TypeError`) naming the function, the parameter,
what it accepts and what it got::

    The 'gamma' parameter of chi2_kernel must be a float in the range (0, inf). Got nan instead.

The constraint classes (``Interval``, ``StrOptions``, ``Options``, ``"boolean"``,
``"array-like"``, ..., and :class:`mmfuse._compat.PairInterval`) are scikit-learn's:
a Real interval rejects NaN, and rejects infinity unless it is closed there.
This module imports nothing heavy, so a module that ``import mmfuse`` loads
(:mod:`mmfuse.io`) passes its table as a callable, built on the first call.
"""

from __future__ import annotations

import functools

__all__ = ["constraints_of", "validate_params"]


def validate_params(constraints, *, prefer_skip_nested_validation=True):
    """Decorate a public function with scikit-learn's ``validate_params``.

    Parameters
    ----------
    constraints : dict or callable
        ``{parameter: [constraint, ...] or "no_validation"}`` for every
        parameter of the function, or a callable that takes the module
        :mod:`mmfuse._compat` and returns that dict; a callable is used on the
        function's first call, so that importing the module does not import
        scikit-learn.
    prefer_skip_nested_validation : bool, default=True
        Skip the checks of the scikit-learn functions and estimators called
        inside (their parameters come from this function).

    Returns
    -------
    decorator : callable
        The function wrapped; :func:`constraints_of` returns its table.
    """
    def decorator(func):
        if not callable(constraints):
            from ._compat import validate_params as sklearn_validate_params  # noqa: PLC0415

            return sklearn_validate_params(
                constraints, prefer_skip_nested_validation=prefer_skip_nested_validation)(func)

        @functools.lru_cache(maxsize=1)
        def validated():
            from . import _compat  # noqa: PLC0415

            return _compat.validate_params(
                constraints(_compat),
                prefer_skip_nested_validation=prefer_skip_nested_validation)(func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            return validated()(*args, **kwargs)

        wrapper._mmfuse_constraints = lambda: validated()._skl_parameter_constraints
        return wrapper

    return decorator


def constraints_of(func):
    """The parameter table of a function decorated by :func:`validate_params`, else None."""
    lazy = getattr(func, "_mmfuse_constraints", None)
    if lazy is not None:
        return lazy()
    return getattr(func, "_skl_parameter_constraints", None)
