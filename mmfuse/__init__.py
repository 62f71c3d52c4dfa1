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

``import mmfuse`` imports none of mmfuse's modules: every name above, the
configuration functions and the exception classes included, is imported by
``lazy_loader`` when first used (``__init__.pyi`` lists them, for type checkers too).
"""

import lazy_loader as _lazy

__version__ = "0.2.0.dev0"

#: resolved on first use, but left out of ``__all__``: they are documented where they live
_SHORTCUTS = {"FastSVC", "load", "save", "to_fast_svc"}

__getattr__, _lazy_dir, _lazy_all = _lazy.attach_stub(__name__, __file__)
__all__ = sorted({*_lazy_all, "__version__"} - _SHORTCUTS)


def __dir__():
    return [*_lazy_dir(), "__version__"]
