from .early import MAX_TENSOR_FEATURES, STRATEGIES, FeatureFusion, fuse_blocks
from .kernel import KernelFusionClassifier
from .late import RULES, LateFusionClassifier, combine

__all__ = [
    "FeatureFusion",
    "KernelFusionClassifier",
    "LateFusionClassifier",
    "MAX_TENSOR_FEATURES",
    "RULES",
    "STRATEGIES",
    "combine",
    "fuse_blocks",
]
