"""Batched HOG (mmfuse.image.hog) against a loop of skimage.feature.hog, same run.

Run from the repository root::

    python -m benchmarks.bench_hog            # 1,000 images of 128x128, best of 3
    python -m benchmarks.bench_hog --quick    # 200 images, one repeat
    python -m benchmarks.bench_hog --device cuda   # the GPU path (needs CuPy + CUDA)

Images are real: crops and flips of scikit-image's sample photographs (camera,
astronaut, coffee, chelsea, ...) resized to 128x128 with small noise, so every
image differs. Parameters: 9 orientations, 8x8 cells, 2x2 blocks, L2-Hys
(8,100 features). Cases:

1. float32 batch (the fast path, what HOGFeatures uses) vs skimage on the same
   float32 images; prints max/mean |difference| to skimage on the same input and
   to skimage's float64 result (and skimage's own float32 deviation from it:
   a float32 image moves a few pixels across a bin edge, in skimage as in ours).
2. float64 batch vs skimage on float64 images (exact parity path).
3. colour (channel_axis=-1) float32 vs skimage colour.

Target (issue 5): case 1 at least 10x faster than the skimage loop on the CPU.

5. ``--first-call``: in fresh interpreters, ``HOGFeatures().fit`` on 300 images
   (arrays of several sizes, letterboxed to 128x128) and then five ``transform``
   calls; prints the first call's time over the median of the later ones, in wall
   time and in CPU time (less disturbed by other jobs on a shared machine), the
   median over ``--processes`` interpreters (target issue 14: <= 1.2).

4. OpenCV's ``cv2.HOGDescriptor`` (same geometry: 128x128 window, 16x16 blocks,
   8x8 stride and cells, 9 bins; it adds a Gaussian block window and trilinear
   vote interpolation) is not in the opencv-python-headless 5 wheel mmfuse uses.
   ``--opencv-python /path/to/python`` times it with another interpreter that has
   OpenCV 4.x (``python -m venv /tmp/cv4venv && /tmp/cv4venv/bin/pip install
   "opencv-python-headless<5" numpy``; never a dependency of mmfuse) on the same
   images (as uint8), one ``compute`` call per image, in a worker process that
   runs one loop each time it is asked: its rounds alternate with mmfuse's float32
   batch (the transformer's path) in the same run, and the ratio of the best
   times is printed with the spread of the per-round ratios (target issue 14:
   >= 1x). Without it the ratio is estimated from the issue's figure
   (HOGDescriptor ~20x skimage).
"""

from __future__ import annotations

import argparse

import numpy as np

from ._timing import best_of, ratio_text


