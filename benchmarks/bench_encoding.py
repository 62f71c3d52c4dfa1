"""Codebook assignment and dense SIFT against their peers, same run, ratio printed.

Run from the repository root::

    python -m benchmarks.bench_encoding            # full sizes
    python -m benchmarks.bench_encoding --quick    # small sizes, one repeat

Cases:

1. ``mmfuse.image.assign`` (chunked GEMM ``‖x‖² − 2x·cᵀ + ‖c‖²``, argmin) vs
   ``sklearn.cluster.KMeans.predict`` with the same centres: 1,000,000 float32
   128-d descriptors to 1,024 words (target: ratio >= 1x); label agreement printed.
2. ``mmfuse.image.dense_sift`` on a batch of 128×128 images (step 8, patch 16:
   225 keypoints each; 300 images by default, ``--sift-images``) vs a Python loop
   of ``cv2.SIFT.compute`` on the same grid keypoints (``size = 16/6``, angle 0,
   OpenCV's default threads), rounds in alternation; mean cosine similarity
   printed (target issue 14: >= 1x, stretch 2x; cosine >= 0.999).
3. With CuPy and a CUDA device: the same two on the GPU vs our CPU path.

Ratios are ``peer time / mmfuse time`` (> 1: mmfuse faster); times are the
best of ``--repeat`` runs (for dense SIFT, with the spread of the per-round
ratios).
"""

from __future__ import annotations

import argparse

import numpy as np

from ._timing import alternate, best_of, ratio_text


def _row(name, ours, peer, peer_name, extra=""):
    print(f"{name:<44s} mmfuse {ours:8.3f} s | {peer_name} {peer:8.3f} s | "
          f"ratio {peer / ours:6.2f}x {extra}", flush=True)


def bench_assign(n, k, d, repeat):
    from sklearn.cluster import KMeans

    from mmfuse.image import assign

    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, d)).astype(np.float32)
    km = KMeans(n_clusters=k, n_init=1, max_iter=1, random_state=0).fit(X[:max(k * 4, 20000)])
    t_ours, lab = best_of(lambda: assign(X, km.cluster_centers_, device="cpu"), repeat)
    t_peer, ref = best_of(lambda: km.predict(X), repeat)
    agree = float((lab == ref).mean())
    _row(f"assign {n:,} x {d}-d to {k:,} words (CPU)", t_ours, t_peer, "KMeans.predict",
         f"agreement {agree:.5f}")
    return X, km.cluster_centers_, t_ours


def bench_dense_sift(n_images, size, repeat):
    import cv2

    from mmfuse.image import dense_sift
    from mmfuse.image._dense_sift import opencv_keypoint_size

    rng = np.random.default_rng(0)
    # textured images: smoothed noise plus edges
    imgs = rng.random((n_images, size, size)).astype(np.float32)
    imgs = np.stack([cv2.GaussianBlur(im, (0, 0), 2.0) for im in imgs])
    imgs[:, size // 3: 2 * size // 3, size // 4:] += 0.3
    imgs = np.clip(imgs, 0, 1)
    u8 = np.rint(imgs * 255).astype(np.uint8)
    _, pos = dense_sift(u8[:1], step=8, patch_size=16, device="cpu")
    sift = cv2.SIFT_create()
    kps = [cv2.KeyPoint(float(x), float(y), opencv_keypoint_size(16), 0) for y, x in pos]

    def ours():
        return dense_sift(u8, step=8, patch_size=16, device="cpu")[0]

    def peer():
        return [sift.compute(im, kps)[1] for im in u8]

    ours(), peer()  # warm up both
    t_ours, t_peer, ratios, D, ref = alternate(ours, peer, repeat)
    ref = np.stack(ref)
    ref = ref / np.maximum(np.linalg.norm(ref, axis=2, keepdims=True), 1e-12)
    cos = (D * ref).sum(2)
    valid = np.linalg.norm(ref, axis=2) > 0
    print(f"{f'dense SIFT {n_images} x {size}x{size}, {len(pos)} kp/img (CPU)':<44s} mmfuse "
          f"{t_ours:8.3f} s | cv2 loop {t_peer:8.3f} s | ratio {ratio_text(t_ours, t_peer, ratios)}"
          f" mean cosine {cos[valid].mean():.5f} (min {cos[valid].min():.4f})", flush=True)
    return u8, t_ours


def bench_gpu(X, C, t_assign_cpu, u8, t_sift_cpu, repeat):
    from mmfuse._backend import cuda_available, to_numpy

    if not cuda_available():
        print("GPU: no CUDA device with CuPy here; GPU cases skipped (unverified)")
        return
    import cupy  # benchmark only: our library code never imports cupy itself

    from mmfuse.image import assign, dense_sift

    Xg = cupy.asarray(X)

    def run_assign():
        out = assign(Xg, C, device="cuda")
        cupy.cuda.Device().synchronize()
        return out

    run_assign()
    t, lab = best_of(run_assign, repeat)
    same = float((to_numpy(lab) == assign(X, C, device="cpu")).mean())
    _row("assign (GPU) vs our CPU path", t, t_assign_cpu, "mmfuse CPU",
         f"agreement {same:.5f}")

    def run_sift():
        out = dense_sift(u8, step=8, patch_size=16, device="cuda")
        cupy.cuda.Device().synchronize()
        return out

    run_sift()
    t, _ = best_of(run_sift, repeat)
    _row("dense SIFT (GPU) vs our CPU path", t, t_sift_cpu, "mmfuse CPU")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeat", type=int, default=None)
    ap.add_argument("--sift-images", type=int, default=None,
                    help="images for the dense SIFT case (default 300; 100 with --quick)")
    ap.add_argument("--sift-only", action="store_true", help="only the dense SIFT case")
    args = ap.parse_args(argv)
    repeat = args.repeat or (1 if args.quick else 3)
    n = 100_000 if args.quick else 1_000_000
    n_img = args.sift_images or (100 if args.quick else 300)
    if args.sift_only:
        bench_dense_sift(n_img, 128, repeat)
        return
    X, C, t_assign = bench_assign(n, 1024, 128, repeat)
    u8, t_sift = bench_dense_sift(n_img, 128, repeat)
    bench_gpu(X, C, t_assign, u8, t_sift, repeat)


if __name__ == "__main__":
    main()
