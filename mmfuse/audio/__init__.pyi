from ._augment import VTLPAugmentedClassifier
from ._features import MFCCFeatures
from ._mfcc import mfcc

__all__ = ["MFCCFeatures", "VTLPAugmentedClassifier", "mfcc"]