def make_images(n=1000, size=128, color=False, seed=0):
    """``n`` distinct natural-image crops in [0, 1], float64, (n, size, size[, 3])."""
    import cv2
    from skimage import data

    photos = [data.astronaut(), data.coffee(), data.chelsea(), data.rocket(),
              np.dstack([data.camera()] * 3), np.dstack([data.brick()] * 3),
              np.dstack([data.grass()] * 3), np.dstack([data.text()] * 3)]
    rng = np.random.default_rng(seed)
    out = np.empty((n, size, size, 3) if color else (n, size, size), dtype=np.float64)
    for i in range(n):
        p = photos[i % len(photos)]
        h, w = p.shape[:2]
        s = int(rng.integers(min(h, w) // 3, min(h, w) + 1))
        r0, c0 = int(rng.integers(0, h - s + 1)), int(rng.integers(0, w - s + 1))
        crop = cv2.resize(np.ascontiguousarray(p[r0:r0 + s, c0:c0 + s]), (size, size),
                          interpolation=cv2.INTER_AREA).astype(np.float64) / 255.0
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        if not color:
            crop = crop @ np.array([0.299, 0.587, 0.114])
        out[i] = np.clip(crop + rng.normal(0, 0.005, crop.shape), 0, 1)
    return out


def skimage_loop(images, color):
    from skimage.feature import hog

    kw = dict(orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2),
              block_norm="L2-Hys", channel_axis=-1 if color else None)
    return np.stack([hog(im, **kw) for im in images])


def run_case(name, images, *, color, device, repeat, ref64=None):
    from mmfuse._backend import to_numpy
    from mmfuse.image import hog as mm_hog

    kw = dict(orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2),
              block_norm="L2-Hys", channel_axis=-1 if color else None, device=device)
    mm_hog(images[:8], **kw)  # warm up (imports, GPU kernels)
    t_mm, ours = best_of(lambda: to_numpy(mm_hog(images, **kw)), repeat)
    t_sk, theirs = best_of(lambda: skimage_loop(images, color), repeat)
    same = np.abs(ours.astype(np.float64) - theirs)
    print(f"{name:36s} mmfuse {t_mm:7.3f} s   skimage {t_sk:7.3f} s   ratio {t_sk / t_mm:5.1f}x"
          f"   vs skimage same input: max|d| {same.max():.1e}")
    if ref64 is not None:
        diff = np.abs(ours.astype(np.float64) - ref64)
        sk = np.abs(theirs - ref64)
        print(f"{'':36s} vs float64 result: mmfuse max|d| {diff.max():.1e} mean|d| "
              f"{diff.mean():.1e} (images with max|d| > 1e-2: {(diff.max(1) > 1e-2).sum()}); "
              f"skimage float32 max|d| {sk.max():.1e} mean|d| {sk.mean():.1e}")
    return t_sk / t_mm


_OPENCV_WORKER = """
import sys, time
import numpy as np, cv2
images = np.load(sys.argv[1])
d = cv2.HOGDescriptor((128, 128), (16, 16), (8, 8), (8, 8), 9)
print(cv2.__version__, len(d.compute(images[0])), cv2.getNumThreads(), flush=True)
for line in sys.stdin:  # one loop over the images per request
    t = time.perf_counter()
    out = [d.compute(im) for im in images]
    print(time.perf_counter() - t, flush=True)
"""


