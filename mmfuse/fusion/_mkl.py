"""Kernel weights for multiple kernel learning: centered alignment and EasyMKL.

Both learners work on the training rows only and on either representation of
the base kernels:

``kind='gram'``
    a list of ``(n, n)`` Gram matrices (exact kernels);
``kind='features'``
    a list of ``(n, D_r)`` explicit feature maps ``F_r`` with
    ``K_r ~= F_r F_r^T`` (Nyström approximation); every quantity is then
    computed from ``F_r`` in ``O(n D^2)`` without forming an ``(n, n)`` matrix.

The two learners are ``alignf`` of Cortes, Mohri & Rostamizadeh (2012) and
EasyMKL of Aiolli & Donini (2015); the full references are those of
:class:`~mmfuse.fusion.KernelFusionClassifier`, which uses them.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import cho_factor, solve_triangular
from scipy.optimize import nnls

__all__ = ["alignment_weights", "centered_alignment", "easymkl_weights"]


def _one_hot(y_enc):
    y_enc = np.asarray(y_enc)
    Y = np.zeros((y_enc.shape[0], int(y_enc.max()) + 1))
    Y[np.arange(y_enc.shape[0]), y_enc] = 1.0
    return Y


def _center_gram(K):
    """``H K H`` with ``H = I - 11^T / n`` (Cortes et al. 2012, Lemma 1)."""
    return K - K.mean(axis=0)[None, :] - K.mean(axis=1)[:, None] + K.mean()


def _centered(blocks, kind):
    if kind == "gram":
        return [_center_gram(np.asarray(K, dtype=np.float64)) for K in blocks]
    return [np.asarray(F, dtype=np.float64) - np.asarray(F, dtype=np.float64).mean(axis=0)
            for F in blocks]


def _inner(A, B, kind):
    """``<K_A, K_B>_F`` of two (centered) kernels given as Gram matrices or feature maps."""
    if kind == "gram":
        return float(np.vdot(A, B))
    return float(np.sum((A.T @ B) ** 2))


def _target_inner(A, Yc, kind):
    """``<K_A^c, Y Y^T>_F``: the (centered) kernel against the ideal kernel of the labels."""
    if kind == "gram":
        return float(np.sum((A @ Yc) * Yc))
    return float(np.sum((A.T @ Yc) ** 2))


def centered_alignment(K1, K2):
    """Centered kernel alignment ``rho(K1, K2) = <K1c, K2c>_F / (||K1c||_F ||K2c||_F)``.

    Parameters
    ----------
    K1, K2 : ndarray of shape (n, n)
        Kernel matrices on the same rows.

    Returns
    -------
    rho : float
        In ``[-1, 1]``; 0 when a kernel is constant (its centered form is 0).

    References
    ----------
    Cortes, Mohri & Rostamizadeh (2012), Definition 2.
    """
    A, B = _center_gram(np.asarray(K1, float)), _center_gram(np.asarray(K2, float))
    den = np.linalg.norm(A) * np.linalg.norm(B)
    return float(np.vdot(A, B) / den) if den > 0 else 0.0


def _nonnegative_quadratic(M, a):
    """``argmin_{v >= 0} v^T M v - 2 v^T a`` for a PSD ``M`` (Cholesky + NNLS, exact)."""
    k = M.shape[0]
    ridge = 1e-12 * max(np.trace(M), 1e-300)
    c, low = cho_factor(M + ridge * np.eye(k), lower=True)
    L = np.tril(c) if low else np.triu(c).T
    # v^T M v - 2 v^T a = ||L^T v - L^{-1} a||^2 - const
    b = solve_triangular(L, a, lower=True)
    v, _ = nnls(L.T, b)
    return v


def alignment_weights(blocks, y_enc, *, kind="gram"):
    """Kernel weights maximising the centered alignment with the labels (``alignf``).

    Solves ``v* = argmin_{v >= 0} v^T M v - 2 v^T a`` with
    ``M_kl = <K_k^c, K_l^c>_F`` and ``a_k = <K_k^c, Y Y^T>_F`` (Cortes et al.
    2012, Proposition 9), where ``Y`` is the one-hot label matrix (its ideal
    kernel ``Y Y^T`` is 1 for pairs of the same class; for two classes this
    is the ``y y^T`` of the paper up to a constant that centering removes).

    Parameters
    ----------
    blocks : list of ndarray
        Gram matrices ``(n, n)`` (``kind='gram'``) or feature maps ``(n, D_r)``
        (``kind='features'``) of the training rows.
    y_enc : ndarray of int, shape (n,)
        Labels encoded as ``0 .. n_classes - 1``.
    kind : {'gram', 'features'}

    Returns
    -------
    weights : ndarray of shape (n_kernels,)
        Non-negative, summing to one (the paper normalises ``v*`` to unit L2
        norm; the scale of a kernel combination does not change the
        alignment and is renormalised by the fuser anyway).
    alignment : ndarray of shape (n_kernels,)
        Each kernel's centered alignment with the labels, ``rho(K_k, Y Y^T)``.
    """
    C = _centered(blocks, kind)
    Y = _one_hot(y_enc)
    Yc = Y - Y.mean(axis=0)
    a = np.array([_target_inner(A, Yc, kind) for A in C])
    k = len(C)
    M = np.empty((k, k))
    for i in range(k):
        for j in range(i + 1):
            M[i, j] = M[j, i] = _inner(C[i], C[j], kind)
    norms = np.sqrt(np.clip(np.diag(M), 0.0, None))
    ynorm = np.linalg.norm(Yc.T @ Yc)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.where(norms > 0, a / (norms * ynorm), 0.0)
    v = _nonnegative_quadratic(M, a) if np.any(a > 0) else np.zeros(k)
    if not v.sum() > 0:
        return np.full(k, 1.0 / k), rho
    return v / v.sum(), rho


# ---------------------------------------------------------------------------- EasyMKL


def _project_two_simplices(v, pos):
    """Euclidean projection onto ``{g >= 0, sum g[pos] = 1, sum g[~pos] = 1}``."""
    out = np.empty_like(v)
    for mask in (pos, ~pos):
        u = v[mask]
        s = np.sort(u)[::-1]
        css = np.cumsum(s) - 1.0
        rho = np.nonzero(s - css / np.arange(1, s.size + 1) > 0)[0][-1]
        out[mask] = np.maximum(u - css[rho] / (rho + 1.0), 0.0)
    return out


def _min_margin(apply_K, s, lam, *, tol=1e-7, max_iter=20000):
    """``argmin_{gamma in Gamma} gamma^T S ((1 - lam) K + lam I) S gamma``.

    ``Gamma`` is the product of the probability simplices over the positive
    and the negative rows (``s`` in ``{-1, +1}``): the distance between the
    convex hulls of the two classes in feature space, the inner problem of
    EasyMKL (and of KOMD). Accelerated projected gradient (FISTA) with the
    gradient restart of O'Donoghue & Candès (2015); stops when the Frank-Wolfe
    duality gap falls below ``tol`` times the objective.
    """
    pos = s > 0

    def Q(v):
        return (1.0 - lam) * s * apply_K(s * v) + lam * v

    rng = np.random.default_rng(0)
    b = rng.random(s.size) + 0.5
    for _ in range(50):  # power iteration: the largest eigenvalue of Q
        b = Q(b)
        b /= np.linalg.norm(b)
    step = 1.0 / (2.0 * 1.05 * float(b @ Q(b)) + 1e-12)
    x = np.where(pos, 1.0 / pos.sum(), 1.0 / (~pos).sum())
    z, t = x.copy(), 1.0
    for it in range(max_iter):
        x_new = _project_two_simplices(z - step * 2.0 * Q(z), pos)
        if np.dot(z - x_new, x_new - x) > 0:  # momentum points uphill: restart
            t = 1.0
            z = x_new
        else:
            t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
            z = x_new + ((t - 1.0) / t_new) * (x_new - x)
            t = t_new
        x = x_new
        if it % 10 == 9:
            g = 2.0 * Q(x)
            f = 0.5 * float(g @ x)
            gap = float(g @ x) - g[pos].min() - g[~pos].min()
            if gap <= tol * max(f, 1e-300):
                break
    return x


def _min_margin_libsvm(K_reg, s, tol):
    """The same problem for an explicit ``(1 - lam) K + lam I``, by libsvm's SMO.

    For a strictly positive-definite kernel the classes are separable, and the
    dual of the hard-margin SVM (``C`` huge) normalised per class is the
    point of ``Gamma`` closest to the origin (Bennett & Bredensteiner 2000);
    this is MKLpy's ``solver='libsvm'``, and far faster than the generic
    solver on a dense Gram matrix.
    """
    from sklearn.svm import SVC  # noqa: PLC0415

    svm = SVC(C=1e7, kernel="precomputed", tol=tol, max_iter=-1).fit(K_reg, s)
    g = np.zeros(s.size)
    g[svm.support_] = svm.dual_coef_.ravel()
    g = np.abs(g)
    pos = s > 0
    for mask in (pos, ~pos):
        total = g[mask].sum()
        g[mask] = g[mask] / total if total > 0 else 1.0 / mask.sum()
    return g


def easymkl_weights(blocks, y_enc, *, lam=0.1, kind="gram", tol=1e-7, max_iter=20000):
    """EasyMKL kernel weights (Aiolli & Donini 2015).

    For each binary task (the two classes; one-vs-rest for more), with
    ``K = sum_r K_r`` and ``S = diag(s)``, ``s`` in ``{-1, +1}``:

    1. ``gamma* = argmin_{gamma in Gamma} (1 - lam) gamma^T S K S gamma + lam ||gamma||^2``,
       ``Gamma`` the product of the simplices over the positive and the negative rows;
    2. ``eta_r = gamma*^T S K_r S gamma*``, normalised to sum to one.

    Parameters
    ----------
    blocks : list of ndarray
        Gram matrices ``(n, n)`` or feature maps ``(n, D_r)`` (see ``kind``).
    y_enc : ndarray of int, shape (n,)
    lam : float in [0, 1], default=0.1
        The ``lambda`` of the paper and of MKLpy's ``EasyMKL(lam=...)``.
    kind : {'gram', 'features'}
    tol, max_iter
        Stopping rule of the inner solver: libsvm's tolerance for Gram
        matrices (where the inner problem is a hard-margin SVM on
        ``(1 - lam) K + lam I``, as MKLpy's ``solver='libsvm'``); the relative
        duality gap and the iteration cap of the accelerated projected
        gradient for feature maps (where ``K`` is never formed).

    Returns
    -------
    weights : ndarray of shape (n_kernels,)
        Non-negative, summing to one. With more than two classes, the mean
        of the one-vs-rest weight vectors (MKLpy instead keeps one
        combination per one-vs-rest problem).
    """
    y_enc = np.asarray(y_enc)
    if kind == "gram":
        K_reg = (1.0 - lam) * np.sum([np.asarray(K, dtype=np.float64) for K in blocks], axis=0)
        K_reg[np.diag_indices_from(K_reg)] += lam

        def solve(s):
            return _min_margin_libsvm(K_reg, s, max(tol, 1e-10) * 10)

        def quad(r, v):
            return float(v @ (blocks[r] @ v))
    else:
        feats = [np.asarray(F, dtype=np.float64) for F in blocks]

        def apply_K(v):
            return sum(F @ (F.T @ v) for F in feats)

        def solve(s):
            return _min_margin(apply_K, s, lam, tol=tol, max_iter=max_iter)

        def quad(r, v):
            return float(np.sum((feats[r].T @ v) ** 2))

    classes = np.unique(y_enc)
    positives = classes[1:] if classes.size == 2 else classes
    etas = []
    for c in positives:
        s = np.where(y_enc == c, 1.0, -1.0)
        yg = s * solve(s)
        eta = np.array([max(quad(r, yg), 0.0) for r in range(len(blocks))])
        etas.append(eta / eta.sum() if eta.sum() > 0 else np.full(len(blocks), 1 / len(blocks)))
    w = np.mean(etas, axis=0)
    return w / w.sum()
