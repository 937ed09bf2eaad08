"""atan2's gradient in float16 near the origin: found by the edge-value property test
(``test_no_nan_gradient_where_the_value_is_finite_at_random_mixes``) while running the suite."""

from __future__ import annotations

import numpy as np

import tapegrad


def test_atan2_float16_gradient_is_finite_where_x_squared_is_subnormal():
    # x = 2**-8: x*x = 2**-16 is a float16 subnormal whose reciprocal overflows; the VJP
    # multiplied by that reciprocal and gave d/dx = -0 * inf = NaN. It now divides (PyTorch's
    # formula, which in float16 gives inf and NaN here: tapegrad keeps the exact 256 and 0).
    y = tapegrad.tensor([0.0, 0.0], dtype=tapegrad.float16, requires_grad=True)
    x = tapegrad.tensor([2.0 ** -8, 0.0], dtype=tapegrad.float16, requires_grad=True)
    tapegrad.atan2(y, x).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [256.0, 0.0])  # x / (x**2 + y**2); 0 at the origin
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])  # -y / (x**2 + y**2)