class OpenCVHOGWorker:
    """A process of another interpreter (OpenCV 4.x) that times one loop of
    ``cv2.HOGDescriptor.compute`` over the images each time it is called."""

    def __init__(self, python, images):
        import subprocess
        import tempfile
        from pathlib import Path

        self._tmp = tempfile.TemporaryDirectory()
        path = Path(self._tmp.name) / "images.npy"
        np.save(path, (images * 255).round().astype(np.uint8))
        self._proc = subprocess.Popen([python, "-c", _OPENCV_WORKER, str(path)],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        version, length, threads = self._proc.stdout.readline().split()
        self.version, self.length, self.threads = version, int(length), int(threads)

    def __call__(self):
        self._proc.stdin.write("go\n")
        self._proc.stdin.flush()
        return float(self._proc.stdout.readline())

    def close(self):
        self._proc.stdin.close()
        self._proc.wait()
        self._tmp.cleanup()


def compare_opencv(python, images, device, repeat):
    """Rounds of mmfuse's float32 batch and OpenCV's loop in alternation; prints the ratio."""
    import time

    from mmfuse._backend import to_numpy
    from mmfuse.image import hog as mm_hog

    imgs32 = images.astype(np.float32)
    worker = OpenCVHOGWorker(python, images)
    t_mm, t_cv, ratios = [], [], []
    try:
        to_numpy(mm_hog(imgs32, device=device))
        worker()  # warm up both
        for _ in range(repeat):
            t0 = time.perf_counter()
            to_numpy(mm_hog(imgs32, device=device))
            t_mm.append(time.perf_counter() - t0)
            t_cv.append(worker())  # the worker's own timing of its loop
            ratios.append(t_cv[-1] / t_mm[-1])
    finally:
        worker.close()
    print(f"4. cv2.HOGDescriptor (OpenCV {worker.version}, {worker.threads} threads, "
          f"{worker.length} features, loop over uint8 images) {min(t_cv):.3f} s; mmfuse "
          f"float32 batch {min(t_mm):.3f} s; ratio {ratio_text(min(t_mm), min(t_cv), ratios)}"
          f" (target >= 1x; best of {repeat} alternating rounds)")
    return min(t_cv) / min(t_mm)


_FIRST_CALL = """
import sys, time
import numpy as np
from mmfuse.image import HOGFeatures
rng = np.random.default_rng(0)
images = [(rng.random((96 + i % 64, 120)) * 255).astype(np.uint8) for i in range(300)]
hf = HOGFeatures(device=sys.argv[1]).fit(images)
times, cpu = [], []
for _ in range(6):
    t, c = time.perf_counter(), time.process_time()
    hf.transform(images)
    times.append(time.perf_counter() - t)
    cpu.append(time.process_time() - c)
print(times[0], float(np.median(times[1:])), cpu[0], float(np.median(cpu[1:])))
"""


def first_call(device, processes):
    """Case 5: first transform vs later ones, each in a fresh interpreter."""
    import subprocess
    import sys

    rows = []
    for _ in range(processes):
        out = subprocess.run([sys.executable, "-c", _FIRST_CALL, device], capture_output=True,
                             text=True, check=True).stdout.split()
        rows.append([float(v) for v in out])
    rows = np.array(rows)
    wall, cpu = rows[:, 0] / rows[:, 1], rows[:, 2] / rows[:, 3]
    print(f"5. first HOGFeatures.transform of 300 images vs later ones ({processes} fresh "
          f"interpreters): first {np.median(rows[:, 0]):.3f} s, later {np.median(rows[:, 1]):.3f}"
          f" s; first/later median {np.median(wall):.2f} (range {wall.min():.2f}-"
          f"{wall.max():.2f}); in CPU time {np.median(cpu):.2f} (range {cpu.min():.2f}-"
          f"{cpu.max():.2f}); target <= 1.2")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="200 images, one repeat")
    ap.add_argument("--n", type=int, default=None, help="number of images (default 1000)")
    ap.add_argument("--repeat", type=int, default=None)
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda", "auto"])
    ap.add_argument("--opencv-python", default=None,
                    help="an interpreter with OpenCV 4.x to time cv2.HOGDescriptor")
    ap.add_argument("--first-call", action="store_true",
                    help="only case 5: first transform vs later ones in fresh interpreters")
    ap.add_argument("--processes", type=int, default=7, help="interpreters for case 5")
    args = ap.parse_args(argv)
    if args.first_call:
        first_call(args.device, args.processes)
        return
    n = args.n or (200 if args.quick else 1000)
    repeat = args.repeat or (1 if args.quick else 3)
    gray64 = make_images(n)
    print(f"HOG of {n} images 128x128, 9 orientations, 8x8 cells, 2x2 blocks, L2-Hys; "
          f"device={args.device}; best of {repeat}")
    ref64 = skimage_loop(gray64, False)
    ratio = run_case("1. grey float32 (fast path)", gray64.astype(np.float32), color=False,
                     device=args.device, repeat=repeat, ref64=ref64)
    run_case("2. grey float64 (parity path)", gray64, color=False, device=args.device,
             repeat=repeat)
    n_color = max(1, n // 4)
    col = make_images(n_color, color=True, seed=1)
    run_case(f"3. colour float32 ({n_color} images)", col.astype(np.float32), color=True,
             device=args.device, repeat=repeat,
             ref64=skimage_loop(col, True))
    print(f"target >= 10x for case 1: {'met' if ratio >= 10 else 'NOT met'}")
    if args.opencv_python:
        compare_opencv(args.opencv_python, gray64, args.device, repeat)
    else:
        print(f"estimated ratio to cv2.HOGDescriptor (~20x skimage per the issue): "
              f"{ratio / 20:.2f}x (pass --opencv-python to measure it)")


if __name__ == "__main__":
    main()
