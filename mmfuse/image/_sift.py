"""SIFT image features: dense (batched, CPU/GPU) or keypoint SIFT, RootSIFT, encoded.

``dense_sift`` computes SIFT descriptors on a regular grid for a batch of
images; ``SIFTFeatures`` turns a column of images into one fixed-length vector
per image: local descriptors -> (RootSIFT) -> codebook encoding (BoVW, VLAD or
Fisher) pooled over a spatial pyramid.
"""

from __future__ import annotations

import inspect
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._backend import dispatch, gen_chunks, to_numpy
from .._base import (ColumnExtractorMixin, as_column, drop_failed_rows, progress_bar,
                     screen_column, strict_loading, warn_rows)
from .._compat import (DEVICE_CONSTRAINT, HasMethods, Interval, StrOptions, _fit_context,
                       validate_data)
from .._config import get_config, report_errors
from .._validation import validate_params
from ..io import MMFuseInputError, load_column, load_image
from ._dense_sift import (_TEMPS_PER_PIXEL, dense_sift_batch, dense_sift_images,
                          opencv_keypoint_size)
from ._encoding import BoVWEncoder, FisherEncoder, VLADEncoder
from ._encoding import _check_levels

__all__ = ["SIFTFeatures", "dense_sift", "opencv_keypoint_size"]

#: dense descriptors whose patch has a mean gradient magnitude below this
#: (intensities in [0, 1]; ~1/4 grey level per pixel) are flat and dropped
MIN_CONTRAST = 0.002


