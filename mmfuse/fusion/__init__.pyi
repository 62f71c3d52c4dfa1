from .early import MAX_TENSOR_FEATURES, FeatureFusion
from .kernel import KernelFusionClassifier
from .late import RULES, LateFusionClassifier, combine

__all__ = [
    "FeatureFusion",
    "KernelFusionClassifier",
    "LateFusionClassifier",
    "MAX_TENSOR_FEATURES",
    "RULES",
    "combine",
]
