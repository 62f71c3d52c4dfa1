from ._dense_sift import opencv_keypoint_size
from ._encoding import BoVWEncoder, FisherEncoder, VLADEncoder, assign
from ._hog import HOGFeatures, hog
from ._sift import SIFTFeatures, dense_sift

__all__ = [
    "BoVWEncoder",
    "FisherEncoder",
    "HOGFeatures",
    "SIFTFeatures",
    "VLADEncoder",
    "assign",
    "dense_sift",
    "hog",
    "opencv_keypoint_size",
]