@validate_params(
    {
        "images": ["array-like"],
        "step": [Interval(Integral, 1, None, closed="left")],
        "patch_size": [Interval(Integral, 4, None, closed="left")],
        "device": DEVICE_CONSTRAINT,
        "smooth": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def dense_sift(images, step=8, patch_size=16, device=None, *, smooth=True):
    """SIFT descriptors on a regular grid of upright keypoints, for a batch of images.

    Descriptors are Lowe's [1]_ 4×4×8 histograms of gradient orientation
    (Gaussian window of σ = half the patch, trilinear interpolation, clipped
    at 0.2 and renormalised), computed for a whole batch with two matrix
    products over the orientation maps, in NumPy or CuPy. On the CPU the batch
    goes through in chunks of a few images whose temporaries stay in the core's
    cache, one thread per core (each product on one BLAS thread); the result
    does not depend on the number of threads.

    Parameters
    ----------
    images : array of shape (N, H, W) or (H, W)
        Grey images, float in [0, 1] (uint8 is scaled by 1/255). NumPy or CuPy.
    step : int, default=8
        Grid spacing in pixels.
    patch_size : int, default=16
        Width of the descriptor window in pixels (4 bins of ``patch_size/4``).
        The matching OpenCV keypoint size is ``patch_size / 6``
        (:func:`opencv_keypoint_size`): OpenCV's bin spans ``3·size/2`` px.
    device : {'auto', 'cpu', 'cuda'} or None, default=None
    smooth : bool, default=True
        Pre-smooth with OpenCV's octave-0 Gaussian (σ = √(1.6² − 0.5²)), as
        ``cv2.SIFT.compute`` does for keypoints of octave 0.

    Returns
    -------
    descriptors : array of float32, shape (N, n_keypoints, 128)
        In the namespace of ``images`` (NumPy for NumPy, CuPy for CuPy); L2
        norm 1 (0 for a patch without gradient); OpenCV's layout (row bin,
        column bin, orientation).
    positions : ndarray of int64, shape (n_keypoints, 2)
        ``(y, x)`` pixel centres of the grid, the same for every image.

    Notes
    -----
    Matches ``cv2.SIFT_create().compute(img, [KeyPoint(x, y, patch_size / 6,
    angle=0)])`` on the same grid (mean cosine similarity > 0.99 in the tests);
    the departures are float32 arithmetic and, off the NumPy path, the exact
    ``atan2`` (the NumPy path uses OpenCV's ``sepFilter2D`` and ``cartToPolar``,
    whose fast ``atan2`` approximation OpenCV's SIFT also uses; the CuPy path
    computes the same maps with ``xp`` operations). Images are not padded: grid
    centres keep the patch inside the image where it fits (an axis shorter than
    the patch gets one centred keypoint) and pixels outside contribute nothing.
    Keypoints are upright (no dominant orientation) and of one scale, as in
    dense SIFT of Bosch et al. and VLFeat's ``dsift``.

    References
    ----------
    .. [1] Lowe, D. G. (2004). Distinctive image features from scale-invariant
       keypoints. *IJCV*, 60(2), 91-110.
       https://doi.org/10.1023/B:VISI.0000029664.99615.94
    """
    return dense_sift_images(images, step=step, patch_size=patch_size, device=device,
                             smooth=smooth)


def _rootsift(D, xp):
    """RootSIFT: L1-normalise, then element-wise square root (Hellinger kernel)."""
    D = xp.maximum(D, 0)
    return xp.sqrt(D / xp.maximum(D.sum(axis=-1, keepdims=True), 1e-12))


def _validate_column(estimator, X, *, reset):
    """``n_features_in_``/``feature_names_in_`` for a one-column DataFrame only.

    A list or stack of images has no column count (scikit-learn would count
    pixel rows), so those attributes are only set for DataFrame input.
    """
    if hasattr(X, "columns"):
        validate_data(estimator, X, reset=reset, skip_check_array=True)
    elif reset:
        for attr in ("n_features_in_", "feature_names_in_"):
            if hasattr(estimator, attr):
                delattr(estimator, attr)


_ENCODERS = {"bovw": BoVWEncoder, "vlad": VLADEncoder, "fisher": FisherEncoder}

#: the parameters that ``encoder=None`` builds the encoder from
_SHORTCUTS = ("encoding", "n_words")


def _size_param(encoder):
    """``encoder__<its size parameter>=...``: the codebook size parameter the encoder has."""
    names = encoder.get_params(deep=False) if hasattr(encoder, "get_params") else {}
    for name in ("n_words", "n_components", "n_clusters"):
        if name in names:
            return f"e.g. encoder__{name}"
    return "encoder__<parameter>"


class SIFTFeatures(ColumnExtractorMixin, TransformerMixin, BaseEstimator):
    """One fixed-length SIFT vector per image: descriptors, RootSIFT, encoding, pyramid.

    1. Each image is loaded as grey ``float32`` in [0, 1]
       (:func:`mmfuse.io.load_image`: RGBA is composited on white, 16-bit and
       float input scaled) and downscaled (``cv2.INTER_AREA``) so its longer
       side is at most ``max_side``.
    2. Local descriptors: ``detector='dense'`` computes SIFT [1]_ on a grid of
       ``step`` px with ``patch_size`` px windows (:func:`dense_sift`, batched
       over images of equal shape, NumPy or CuPy); flat patches (mean gradient
       below :data:`MIN_CONTRAST`) are dropped. ``detector='keypoints'`` uses
       OpenCV's DoG detector and descriptor (``cv2.SIFT_create(nfeatures=
       max_keypoints)``), keeping the keypoint positions.
    3. ``rootsift=True`` maps each descriptor to its RootSIFT [2]_ (L1
       normalise, square root).
    4. A codebook encoder (``encoder``, or one built from ``encoding`` and
       ``n_words``: :class:`~mmfuse.image.BoVWEncoder`,
       :class:`~mmfuse.image.VLADEncoder` or :class:`~mmfuse.image.FisherEncoder`)
       is fitted on a seeded sample of at most ``max_fit_descriptors`` training
       descriptors. It encodes the descriptors of each region of the spatial
       pyramid [3]_ (for ``pyramid=(1, 2)``: the whole image and its 2×2
       quadrants) on their own (:meth:`~mmfuse.image.VLADEncoder.transform_pyramid`);
       the region blocks are concatenated (coarse to fine, cells in row-major
       order) and the whole vector is L2-normalised.

    Parameters
    ----------
    detector : {'dense', 'keypoints'}, default='dense'
    step : int, default=8
        Dense grid spacing (px).
    patch_size : int, default=16
        Dense descriptor window (px); 4×4 bins of ``patch_size / 4`` px.
    max_keypoints : int, default=500
        Most keypoints per image for ``detector='keypoints'`` (strongest first);
        unused by the dense detector.
    rootsift : bool, default=True
    encoding : {'vlad', 'bovw', 'fisher'}, default='vlad'
        Shortcut for ``encoder``: with ``encoder=None`` the encoder is
        ``VLADEncoder(n_words)``, ``BoVWEncoder(n_words)`` (hard assignment,
        L1-normalised histograms) or ``FisherEncoder(n_words)``, with this
        estimator's ``max_fit_descriptors``, ``device`` and a seed drawn from its
        ``random_state``, and its other parameters at their defaults.
    n_words : int, default=64
        Codebook size (GMM components for ``'fisher'``) of the encoder that
        ``encoding`` names.
    encoder : estimator or None, default=None
        The codebook encoder, e.g. ``VLADEncoder(n_words=16, power=0.5)``: one
        of the encoders of :mod:`mmfuse.image` or an estimator with
        their ``fit``, ``transform_pyramid`` and ``get_pyramid_feature_names_out``
        (a subclass of one). It is cloned in :meth:`fit`, so its
        parameters tune as ``encoder__n_words``. Its ``device``, when None, is
        this estimator's; its ``random_state``, when None, is drawn from this
        estimator's ``random_state`` (a derived seed, the same one the
        ``encoding`` shortcut uses, so both give identical features). None builds the
        encoder from ``encoding`` and ``n_words``; with an encoder given, those
        two must keep their defaults (anything else raises a ``ValueError``
        naming both, as they would be ignored).
    pyramid : tuple of int, default=(1, 2)
        Grid sizes of the spatial pyramid levels; ``(1,)`` disables it.
    max_side : int, default=512
        Longer image side after downscaling (smaller images are not enlarged).
    max_fit_descriptors : int, default=200_000
        Cap on the descriptors the codebook is fitted on.
    random_state : int, RandomState or None, default=None
        Seeds the descriptor sample and the codebook.
    device : {'auto', 'cpu', 'cuda'} or None, default=None
        Where dense SIFT and encoding run; None follows
        :func:`mmfuse.config_context`'s device (itself ``'auto'`` unless set).
    n_jobs : int or None, default=None
        Threads used to load/decode images.
    progress : bool or None, default=None
        tqdm bar over batches (None: only on a terminal).

    Attributes
    ----------
    encoder_ : BoVWEncoder, VLADEncoder or FisherEncoder
        The fitted codebook encoder (NumPy state): a clone of ``encoder``, or
        the encoder built from ``encoding`` and ``n_words``.
    n_regions_ : int
        Number of spatial pyramid regions (5 for ``(1, 2)``).
    n_fit_descriptors_ : int
        Descriptors the codebook was fitted on.

    See Also
    --------
    dense_sift : the batched dense descriptor.
    mmfuse.image.VLADEncoder.transform_pyramid : the encoding over the pyramid.
    mmfuse.image.HOGFeatures : a global gradient descriptor.

    Notes
    -----
    * Images of different sizes are grouped by shape and each group is
      batched; nothing is padded or resized beyond ``max_side`` (the pyramid
      uses positions relative to each image's size).
    * A missing item (None/NaN) gives a row of NaN; an image without any
      descriptor (blank, 1×1, or no DoG keypoint) gives an all-zero row and an
      :class:`~mmfuse.io.MMFuseInputWarning`; an unreadable one raises
      :class:`~mmfuse.io.MMFuseInputError` naming the row (with
      ``on_error='skip'``: a zero row, reported to ``collect_errors``).
    * ``fit_transform`` extracts the descriptors twice (once to sample the
      codebook, once to encode) so that memory stays bounded by a batch.
    * Departures from Lazebnik et al.: the pyramid pools VLAD/Fisher blocks as
      well as histograms, and level blocks are not re-weighted (each block is
      normalised, then the whole vector).

    References
    ----------
    .. [1] Lowe, D. G. (2004). Distinctive image features from scale-invariant
       keypoints. *IJCV*, 60(2), 91-110.
       https://doi.org/10.1023/B:VISI.0000029664.99615.94
    .. [2] Arandjelović, R., & Zisserman, A. (2012). Three things everyone should
       know to improve object retrieval. *CVPR*, 2911-2918.
       https://doi.org/10.1109/CVPR.2012.6248018
    .. [3] Lazebnik, S., Schmid, C., & Ponce, J. (2006). Beyond bags of features:
       spatial pyramid matching for recognizing natural scene categories. *CVPR*,
       2169-2178. https://doi.org/10.1109/CVPR.2006.68

    Examples
    --------
    >>> import numpy as np
    >>> from mmfuse.image import SIFTFeatures
    >>> rng = np.random.default_rng(0)
    >>> images = list(rng.random((6, 40, 40)).astype(np.float32))
    >>> sift = SIFTFeatures(n_words=4, random_state=0, device="cpu").fit(images)
    >>> sift.transform(images).shape
    (6, 2560)

    The encoder as a parameter (here 4 words, no power normalisation; a grid
    search reaches it as ``encoder__n_words``):

    >>> from mmfuse.image import VLADEncoder
    >>> sift = SIFTFeatures(encoder=VLADEncoder(n_words=4, power=1.0), pyramid=(1,),
    ...                     random_state=0, device="cpu").fit(images)
    >>> sift.transform(images).shape
    (6, 512)
    """

    modality = "image"  #: the kind of item it reads (the fitted fusers' ``input_schema_``)

    _parameter_constraints: dict = {
        "detector": [StrOptions({"dense", "keypoints"})],
        "step": [Interval(Integral, 1, None, closed="left")],
        "patch_size": [Interval(Integral, 4, None, closed="left")],
        "max_keypoints": [Interval(Integral, 1, None, closed="left")],
        "rootsift": ["boolean"],
        "encoding": [StrOptions(set(_ENCODERS))],
        "n_words": [Interval(Integral, 1, None, closed="left")],
        "encoder": [HasMethods(["fit", "transform_pyramid", "get_pyramid_feature_names_out"]),
                    None],
        "pyramid": [tuple, list],
        "max_side": [Interval(Integral, 8, None, closed="left")],
        "max_fit_descriptors": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "device": [StrOptions({"auto", "cpu", "cuda"}), None],
        "n_jobs": [Integral, None],
        "progress": ["boolean", None],
    }

    def __init__(self, *, detector="dense", step=8, patch_size=16, max_keypoints=500,
                 rootsift=True, encoding="vlad", n_words=64, encoder=None, pyramid=(1, 2),
                 max_side=512, max_fit_descriptors=200_000, random_state=None, device=None,
                 n_jobs=None, progress=None):
        self.detector = detector
        self.step = step
        self.patch_size = patch_size
        self.max_keypoints = max_keypoints
        self.rootsift = rootsift
        self.encoding = encoding
        self.n_words = n_words
        self.encoder = encoder
        self.pyramid = pyramid
        self.max_side = max_side
        self.max_fit_descriptors = max_fit_descriptors
        self.random_state = random_state
        self.device = device
        self.n_jobs = n_jobs
        self.progress = progress

    # ------------------------------------------------------------------ descriptors

    def _levels(self):
        return _check_levels(self.pyramid, "pyramid")

    def _check_shortcuts(self):
        """Refuse ``encoding``/``n_words`` off their defaults beside an ``encoder``."""
        if self.encoder is None:
            return
        defaults = inspect.signature(type(self).__init__).parameters
        changed = [f"{k}={getattr(self, k)!r}" for k in _SHORTCUTS
                   if getattr(self, k) != defaults[k].default]
        if changed:
            raise ValueError(
                f"SIFTFeatures got both encoder={self.encoder!r} and {' and '.join(changed)}; "
                f"the encoder replaces encoding and n_words: set its own parameters "
                f"({_size_param(self.encoder)}) or pass encoder=None")

    def _make_encoder(self, seed):
        """The unfitted encoder: a clone of ``encoder``, or built from the shortcuts.

        ``seed`` (drawn from ``random_state``) seeds a built encoder, and a given
        one whose ``random_state`` is None; ``device`` fills a None ``device``.
        """
        if self.encoder is None:
            cls = _ENCODERS[self.encoding]
            size = {"n_components" if self.encoding == "fisher" else "n_words": self.n_words}
            return cls(max_fit_descriptors=self.max_fit_descriptors, random_state=seed,
                       device=self.device, **size)
        encoder = clone(self.encoder)
        params = encoder.get_params(deep=False)
        fill = {k: v for k, v in (("random_state", seed), ("device", self.device))
                if k in params and params[k] is None}
        return encoder.set_params(**fill)

    def _iter_descriptors(self, X, *, desc="SIFT"):
        """Yield ``(rows, descs, positions, loaded)`` per batch of the column.

        ``descs[j]`` is a float32 NumPy ``(n_j, 128)`` array of image ``rows[j]``,
        ``positions[j]`` its ``(n_j, 2)`` ``(y, x)`` positions in the pixel
        coordinates of the loaded image ``loaded.values[j]``; ``loaded`` the batch's
        LoadedColumn (None values: missing/failed).
        """
        items, rows, name = as_column(X, kind="image")
        on_error = get_config()["on_error"]
        where = dispatch(device=self.device)
        # decoded images of a batch within the working memory: dense SIFT's float32
        # temporaries of an image of the largest size, at most 256 images
        side = self.max_side
        batches = gen_chunks(len(items), _TEMPS_PER_PIXEL * 4 * side * side, max_n_rows=256)
        loader, kwargs = self._item_loader()
        for batch in progress_bar(batches, total=len(batches), desc=desc,
                                  progress=self.progress, unit="batch"):
            loaded = load_column(items[batch], loader, column=name, rows=rows[batch],
                                 on_error=on_error, n_jobs=self.n_jobs, **kwargs)
            if loaded.errors:
                report_errors(loaded.errors)
            if self.detector == "dense":
                descs, pos = self._dense(loaded.values, where)
            else:
                descs, pos = self._keypoints(loaded.values)
            yield rows[batch], descs, pos, loaded

    def _item_loader(self):
        """``(loader, kwargs)`` that :meth:`transform` loads each item with."""
        return load_image, {"mode": "gray", "max_side": self.max_side}

    def _screen_rows(self, X):
        """``(failed, errors)``: the items of ``X`` that :meth:`transform` cannot load."""
        loader, kwargs = self._item_loader()
        return screen_column(X, loader, n_jobs=self.n_jobs, **kwargs)

    def _dense(self, images, where):
        """Dense descriptors and positions of each image (None for a missing one).

        Images of one shape are computed together, in chunks within the working
        memory, in the namespace ``where.xp`` of a :class:`mmfuse._backend.Dispatch`;
        the descriptors come back as NumPy.
        """
        n = len(images)
        descs = [None] * n
        pos = [None] * n
        groups = {}
        for i, img in enumerate(images):
            if img is not None:
                groups.setdefault(img.shape, []).append(i)
        for (h, w), idx in groups.items():
            for chunk in gen_chunks(len(idx), _TEMPS_PER_PIXEL * 4 * h * w):
                part = idx[chunk]
                batch = where.put(np.stack([images[i] for i in part]), dtype=np.float32)
                D, contrast, p = dense_sift_batch(batch, step=self.step,
                                                  patch_size=self.patch_size, xp=where.xp)
                if self.rootsift:
                    D = _rootsift(D, where.xp)
                D = to_numpy(D)
                keep = to_numpy(contrast) >= MIN_CONTRAST
                centres = p + 0.5  # pixel (r, c) covers [r, r + 1) x [c, c + 1)
                for j, i in enumerate(part):
                    descs[i] = np.ascontiguousarray(D[j][keep[j]])
                    pos[i] = centres[keep[j]]
        return descs, pos

    def _keypoints(self, images):
        import cv2  # noqa: PLC0415

        sift = cv2.SIFT_create(nfeatures=int(self.max_keypoints))
        descs, pos = [], []
        for img in images:
            if img is None:
                descs.append(None)
                pos.append(None)
                continue
            u8 = np.clip(np.rint(img * 255), 0, 255).astype(np.uint8)
            kps, D = sift.detectAndCompute(u8, None)
            if D is None or len(kps) == 0:
                descs.append(np.zeros((0, 128), np.float32))
                pos.append(np.zeros((0, 2)))
                continue
            kps, D = kps[:self.max_keypoints], D[:self.max_keypoints]
            D = D / np.maximum(np.linalg.norm(D, axis=1, keepdims=True), 1e-12)
            if self.rootsift:
                D = _rootsift(D, np)
            descs.append(D.astype(np.float32))
            # OpenCV's (x, y) as they are: its pixel centres lie at whole numbers, half a
            # pixel from transform_pyramid's (r + 0.5, c + 0.5), which only matters for a
            # keypoint within half a pixel of a cell border
            pos.append(np.array([[k.pt[1], k.pt[0]] for k in kps]))
        return descs, pos

    # ------------------------------------------------------------------ fit / transform

    @_fit_context(
        # the encoder's parameters are checked when its clone is fitted
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y=None):
        """Fit the codebook on a sample of the descriptors of a column of images.

        Parameters
        ----------
        X : list, 1-D array, pandas Series or one-column DataFrame of images
            Paths, encoded bytes or pixel arrays; or an ``(N, H, W)`` stack.
        y : ignored

        Returns
        -------
        self
        """
        self._levels()
        self._check_shortcuts()
        _validate_column(self, X, reset=True)
        items, _, name = as_column(X, kind="image")
        n_items = len(items)
        per_image = max(1, -(-self.max_fit_descriptors // n_items))
        rng = check_random_state(self.random_state)
        seed = rng.randint(np.iinfo(np.int32).max)
        sample = []
        n_ok = 0
        with strict_loading():
            for _, descs, _, loaded in self._iter_descriptors(X, desc="SIFT fit"):
                for d in descs:
                    if d is None or len(d) == 0:
                        continue
                    n_ok += 1
                    if len(d) > per_image:
                        d = d[np.sort(rng.choice(len(d), per_image, replace=False))]
                    sample.append(d)
        if not sample:
            raise MMFuseInputError(
                "no image of the column gave a SIFT descriptor (all missing, unreadable, "
                "blank or too small); nothing to fit a codebook on", column=name)
        self.encoder_ = self._make_encoder(seed).fit(sample)
        cap = getattr(self.encoder_, "max_fit_descriptors", self.max_fit_descriptors)
        self.n_fit_descriptors_ = int(min(sum(len(s) for s in sample),
                                          self.max_fit_descriptors, cap))
        self.n_regions_ = sum(L * L for L in self._levels())
        return self

    def transform(self, X):
        """Encode a column of images.

        Returns
        -------
        features : ndarray of float32, shape (n_samples, n_regions_ * block)
            NaN rows for missing items, zero rows for images without
            descriptors. Under ``on_error='skip'`` the rows of unreadable images
            are left out (one row per good item, in order) and reported to
            :func:`mmfuse.collect_errors`.
        """
        check_is_fitted(self, "encoder_")
        _validate_column(self, X, reset=False)
        levels = self._levels()
        chunks, failed = [], []
        empty_rows = []
        start = 0
        for _, descs, pos, loaded in self._iter_descriptors(X, desc="SIFT"):
            out = np.zeros((len(descs), self._n_features_out), dtype=np.float32)
            good = [j for j, d in enumerate(descs) if d is not None and len(d)]
            empty_rows += [start + j for j, d in enumerate(descs) if d is not None and not len(d)]
            start += len(descs)
            if good:
                flat = self.encoder_.transform_pyramid(
                    [descs[j] for j in good], [pos[j] for j in good],
                    [loaded.values[j].shape[:2] for j in good], levels)
                norm = np.linalg.norm(flat, axis=1, keepdims=True)
                out[good] = flat / np.maximum(norm, 1e-12)
            out[loaded.missing] = np.nan
            chunks.append(out)
            failed.append(loaded.failed)
        if empty_rows:
            warn_rows(X, empty_rows, "image gave no SIFT descriptor (blank, too small, or no "
                      "keypoint detected); its features are all zero", stacklevel=2)
        return drop_failed_rows(self, np.concatenate(chunks, axis=0), np.concatenate(failed),
                                X)

    def fit_transform(self, X, y=None):
        """Fit the codebook and encode ``X``; a bad item raises whatever ``on_error`` says."""
        with strict_loading():
            return self.fit(X, y).transform(X)

    # ------------------------------------------------------------------ names & tags

    def get_feature_names_out(self, input_features=None):
        """Names ``'sift_<encoding>_L<level>c<cell>_<i>'`` in output order.

        ``<encoding>`` is the encoder's name (bovw, vlad, fisher); the rest is
        :meth:`~mmfuse.image.VLADEncoder.get_pyramid_feature_names_out`.
        """
        check_is_fitted(self, "encoder_")
        names = self.encoder_.get_pyramid_feature_names_out(self._levels())
        return np.asarray(["sift_" + name for name in names], dtype=object)

    @property
    def _n_features_out(self):
        return self.n_regions_ * self.encoder_._n_features_out

    def __setstate__(self, state):
        # a pickle without ``encoder`` holds an encoder_ built from encoding and n_words
        state.setdefault("encoder", None)
        super().__setstate__(state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags
