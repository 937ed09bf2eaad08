"""The names PyTorch programs use on line one: dtype aliases, devices, everyday methods,
makers, grad-mode spellings. Each asserts what PyTorch 2.13 gives (tests/parity/ compares live)."""

import numpy as np
import pytest

import tapegrad
import tapegrad as torch


def test_dtype_aliases_and_legacy_type_names():
    assert (torch.float, torch.double, torch.half) == (torch.float32, torch.float64, torch.float16)
    assert (torch.short, torch.int, torch.long) == (torch.int16, torch.int32, torch.int64)
    x = torch.ones(2)
    assert x.type() == "tapegrad.FloatTensor" and x.double().type() == "tapegrad.DoubleTensor"
    assert x.type(torch.float64).dtype is torch.float64
    assert x.type("torch.LongTensor").dtype is torch.int64
    assert x.type_as(torch.ones(1, dtype=torch.int32)).dtype is torch.int32
    with pytest.raises(TypeError, match="complex dtypes are not supported yet"):
        torch.ones(2, dtype=torch.cfloat)
    with pytest.raises(ValueError, match="invalid type"):
        x.type("torch.NoSuchTensor")


def test_legacy_constructor_makes_default_float_tensors():
    assert torch.Tensor([1, 2]).dtype is torch.float32
    assert torch.Tensor([1, 2]).tolist() == [1.0, 2.0]
    assert tuple(torch.Tensor(2, 3).shape) == (2, 3)
    assert tuple(torch.Tensor().shape) == (0,)
    assert torch.Tensor([1.0]).is_leaf and not torch.Tensor([1.0]).requires_grad
    assert torch.is_tensor(torch.Tensor([1])) and not torch.is_tensor([1])
    assert torch.is_floating_point(torch.ones(1)) and not torch.is_floating_point(torch.tensor([1]))
    assert torch.numel(torch.ones(2, 3)) == 6


def test_devices_name_backends():
    cpu = torch.device("cpu")
    assert repr(cpu) == "device(type='cpu')" and str(torch.device("cuda:1")) == "cuda:1"
    assert torch.device("cuda", 0).index == 0 and cpu != "cpu" and cpu == torch.device("cpu")
    x = torch.ones(2, requires_grad=True)
    assert x.device == cpu and x.cpu() is x and x.to("cpu") is x and x.to(cpu) is x
    y = x.to(cpu, torch.float64)
    assert y.dtype is torch.float64 and y.grad_fn is not None
    assert torch.ones(2, device="cpu").device == cpu
    for call in (lambda: x.cuda(), lambda: torch.zeros(2, device="cuda"), lambda: x.to("cuda:0")):
        with pytest.raises(RuntimeError, match="no installed tapegrad backend provides device type 'cuda'.*tapegrad-cupy"):
            call()
    with pytest.raises(RuntimeError, match="Invalid device string"):
        torch.device("cuda:x")


def test_device_keyword_places_leaves_on_another_backend():
    pytest.importorskip("array_api_strict")
    x = torch.ones(2, 3, device="array_api_strict", requires_grad=True)
    assert x.backend == "array_api_strict" and x.is_leaf and x.requires_grad
    assert str(x.device) == "array_api_strict"
    z = torch.zeros_like(x)
    assert z.backend == "array_api_strict" and z.dtype is torch.float32
    (x * 2).sum().backward()
    assert x.grad.tolist() == [[2.0] * 3] * 2


def test_makers():
    assert torch.eye(2, 3).tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    assert torch.eye(2).dtype is torch.float32
    assert torch.logspace(0, 2, 3).tolist() == [1.0, 10.0, 100.0]
    torch.manual_seed(0)
    r = torch.randint(0, 5, (100,))
    assert r.dtype is torch.int64 and 0 <= int(r.min()) and int(r.max()) < 5
    assert tuple(torch.randint(5, (2, 2)).shape) == (2, 2)
    with pytest.raises(RuntimeError, match="expects 'from' to be less than 'to'"):
        torch.randint(3, 3, (2,))
    x = torch.ones(2, 3, dtype=torch.float64)
    assert torch.rand_like(x).dtype is torch.float64 and tuple(torch.randn_like(x).shape) == (2, 3)
    n = torch.normal(torch.zeros(1000, dtype=torch.float64), 2.0)
    assert n.dtype is torch.float64 and 1.5 < float(n.std()) < 2.5
    assert tuple(torch.normal(0.0, 1.0, size=(3,)).shape) == (3,)
    with pytest.raises(RuntimeError, match="normal expects std >= 0.0"):
        torch.normal(0.0, -1.0, size=(2,))


