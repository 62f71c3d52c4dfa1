"""mmfuse: classical-ML multimodal learning with scikit-learn estimators.

Images (HOG, SIFT + BoVW/VLAD/Fisher), texts (TF-IDF) and audio (MFCC) become
fixed-length features; :mod:`mmfuse.fusion` fuses them at feature, kernel or
model level; CuPy accelerates the descriptor math when a CUDA GPU is present.

Subpackages (imported lazily): :mod:`mmfuse.image`, :mod:`mmfuse.text`,
:mod:`mmfuse.audio`, :mod:`mmfuse.fusion`, :mod:`mmfuse.datasets`,
:mod:`mmfuse.io`, :mod:`mmfuse.kernels`, :mod:`mmfuse.persistence`,
:mod:`mmfuse.svm` (:class:`~mmfuse.svm.FastSVC`: libsvm's decisions by matrix products).
Every exception and warning class lives in :mod:`mmfuse.exceptions`.
"""

import importlib

from ._config import collect_errors, config_context, get_config, set_config
from .exceptions import MMFuseInputError, MMFuseInputWarning

__version__ = "0.2.0.dev0"

_SUBMODULES = {"audio", "image", "text", "fusion", "datasets", "exceptions", "io", "kernels",
               "persistence", "pipelines", "cli", "svm"}
_LAZY_ATTRS = {"save": "persistence", "load": "persistence", "FastSVC": "svm",
               "to_fast_svc": "svm"}

__all__ = [
    "MMFuseInputError",
    "MMFuseInputWarning",
    "__version__",
    "collect_errors",
    "config_context",
    "get_config",
    "set_config",
    *sorted(_SUBMODULES),
]


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _LAZY_ATTRS:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY_ATTRS[name]}"), name)
    raise AttributeError(f"module 'mmfuse' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _SUBMODULES | set(_LAZY_ATTRS))
