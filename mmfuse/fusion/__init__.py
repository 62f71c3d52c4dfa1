"""Multimodal fusion at feature level, kernel level and model level.

:class:`FeatureFusion`
    early fusion: one transformer per modality, per-block normalisation, then
    concat / weighted / sum / average / product / tensor fusion
    (:func:`fuse_blocks`).
:class:`KernelFusionClassifier`
    kernel-level fusion: one kernel per modality, combined with fixed or
    learned weights (centered alignment, EasyMKL), then a kernel machine.
:class:`LateFusionClassifier`
    late fusion: one classifier per modality, probabilities combined by the
    rules of Kittler et al. (1998), learned weights or stacking, with missing
    modalities renormalised away (:func:`combine`).

The names are loaded on first use (``lazy_loader``; ``__init__.pyi`` lists them).
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