def test_everyday_methods_and_their_node_names():
    x = torch.ones(2, 3, requires_grad=True)
    y = x * 1
    assert y.clone().grad_fn.name() == "CloneBackward0"
    assert y.contiguous() is y and y.t().grad_fn.name() == "TransposeBackward0"
    assert tuple(y.t().shape) == (3, 2)
    assert y.view_as(torch.ones(3, 2)).grad_fn.name() == "ViewBackward0"
    assert tuple(y.reshape_as(torch.ones(6)).shape) == (6,)
    assert tuple(y[0:1].expand_as(torch.ones(4, 3)).shape) == (4, 3)
    with pytest.raises(RuntimeError, match=r"t\(\) expects a tensor with <= 2 dimensions, but self is 3D"):
        torch.ones(2, 2, 2).t()
    assert +x is x


def test_new_makers_follow_dtype_and_device():
    a = torch.ones(2, 3, dtype=torch.float64)
    assert a.new_zeros((2,)).dtype is torch.float64 and a.new_ones(2, 2).tolist() == [[1.0, 1.0]] * 2
    assert a.new_full((1,), 2).dtype is torch.float64 and tuple(a.new_empty(4).shape) == (4,)
    assert a.new_tensor([1, 2]).dtype is torch.float64
    assert a.new_zeros(2, dtype=torch.int64).dtype is torch.int64
    assert not a.new_ones(2, requires_grad=False).requires_grad
    assert a.new_ones(2, requires_grad=True).is_leaf


def test_copy_masked_fill_index_select_where():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    z = torch.zeros(2, 3)
    z.copy_(x)
    assert z.grad_fn.name() == "CopyBackwards"
    z.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]
    w = torch.zeros(3, dtype=torch.float64)
    w.copy_(torch.tensor([1, 2, 3]))
    assert w.tolist() == [1.0, 2.0, 3.0] and w.dtype is torch.float64
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        x.copy_(torch.zeros(3))

    mask = torch.tensor([True, False, True])
    assert torch.ones(2, 3).masked_fill(mask, 2).tolist() == [[2.0, 1.0, 2.0]] * 2
    x.grad = None
    y = (x * 1).masked_fill(mask, 0.0)
    assert y.grad_fn.name() == "MaskedFillBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0]
    m = torch.tensor([1.0, 2.0])
    m.masked_fill_(torch.tensor([True, False]), torch.tensor(5.0))
    assert m.tolist() == [5.0, 2.0]
    with pytest.raises(RuntimeError, match="only supports boolean masks"):
        torch.ones(2).masked_fill(torch.tensor([1, 0]), 1.0)

    t = torch.arange(12.0).reshape(4, 3)
    assert t.index_select(0, torch.tensor([2, 0])).tolist() == [[6.0, 7.0, 8.0], [0.0, 1.0, 2.0]]
    assert t.index_select(1, torch.tensor(1)).tolist() == [[1.0], [4.0], [7.0], [10.0]]
    with pytest.raises(RuntimeError, match="Expected dtype int32 or int64 for index"):
        t.index_select(0, torch.tensor([0.5]))

    x.grad = None
    out = x.where(x > 1.5, torch.zeros(3))
    assert out.tolist() == [0.0, 2.0, 3.0] and out.grad_fn.name() == "WhereBackward0"
    out.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0]


def test_inplace_math_variants():
    v = torch.tensor([0.0, 1.0])
    v.exp_()
    assert np.allclose(v.tolist(), [1.0, np.e])
    v.log_()
    assert np.allclose(v.tolist(), [0.0, 1.0])


