from ._early import MAX_TENSOR_FEATURES, STRATEGIES, FeatureFusion, fuse_blocks
from ._kernel import KERNEL_PARAMS, KernelFusionClassifier
from ._late import RULES, ClassWiseStacker, LateFusionClassifier, combine

__all__ = [
    "ClassWiseStacker",
    "FeatureFusion",
    "KERNEL_PARAMS",
    "KernelFusionClassifier",
    "LateFusionClassifier",
    "MAX_TENSOR_FEATURES",
    "RULES",
    "STRATEGIES",
    "combine",
    "fuse_blocks",
]
