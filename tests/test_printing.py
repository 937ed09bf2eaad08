"""tensor_repr must print exactly what PyTorch prints.

Every expected string below was captured from ``repr`` of the same tensor in
PyTorch 2.13.0 (CPU), with ``torch.`` spelled ``tapegrad.``; torch itself is
never imported here, since tapegrad does not depend on it.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tapegrad.printing import set_printoptions, tensor_repr

NAN, INF = np.nan, np.inf

PLAIN = dict(dtype_name=None, grad_fn_name=None, requires_grad=False)


@pytest.fixture(autouse=True)
def default_printoptions() -> Iterator[None]:
    """Options are module state: put PyTorch's defaults back after each test."""
    yield
    set_printoptions(precision=4, threshold=1000, edgeitems=3, linewidth=80)


CASES = [
    pytest.param(
        np.ones((2, 2), np.float32),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=True),
        {},
        'tensor([[1., 1.],\n'
        '        [1., 1.]], requires_grad=True)',
        id='ones-requires-grad',
    ),
    pytest.param(
        np.array(27.0, np.float32),
        dict(dtype_name=None, grad_fn_name='MeanBackward0', requires_grad=False),
        {},
        'tensor(27., grad_fn=<MeanBackward0>)',
        id='0d-whole-grad-fn',
    ),
    pytest.param(
        np.full((2, 2), 4.5, np.float32),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor([[4.5000, 4.5000],\n'
        '        [4.5000, 4.5000]])',
        id='common-decimals',
    ),
    pytest.param(
        np.array([1, 2, 3]),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor([1, 2, 3])',
        id='int64-vector',
    ),
    pytest.param(
        np.array([True, False]),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor([ True, False])',
        id='bool-vector',
    ),
    pytest.param(
        np.zeros((0, 3), np.float32),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor([], size=(0, 3))',
        id='empty-2d-size',
    ),
    pytest.param(
        np.zeros((0,), np.float32),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor([])',
        id='empty-1d',
    ),
    pytest.param(
        np.zeros((2, 0, 4), np.float32),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor([], size=(2, 0, 4))',
        id='empty-3d',
    ),
    pytest.param(
        np.zeros((0,), np.int64),
        dict(dtype_name='tapegrad.int64', grad_fn_name=None, requires_grad=False),
        {},
        'tensor([], dtype=tapegrad.int64)',
        id='empty-int64-shows-dtype',
    ),
    pytest.param(
        np.zeros((0, 2), np.float64),
        dict(dtype_name='tapegrad.float64', grad_fn_name=None, requires_grad=True),
        {},
        'tensor([], size=(0, 2), dtype=tapegrad.float64, requires_grad=True)',
        id='empty-float64-requires-grad',
    ),
    pytest.param(
        np.array([1e-5, 1e3], np.float32),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor([1.0000e-05, 1.0000e+03])',
        id='sci-by-ratio-small',
    ),
    pytest.param(
        np.array([1.0, 2.0]),
        dict(dtype_name='tapegrad.float64', grad_fn_name=None, requires_grad=False),
        {},
        'tensor([1., 2.], dtype=tapegrad.float64)',
        id='float64-dtype-suffix',
    ),
    pytest.param(
        np.array(3),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor(3)',
        id='0d-int64',
    ),
    pytest.param(
        np.array(3.5, np.float16),
        dict(dtype_name='tapegrad.float16', grad_fn_name=None, requires_grad=False),
        {},
        'tensor(3.5000, dtype=tapegrad.float16)',
        id='0d-float16',
    ),
    pytest.param(
        np.array(-0.125, np.float32),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor(-0.1250)',
        id='0d-float-fraction',
    ),
    pytest.param(
        np.array(-0.0, np.float32),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor(-0.)',
        id='0d-negative-zero',
    ),
    pytest.param(
        np.array(NAN, np.float32),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor(nan)',
        id='0d-nan',
    ),
    pytest.param(
        np.array(-INF, np.float32),
        dict(dtype_name=None, grad_fn_name='MulBackward0', requires_grad=False),
        {},
        'tensor(-inf, grad_fn=<MulBackward0>)',
        id='0d-inf-grad-fn',
    ),
    pytest.param(
        np.array(False),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor(False)',
        id='0d-bool',
    ),
    pytest.param(
        np.array(123456789.0, np.float32),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor(1.2346e+08)',
        id='0d-sci',
    ),
    pytest.param(
        np.zeros(3, np.float32),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor([0., 0., 0.])',
        id='zeros-only',
    ),
    pytest.param(
        np.array([-0.0, 0.0, 2.0], np.float32),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor([-0., 0., 2.])',
        id='negative-zero-in-int-mode',
    ),
    pytest.param(
        np.array([-0.0, 1.5], np.float32),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor([-0.0000, 1.5000])',
        id='negative-zero-in-decimal-mode',
    ),
    pytest.param(
        np.array([NAN, INF, -INF, 1.0], np.float32),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor([nan, inf, -inf, 1.])',
        id='nan-inf-whole',
    ),
    pytest.param(
        np.array([NAN, -INF, 1.25], np.float32),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor([   nan,   -inf, 1.2500])',
        id='nan-inf-decimal',
    ),
    pytest.param(
        np.array([NAN, INF, -INF], np.float32),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor([nan, inf, -inf])',
        id='all-nonfinite',
    ),
    pytest.param(
        np.array([NAN, 1e-7, 3.0], np.float32),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor([       nan, 1.0000e-07, 3.0000e+00])',
        id='nan-with-sci',
    ),
    pytest.param(
        np.array([2e8], np.float32),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor([2.0000e+08])',
        id='sci-by-large-max',
    ),
    pytest.param(
        np.array([5e-5, 1e-4], np.float32),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor([5.0000e-05, 1.0000e-04])',
        id='sci-by-tiny-min',
    ),
    pytest.param(
        np.array([1.0, 1001.0], np.float32),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor([1.0000e+00, 1.0010e+03])',
        id='sci-by-ratio',
    ),
    pytest.param(
        np.array([1.0, 1000.0], np.float32),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor([   1., 1000.])',
        id='no-sci-at-ratio-1000',
    ),
    pytest.param(
        np.array([1.0, 123456.0], np.float32),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor([1.0000e+00, 1.2346e+05])',
        id='sci-whole-numbers',
    ),
    pytest.param(
        np.array([1e-100, 1e200]),
        dict(dtype_name='tapegrad.float64', grad_fn_name=None, requires_grad=False),
        {},
        'tensor([1.0000e-100, 1.0000e+200], dtype=tapegrad.float64)',
        id='sci-three-digit-exponent',
    ),
    pytest.param(
        np.array([-1.0, 2.0, 300.0], np.float32),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor([ -1.,   2., 300.])',
        id='whole-negative-widths',
    ),
    pytest.param(
        np.array([[1.5, -22.25], [333.125, 4.0]], np.float32),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor([[  1.5000, -22.2500],\n'
        '        [333.1250,   4.0000]])',
        id='decimal-widths-2d',
    ),
    pytest.param(
        np.array([9.99999, 0.5], np.float64),
        dict(dtype_name='tapegrad.float64', grad_fn_name=None, requires_grad=False),
        {},
        'tensor([10.0000,  0.5000], dtype=tapegrad.float64)',
        id='rounds-up-to-next-digit',
    ),
    pytest.param(
        np.array([0.1, 0.2, 0.3], np.float32),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor([0.1000, 0.2000, 0.3000])',
        id='float32-decimal-noise',
    ),
    pytest.param(
        np.array([0.1, 1000.5, -2.0], np.float16),
        dict(dtype_name='tapegrad.float16', grad_fn_name=None, requires_grad=False),
        {},
        'tensor([ 9.9976e-02,  1.0005e+03, -2.0000e+00], dtype=tapegrad.float16)',
        id='float16-values',
    ),
    pytest.param(
        np.array([65504.0, 0.001], np.float16),
        dict(dtype_name='tapegrad.float16', grad_fn_name=None, requires_grad=False),
        {},
        'tensor([6.5504e+04, 1.0004e-03], dtype=tapegrad.float16)',
        id='float16-sci',
    ),
    pytest.param(
        np.array([[1.0, 2.0], [3.0, 2048.0]], np.float16),
        dict(dtype_name='tapegrad.float16', grad_fn_name=None, requires_grad=True),
        {},
        'tensor([[1.0000e+00, 2.0000e+00],\n'
        '        [3.0000e+00, 2.0480e+03]], dtype=tapegrad.float16, requires_grad=True)',
        id='float16-whole',
    ),
    pytest.param(
        np.array([-128, 0, 127], np.int8),
        dict(dtype_name='tapegrad.int8', grad_fn_name=None, requires_grad=False),
        {},
        'tensor([-128,    0,  127], dtype=tapegrad.int8)',
        id='int8-extremes',
    ),
    pytest.param(
        np.array([[1, -20], [300, 4]], np.int16),
        dict(dtype_name='tapegrad.int16', grad_fn_name=None, requires_grad=False),
        {},
        'tensor([[  1, -20],\n'
        '        [300,   4]], dtype=tapegrad.int16)',
        id='int16-2d',
    ),
    pytest.param(
        np.array([[7], [-8]], np.int32),
        dict(dtype_name='tapegrad.int32', grad_fn_name=None, requires_grad=False),
        {},
        'tensor([[ 7],\n'
        '        [-8]], dtype=tapegrad.int32)',
        id='int32-column',
    ),
    pytest.param(
        np.array([0, 255, 17], np.uint8),
        dict(dtype_name='tapegrad.uint8', grad_fn_name=None, requires_grad=False),
        {},
        'tensor([  0, 255,  17], dtype=tapegrad.uint8)',
        id='uint8',
    ),
    pytest.param(
        np.array([[True, True], [False, True]]),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor([[ True,  True],\n'
        '        [False,  True]])',
        id='bool-2d',
    ),
    pytest.param(
        np.arange(8, dtype=np.float32).reshape(2, 2, 2) / 4,
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor([[[0.0000, 0.2500],\n'
        '         [0.5000, 0.7500]],\n'
        '\n'
        '        [[1.0000, 1.2500],\n'
        '         [1.5000, 1.7500]]])',
        id='3d',
    ),
    pytest.param(
        np.arange(8, dtype=np.int64).reshape(2, 1, 2, 2) - 3,
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor([[[[-3, -2],\n'
        '          [-1,  0]]],\n'
        '\n'
        '\n'
        '        [[[ 1,  2],\n'
        '          [ 3,  4]]]])',
        id='4d',
    ),
    pytest.param(
        np.arange(1001, dtype=np.float32) / 8,
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor([  0.0000,   0.1250,   0.2500,  ..., 124.7500, 124.8750, 125.0000])',
        id='summarized-1d',
    ),
    pytest.param(
        np.arange(1000, dtype=np.int64).reshape(100, 10)[:2],
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor([[ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9],\n'
        '        [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]])',
        id='not-summarized-at-1000',
    ),
    pytest.param(
        np.arange(1200, dtype=np.float32).reshape(40, 30),
        dict(dtype_name=None, grad_fn_name='MulBackward0', requires_grad=False),
        {},
        'tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 2.7000e+01, 2.8000e+01,\n'
        '         2.9000e+01],\n'
        '        [3.0000e+01, 3.1000e+01, 3.2000e+01,  ..., 5.7000e+01, 5.8000e+01,\n'
        '         5.9000e+01],\n'
        '        [6.0000e+01, 6.1000e+01, 6.2000e+01,  ..., 8.7000e+01, 8.8000e+01,\n'
        '         8.9000e+01],\n'
        '        ...,\n'
        '        [1.1100e+03, 1.1110e+03, 1.1120e+03,  ..., 1.1370e+03, 1.1380e+03,\n'
        '         1.1390e+03],\n'
        '        [1.1400e+03, 1.1410e+03, 1.1420e+03,  ..., 1.1670e+03, 1.1680e+03,\n'
        '         1.1690e+03],\n'
        '        [1.1700e+03, 1.1710e+03, 1.1720e+03,  ..., 1.1970e+03, 1.1980e+03,\n'
        '         1.1990e+03]], grad_fn=<MulBackward0>)',
        id='summarized-2d',
    ),
    pytest.param(
        np.arange(1002, dtype=np.int64).reshape(501, 2),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor([[   0,    1],\n'
        '        [   2,    3],\n'
        '        [   4,    5],\n'
        '        ...,\n'
        '        [ 996,  997],\n'
        '        [ 998,  999],\n'
        '        [1000, 1001]])',
        id='summarized-2d-short-rows',
    ),
    pytest.param(
        np.arange(1100, dtype=np.int32).reshape(10, 10, 11),
        dict(dtype_name='tapegrad.int32', grad_fn_name=None, requires_grad=False),
        {},
        'tensor([[[   0,    1,    2,  ...,    8,    9,   10],\n'
        '         [  11,   12,   13,  ...,   19,   20,   21],\n'
        '         [  22,   23,   24,  ...,   30,   31,   32],\n'
        '         ...,\n'
        '         [  77,   78,   79,  ...,   85,   86,   87],\n'
        '         [  88,   89,   90,  ...,   96,   97,   98],\n'
        '         [  99,  100,  101,  ...,  107,  108,  109]],\n'
        '\n'
        '        [[ 110,  111,  112,  ...,  118,  119,  120],\n'
        '         [ 121,  122,  123,  ...,  129,  130,  131],\n'
        '         [ 132,  133,  134,  ...,  140,  141,  142],\n'
        '         ...,\n'
        '         [ 187,  188,  189,  ...,  195,  196,  197],\n'
        '         [ 198,  199,  200,  ...,  206,  207,  208],\n'
        '         [ 209,  210,  211,  ...,  217,  218,  219]],\n'
        '\n'
        '        [[ 220,  221,  222,  ...,  228,  229,  230],\n'
        '         [ 231,  232,  233,  ...,  239,  240,  241],\n'
        '         [ 242,  243,  244,  ...,  250,  251,  252],\n'
        '         ...,\n'
        '         [ 297,  298,  299,  ...,  305,  306,  307],\n'
        '         [ 308,  309,  310,  ...,  316,  317,  318],\n'
        '         [ 319,  320,  321,  ...,  327,  328,  329]],\n'
        '\n'
        '        ...,\n'
        '\n'
        '        [[ 770,  771,  772,  ...,  778,  779,  780],\n'
        '         [ 781,  782,  783,  ...,  789,  790,  791],\n'
        '         [ 792,  793,  794,  ...,  800,  801,  802],\n'
        '         ...,\n'
        '         [ 847,  848,  849,  ...,  855,  856,  857],\n'
        '         [ 858,  859,  860,  ...,  866,  867,  868],\n'
        '         [ 869,  870,  871,  ...,  877,  878,  879]],\n'
        '\n'
        '        [[ 880,  881,  882,  ...,  888,  889,  890],\n'
        '         [ 891,  892,  893,  ...,  899,  900,  901],\n'
        '         [ 902,  903,  904,  ...,  910,  911,  912],\n'
        '         ...,\n'
        '         [ 957,  958,  959,  ...,  965,  966,  967],\n'
        '         [ 968,  969,  970,  ...,  976,  977,  978],\n'
        '         [ 979,  980,  981,  ...,  987,  988,  989]],\n'
        '\n'
        '        [[ 990,  991,  992,  ...,  998,  999, 1000],\n'
        '         [1001, 1002, 1003,  ..., 1009, 1010, 1011],\n'
        '         [1012, 1013, 1014,  ..., 1020, 1021, 1022],\n'
        '         ...,\n'
        '         [1067, 1068, 1069,  ..., 1075, 1076, 1077],\n'
        '         [1078, 1079, 1080,  ..., 1086, 1087, 1088],\n'
        '         [1089, 1090, 1091,  ..., 1097, 1098, 1099]]], dtype=tapegrad.int32)',
        id='summarized-3d',
    ),
    pytest.param(
        np.concatenate([np.ones(3), np.full(1000, 0.5), np.ones(3)]).astype(np.float32),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor([1., 1., 1.,  ..., 1., 1., 1.])',
        id='summarized-formats-only-shown-values',
    ),
    pytest.param(
        np.arange(1001) % 3 == 0,
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor([ True, False, False,  ..., False,  True, False])',
        id='summarized-bool',
    ),
    pytest.param(
        np.linspace(-1, 1, 20, dtype=np.float32),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor([-1.0000, -0.8947, -0.7895, -0.6842, -0.5789, -0.4737, -0.3684, -0.2632,\n'
        '        -0.1579, -0.0526,  0.0526,  0.1579,  0.2632,  0.3684,  0.4737,  0.5789,\n'
        '         0.6842,  0.7895,  0.8947,  1.0000])',
        id='wide-row-wraps',
    ),
    pytest.param(
        np.arange(40, dtype=np.int64) * 37,
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {},
        'tensor([   0,   37,   74,  111,  148,  185,  222,  259,  296,  333,  370,  407,\n'
        '         444,  481,  518,  555,  592,  629,  666,  703,  740,  777,  814,  851,\n'
        '         888,  925,  962,  999, 1036, 1073, 1110, 1147, 1184, 1221, 1258, 1295,\n'
        '        1332, 1369, 1406, 1443])',
        id='wide-int-row-wraps',
    ),
    pytest.param(
        np.arange(40, dtype=np.float32).reshape(2, 20) * 1.5,
        dict(dtype_name=None, grad_fn_name=None, requires_grad=True),
        {},
        'tensor([[ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n'
        '         12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000, 21.0000, 22.5000,\n'
        '         24.0000, 25.5000, 27.0000, 28.5000],\n'
        '        [30.0000, 31.5000, 33.0000, 34.5000, 36.0000, 37.5000, 39.0000, 40.5000,\n'
        '         42.0000, 43.5000, 45.0000, 46.5000, 48.0000, 49.5000, 51.0000, 52.5000,\n'
        '         54.0000, 55.5000, 57.0000, 58.5000]], requires_grad=True)',
        id='wide-2d-rows-wrap',
    ),
    pytest.param(
        np.arange(60, dtype=np.float64).reshape(2, 2, 15) * 1e5,
        dict(dtype_name='tapegrad.float64', grad_fn_name='MulBackward0', requires_grad=False),
        {},
        'tensor([[[      0.,  100000.,  200000.,  300000.,  400000.,  500000.,  600000.,\n'
        '           700000.,  800000.,  900000., 1000000., 1100000., 1200000., 1300000.,\n'
        '          1400000.],\n'
        '         [1500000., 1600000., 1700000., 1800000., 1900000., 2000000., 2100000.,\n'
        '          2200000., 2300000., 2400000., 2500000., 2600000., 2700000., 2800000.,\n'
        '          2900000.]],\n'
        '\n'
        '        [[3000000., 3100000., 3200000., 3300000., 3400000., 3500000., 3600000.,\n'
        '          3700000., 3800000., 3900000., 4000000., 4100000., 4200000., 4300000.,\n'
        '          4400000.],\n'
        '         [4500000., 4600000., 4700000., 4800000., 4900000., 5000000., 5100000.,\n'
        '          5200000., 5300000., 5400000., 5500000., 5600000., 5700000., 5800000.,\n'
        '          5900000.]]], dtype=tapegrad.float64, grad_fn=<MulBackward0>)',
        id='wide-3d-rows-wrap',
    ),
    pytest.param(
        np.arange(18, dtype=np.float64) / 2,
        dict(dtype_name='tapegrad.float64', grad_fn_name='MulBackward0', requires_grad=False),
        {},
        'tensor([0.0000, 0.5000, 1.0000, 1.5000, 2.0000, 2.5000, 3.0000, 3.5000, 4.0000,\n'
        '        4.5000, 5.0000, 5.5000, 6.0000, 6.5000, 7.0000, 7.5000, 8.0000, 8.5000],\n'
        '       dtype=tapegrad.float64, grad_fn=<MulBackward0>)',
        id='suffix-moves-to-new-line',
    ),
    pytest.param(
        np.arange(8, dtype=np.float32) / 2,
        dict(dtype_name=None, grad_fn_name=None, requires_grad=True),
        {},
        'tensor([0.0000, 0.5000, 1.0000, 1.5000, 2.0000, 2.5000, 3.0000, 3.5000],\n'
        '       requires_grad=True)',
        id='one-line-suffix-moves',
    ),
    pytest.param(
        np.arange(22, dtype=np.float64).reshape(2, 11) / 3,
        dict(dtype_name='tapegrad.float64', grad_fn_name=None, requires_grad=True),
        {},
        'tensor([[0.0000, 0.3333, 0.6667, 1.0000, 1.3333, 1.6667, 2.0000, 2.3333, 2.6667,\n'
        '         3.0000, 3.3333],\n'
        '        [3.6667, 4.0000, 4.3333, 4.6667, 5.0000, 5.3333, 5.6667, 6.0000, 6.3333,\n'
        '         6.6667, 7.0000]], dtype=tapegrad.float64, requires_grad=True)',
        id='suffixes-wrap-after-2d',
    ),
    pytest.param(
        np.arange(30, dtype=np.float32) / 7,
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False, prefix='LongPrefixTensor('),
        {},
        'LongPrefixTensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571,\n'
        '                  1.0000, 1.1429, 1.2857, 1.4286, 1.5714, 1.7143, 1.8571,\n'
        '                  2.0000, 2.1429, 2.2857, 2.4286, 2.5714, 2.7143, 2.8571,\n'
        '                  3.0000, 3.1429, 3.2857, 3.4286, 3.5714, 3.7143, 3.8571,\n'
        '                  4.0000, 4.1429])',
        id='other-prefix-indents',
    ),
    pytest.param(
        np.ones((2, 2), np.float32),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False, prefix='Batched('),
        {},
        'Batched([[1., 1.],\n'
        '         [1., 1.]])',
        id='short-prefix',
    ),
    pytest.param(
        np.array([1.23456, 2.5], np.float32),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {'precision': 2},
        'tensor([1.23, 2.50])',
        id='opt-precision-2',
    ),
    pytest.param(
        np.array([1.5, 2.25], np.float32),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {'precision': 0},
        'tensor([2, 2])',
        id='opt-precision-0',
    ),
    pytest.param(
        np.arange(10, dtype=np.int64),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {'threshold': 5},
        'tensor([0, 1, 2,  ..., 7, 8, 9])',
        id='opt-threshold',
    ),
    pytest.param(
        np.arange(20, dtype=np.float32).reshape(4, 5),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {'threshold': 5, 'edgeitems': 1},
        'tensor([[ 0.,  ...,  4.],\n'
        '        ...,\n'
        '        [15.,  ..., 19.]])',
        id='opt-edgeitems',
    ),
    pytest.param(
        np.arange(20, dtype=np.float32).reshape(4, 5),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=True),
        {'threshold': 5, 'edgeitems': 0},
        'tensor([...], size=(4, 5), requires_grad=True)',
        id='opt-edgeitems-0-shows-size',
    ),
    pytest.param(
        np.arange(12, dtype=np.float32) / 3,
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {'linewidth': 40},
        'tensor([0.0000, 0.3333, 0.6667, 1.0000,\n'
        '        1.3333, 1.6667, 2.0000, 2.3333,\n'
        '        2.6667, 3.0000, 3.3333, 3.6667])',
        id='opt-linewidth',
    ),
    pytest.param(
        np.array([1.0, 2.5], np.float32),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {'sci_mode': True},
        'tensor([1.0000e+00, 2.5000e+00])',
        id='opt-sci-on',
    ),
    pytest.param(
        np.array([1e-5, 1e3], np.float32),
        dict(dtype_name=None, grad_fn_name=None, requires_grad=False),
        {'sci_mode': False},
        'tensor([   0.0000, 1000.0000])',
        id='opt-sci-off',
    ),
]


@pytest.mark.parametrize(("data", "kwargs", "options", "expected"), CASES)
def test_matches_pytorch(data: np.ndarray, kwargs: dict, options: dict, expected: str) -> None:
    set_printoptions(**options)
    assert tensor_repr(data, **kwargs) == expected


def test_omitting_sci_mode_restores_the_automatic_choice() -> None:
    set_printoptions(sci_mode=True)
    set_printoptions(precision=4)
    assert tensor_repr(np.array([1.0, 2.0], np.float32), **PLAIN) == "tensor([1., 2.])"


PREFIXES = st.sampled_from(["tensor(", "Batched(", "LongPrefixTensor("])
DTYPES = st.sampled_from(
    [np.float16, np.float32, np.float64, np.int8, np.int32, np.int64, np.uint8, np.bool_]
)
ARRAYS = hnp.arrays(
    DTYPES, hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=6)
)


@given(ARRAYS, PREFIXES, st.booleans())
def test_continuation_lines_are_indented_by_the_prefix(
    data: np.ndarray, prefix: str, requires_grad: bool
) -> None:
    lines = tensor_repr(
        data, dtype_name=None, grad_fn_name=None, requires_grad=requires_grad, prefix=prefix
    ).split("\n")
    assert lines[0].startswith(prefix)
    assert all(line == "" or line.startswith(" " * len(prefix)) for line in lines[1:])


@given(st.integers(-(10**8), 10**8))
def test_whole_float_scalars_end_with_a_point(value: int) -> None:
    text = tensor_repr(np.array(float(value)), **PLAIN)
    assert text == f"tensor({value}.)"


@given(hnp.arrays(np.int64, st.integers(1, 1000)))
def test_integer_vectors_read_back_as_the_same_values(data: np.ndarray) -> None:
    text = tensor_repr(data, **PLAIN)
    body = text.removeprefix("tensor([").removesuffix("])")
    assert [int(cell) for cell in body.split(",")] == data.tolist()