def test_whole_tensor_comparisons():
    a = torch.tensor([1.0, float("inf"), float("nan")])
    b = torch.tensor([1.0000001, float("inf"), float("nan")])
    assert torch.isclose(a, b).tolist() == [True, True, False]
    assert torch.isclose(a, b, equal_nan=True).tolist() == [True, True, True]
    assert torch.allclose(torch.ones(2), torch.ones(2, 2)) is True
    assert torch.equal(torch.ones(2), torch.ones(3)) is False and torch.equal(torch.ones(2), torch.ones(2)) is True


def test_named_results_print_like_pytorchs():
    result = torch.tensor([[1.0, 3.0], [2.0, 0.0]]).max(1)
    assert repr(result) == (
        "tapegrad.return_types.max(\nvalues=tensor([3., 2.]),\nindices=tensor([1, 0]))"
    )
    values, indices = result
    assert result.values is values and indices.tolist() == [1, 0]


def test_grad_mode_spellings():
    x = torch.ones(2, requires_grad=True)

    @torch.no_grad
    def doubled(t):
        return t * 2

    assert not doubled(x).requires_grad and torch.is_grad_enabled()

    @torch.enable_grad
    def tracked(t):
        return t * 2

    with torch.no_grad():
        assert tracked(x).requires_grad
    with torch.inference_mode():
        assert not (x * 2).requires_grad and torch.is_inference_mode_enabled()
    assert not torch.is_inference_mode_enabled()
    with torch.inference_mode(False):
        assert (x * 2).requires_grad

    @torch.inference_mode
    def infer(t):
        return t * 2

    assert not infer(x).requires_grad
    assert torch.is_anomaly_enabled() is False
    with pytest.raises(TypeError):
        torch.no_grad(3)


@pytest.mark.parametrize("expression, name", [
    (lambda x, v: 1 - x, "RsubBackward1"), (lambda x, v: x - 1, "SubBackward0"),
    (lambda x, v: x ** 2, "PowBackward0"), (lambda x, v: x ** x, "PowBackward1"), (lambda x, v: 2 ** x, "PowBackward2"),
    (lambda x, v: x.sum(), "SumBackward0"), (lambda x, v: x.sum(0), "SumBackward1"),
    (lambda x, v: x.mean(1), "MeanBackward1"), (lambda x, v: x.prod(0), "ProdBackward1"),
    (lambda x, v: x @ x.T, "MmBackward0"), (lambda x, v: x @ v, "MvBackward0"), (lambda x, v: v @ v, "DotBackward0"),
    (lambda x, v: x.reshape(6), "ViewBackward0"), (lambda x, v: x.flatten(), "ViewBackward0"),
    (lambda x, v: x[0], "SelectBackward0"), (lambda x, v: x[:, 1:], "SliceBackward0"),
    (lambda x, v: x[..., 0], "SelectBackward0"), (lambda x, v: x[None], "UnsqueezeBackward0"),
    (lambda x, v: x[tapegrad.tensor([0, 1])], "IndexBackward0"), (lambda x, v: x.narrow(1, 0, 2), "SliceBackward0"),
    (lambda x, v: x.squeeze(), "SqueezeBackward0"), (lambda x, v: x.squeeze(0), "SqueezeBackward1"),
    (lambda x, v: x.double(), "ToCopyBackward0"), (lambda x, v: x.broadcast_to((2, 2, 3)), "ExpandBackward0"),
])
def test_node_names_follow_pytorchs(expression, name):
    """Names PyTorch 2.13 gives these calls (tests/parity checks them live)."""
    x, v = tapegrad.ones(2, 3, requires_grad=True), tapegrad.ones(3, requires_grad=True)
    y = expression(x, v)
    assert y.grad_fn.name() == name and f"grad_fn=<{name}>" in repr(y)
    y.sum().backward()  # freed nodes still have a name
    assert y.grad_fn.name().endswith(("Backward0", "Backward1", "Backward2"))
