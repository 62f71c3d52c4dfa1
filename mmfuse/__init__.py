"""mmfuse: classical-ML multimodal learning with scikit-learn estimators.

Images (HOG, SIFT + BoVW/VLAD/Fisher), texts (TF-IDF) and audio (MFCC) become
fixed-length features; :mod:`mmfuse.fusion` fuses them at feature, kernel or
model level; CuPy accelerates the descriptor math when a CUDA GPU is present.

Subpackages (loaded on first use): :mod:`mmfuse.image`, :mod:`mmfuse.text`,
:mod:`mmfuse.audio`, :mod:`mmfuse.fusion`, :mod:`mmfuse.datasets`,
:mod:`mmfuse.io`, :mod:`mmfuse.kernels`, :mod:`mmfuse.persistence`,
:mod:`mmfuse.svm` (:class:`~mmfuse.svm.FastSVC`: libsvm's decisions by matrix products).
``mmfuse.save`` and ``mmfuse.load`` are :func:`mmfuse.persistence.save` and
:func:`mmfuse.persistence.load`. Every exception and warning class lives in
:mod:`mmfuse.exceptions`.

``import mmfuse`` loads the configuration and the exception classes only; the
subpackages and the names above are imported by ``lazy_loader`` when first used
(``__init__.pyi`` lists them, for type checkers too).
"""

import lazy_loader as _lazy

from ._config import collect_errors, config_context, get_config, set_config
from .exceptions import MMFuseInputError, MMFuseInputWarning

__version__ = "0.2.0.dev0"

__getattr__, _lazy_dir, _ = _lazy.attach_stub(__name__, __file__)

__all__ = [
    "MMFuseInputError",
    "MMFuseInputWarning",
    "__version__",
    "audio",
    "cli",
    "collect_errors",
    "config_context",
    "datasets",
    "exceptions",
    "fusion",
    "get_config",
    "image",
    "io",
    "kernels",
    "persistence",
    "pipelines",
    "set_config",
    "svm",
    "text",
]


def __dir__():
    return [*_lazy_dir(), "__version__"]
