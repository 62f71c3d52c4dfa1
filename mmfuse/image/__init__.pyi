from ._hog import HOGFeatures, hog
from .encoding import BoVWEncoder, FisherEncoder, VLADEncoder, assign
from .sift import SIFTFeatures, dense_sift

__all__ = [
    "BoVWEncoder",
    "FisherEncoder",
    "HOGFeatures",
    "SIFTFeatures",
    "VLADEncoder",
    "assign",
    "dense_sift",
    "hog",
]
