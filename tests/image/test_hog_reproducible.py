"""HOG features are bit-for-bit reproducible, whatever the memory alignment of the pixels.

``cv2.magnitude`` rounded a pixel's gradient magnitude differently in its SIMD body and its
scalar tail, so the same image gave features differing in the last bit depending on where
its gradient arrays happened to start in memory: two identical training runs could give
different models. The magnitude is now computed with NumPy's correctly rounded operations.
"""

import numpy as np

from mmfuse.image import HOGFeatures


def test_repeated_extraction_is_identical(rng):
    images = [(rng.random((60, 50)) * 255).astype(np.uint8) for _ in range(40)]
    ext = HOGFeatures(image_size=(28, 28), pixels_per_cell=(4, 4))
    ref = ext.fit_transform(images)
    # other batch compositions, hence other allocation patterns (this failed before)
    for start in range(1, 6):
        np.testing.assert_array_equal(ext.transform(images[start:])[0], ref[start])
    np.testing.assert_array_equal(HOGFeatures(image_size=(28, 28), pixels_per_cell=(4, 4))
                                  .fit_transform(images), ref)
