"""Inputs for the conformance kit, made from what an op declares.

A ``Sample`` lists one value per array input (a shape tuple, filled with seeded random
values inside the input's declared domain; a NumPy array, used as given; or a Python
scalar) plus the op's static params. Without declared samples the kit builds them
from the forward's arity: shapes ``(3,)`` and ``(2, 3)``, all inputs alike.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any, Sequence

import numpy as np

from ..records import record
from ..registry import OpDef

__all__ = ["Sample", "EdgeCase", "Verbatim", "Seeded", "samples_for", "materialize", "DEFAULT_DOMAIN"]

DEFAULT_DOMAIN = (-2.0, 2.0)


class Seeded:
    """Seeded values for samples a plugin declares when it loads: the ``uniform`` and
    ``standard_normal`` of ``numpy.random.Generator``, from a splitmix64 hash of the draw's index.

    Declarations run when the op table is built, on a user's first op; importing ``numpy.random``
    (for ``default_rng``) took longer there than registering every built-in op. The kit's own
    draws (``materialize``) use ``default_rng``, when the kit runs."""

    def __init__(self, seed: int) -> None:
        self._seed = np.uint64(seed * 0xD1B54A32D192ED03 % 2**64)  # Python ints: no wrap-around warning
        self._drawn = 0

    def _unit(self, size: Any) -> np.ndarray:
        """Uniform values in (0, 1), each a 53-bit fraction of a splitmix64 output."""
        shape = (size,) if isinstance(size, int) else tuple(size)
        n = int(np.prod(shape, dtype=np.int64))
        index = np.arange(self._drawn, self._drawn + n, dtype=np.uint64) + np.uint64(1)
        self._drawn += n
        z = index * np.uint64(0x9E3779B97F4A7C15) + self._seed  # arrays wrap silently, as the hash wants
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
        return (((z >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0 ** -53).reshape(shape)

    def uniform(self, low: float = 0.0, high: float = 1.0, size: Any = ()) -> np.ndarray:
        return low + (high - low) * self._unit(size)

    def standard_normal(self, size: Any = ()) -> np.ndarray:
        u, v = self._unit(size), self._unit(size)  # Box-Muller
        return np.sqrt(-2.0 * np.log(u)) * np.cos(2.0 * np.pi * v)


_IS_LIST = list.__instancecheck__
PACKED = "_kit_packed"  # the call param that carries a sample's grouped inputs to the kit's calls


@record(frozen=True)  # its own __init__
class Sample:
    """One way to call an op: ``Sample((2, 3), (3,), dim=0)``.

    An input given as a list of input specs is passed as one list of tensors
    (``Sample("ij,jk", [(2, 3), (3, 4)])`` calls ``einsum("ij,jk", [a, b])``); the kit checks
    each tensor in it as an input of its own.
    """

    inputs: tuple[Any, ...]
    params: dict[str, Any] = field(default_factory=dict)
    packed: tuple[tuple[int, int], ...] = ()  # (start, stop) of the inputs passed as one list

    def __init__(self, *inputs: Any, **params: Any) -> None:
        if not any(map(_IS_LIST, inputs)):  # most samples: nothing grouped (a first op makes hundreds)
            self.__dict__.update(inputs=inputs, params=params, packed=())  # frozen: not through __setattr__
            return
        flat: list[Any] = []
        packed = []
        for x in inputs:
            if isinstance(x, list):
                packed.append((len(flat), len(flat) + len(x)))
                flat.extend(x)
            else:
                flat.append(x)
        object.__setattr__(self, "inputs", tuple(flat))
        object.__setattr__(self, "params", dict(params))
        object.__setattr__(self, "packed", tuple(packed))

    @property
    def call_params(self) -> dict[str, Any]:
        """The params the kit calls the op with (its grouped inputs included, see ``pack``)."""
        return {**self.params, PACKED: self.packed} if self.packed else self.params

    def __repr__(self) -> str:
        shown = [repr(x) if not isinstance(x, np.ndarray) else f"array{x.shape}" for x in self.inputs]
        for start, stop in reversed(self.packed):
            shown[start:stop] = [f"[{', '.join(shown[start:stop])}]"]
        parts = shown + [f"{k}={v!r}" for k, v in self.params.items()]
        return f"Sample({', '.join(parts)})"


def pack(args: Sequence[Any], params: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """The call the kit makes: a sample's grouped inputs as one list, and its real params."""
    packed = params.get(PACKED)
    if not packed:
        return list(args), params
    params = {k: v for k, v in params.items() if k != PACKED}
    args = list(args)
    for start, stop in reversed(packed):
        args[start:stop] = [list(args[start:stop])]
    return args, params


_UNCHECKED = object()


@record(frozen=True)
class Verbatim:
    """An input passed to the op exactly as written: ``EdgeCase(x, 0, index, Verbatim([1.0, 2.0]), raises=TypeError)``
    calls ``scatter(x, 0, index, [1.0, 2.0])`` with the Python list itself, where a plain list would
    become a float64 array (``EdgeCase``) or a group of inputs (``Sample``): what an op does with an
    argument of the wrong kind is part of its contract too."""

    value: Any

    def __repr__(self) -> str:
        return f"Verbatim({self.value!r})"


@record(frozen=True)  # its own __init__, as Sample
class EdgeCase:
    """A special point of an op with what it must give there, by the op's documented convention.

    ``EdgeCase([0.0, 1.0], value=[0.0, 1.0], grads=([0.0, 1.0],))`` for ``relu``: inputs as in
    ``Sample`` (lists become float64 arrays, Python scalars stay scalars), ``params`` the static
    params, ``value`` the expected forward, ``grads`` per input the expected gradient of
    ``result.sum()`` (None: not checked), ``grad2`` per input the expected gradient of the sum of
    those gradients (second order; an elementwise op's ``f''``). ``smooth=True`` says the op is
    differentiable there, so the kit also checks its derivatives by finite differences at the point
    (a removable singularity such as ``sinc`` at 0). ``raises``: an exception type the call must
    raise there (bad input PyTorch refuses: a fill value out of an integer dtype's range), its
    message matching the regular expression ``match`` when given; nothing else is checked.
    ``warns``: a warning category the call must warn with there (``match`` then matches its
    message), pointing at the line that called the op (``warnings.warn``'s ``stacklevel``), not at
    tapegrad's or the plugin's own code; the value and gradients are checked as well. ``writes``:
    the expected state of inputs the op writes in place after the call, ``{input index: values}``
    (``batch_norm``'s running statistics); those inputs are made without ``requires_grad``, as
    buffers are. ``cotangent``: the cotangent ``grads`` are taken for, in place of ones (the
    gradient of ``(result * cotangent).sum()``). ``backward_raises``: the forward works at the point
    (its ``value`` checked) but the backward must raise this exception (``backward_match`` then
    matches its message) and write no ``.grad``, as PyTorch's does for ``qr(A, mode='r')``.
    ``lazy_refused=True``: on a lazy backend the op must look at values here (integer division
    checking for a zero divisor), so there the call must be refused by the backend's guard, in its
    words, computing nothing; eager backends check the point as declared. ``Verbatim(v)`` among the
    inputs passes ``v`` as written (a Python list stays a list). ``why``
    says where the convention comes from.
    """

    inputs: tuple[Any, ...]
    value: Any = _UNCHECKED
    grads: tuple[Any, ...] | None = None
    grad2: tuple[Any, ...] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    smooth: bool = False
    why: str = ""
    raises: type[BaseException] | None = None
    match: str | None = None
    warns: type[Warning] | None = None
    writes: dict[int, Any] = field(default_factory=dict)
    cotangent: Any = None
    backward_raises: type[BaseException] | None = None
    backward_match: str | None = None
    lazy_refused: bool = False

    def __init__(self, *inputs: Any, value: Any = _UNCHECKED, grads: Sequence[Any] | None = None,
                 grad2: Sequence[Any] | None = None, params: dict[str, Any] | None = None,
                 smooth: bool = False, why: str = "", raises: type[BaseException] | None = None,
                 match: str | None = None, warns: type[Warning] | None = None,
                 writes: dict[int, Any] | None = None, cotangent: Any = None,
                 backward_raises: type[BaseException] | None = None, backward_match: str | None = None,
                 lazy_refused: bool = False) -> None:
        for keyword, given in (("raises", raises), ("backward_raises", backward_raises)):
            if given is not None and not (isinstance(given, type) and issubclass(given, Exception)):
                raise TypeError(f"EdgeCase({keyword}=...) takes an exception class, got {given!r}")
        if backward_raises is not None and (raises is not None or grads is not None or grad2 is not None or smooth
                                            or cotangent is not None):
            raise TypeError("EdgeCase(backward_raises=...) says the forward works there but its backward fails: give "
                            "no raises, grads, grad2, smooth or cotangent with it")
        if backward_match is not None and backward_raises is None:
            raise TypeError("EdgeCase(backward_match=...) needs backward_raises=: it matches the message of the error "
                            "the backward raises")
        if warns is not None and not (isinstance(warns, type) and issubclass(warns, Warning)):
            raise TypeError(f"EdgeCase(warns=...) takes a warning class, got {warns!r}")
        if raises is not None and (value is not _UNCHECKED or grads is not None or grad2 is not None or smooth
                                   or warns is not None or writes or cotangent is not None):
            raise TypeError("EdgeCase(raises=...) says the call fails there: give no value, grads, smooth, warns, "
                            "writes or cotangent with it")
        if lazy_refused and (raises is not None or backward_raises is not None):
            raise TypeError("EdgeCase(lazy_refused=True) says a lazy backend refuses a call that works elsewhere: "
                            "give no raises or backward_raises with it (a lazy backend may refuse those anyway)")
        if match is not None and raises is None and warns is None:
            raise TypeError("EdgeCase(match=...) needs raises= or warns=: it matches the message of the error "
                            "raised or the warning given")
        if cotangent is not None and grads is None:
            raise TypeError("EdgeCase(cotangent=...) needs grads=: it is the cotangent the gradients are taken for")
        bad = [i for i in (writes or {}) if not (isinstance(i, int) and 0 <= i < len(inputs))]
        if bad:
            raise TypeError(f"EdgeCase(writes=...) maps input indices to their values after the call; "
                            f"{bad} are not indices of its {len(inputs)} inputs")
        self.__dict__.update(  # frozen: not through __setattr__
            raises=raises, match=match, warns=warns, writes={i: np.asarray(v) for i, v in (writes or {}).items()},
            cotangent=None if cotangent is None else np.asarray(cotangent, dtype=np.float64),
            inputs=tuple(map(_as_input, inputs)), value=value,
            grads=None if grads is None else tuple(grads), grad2=None if grad2 is None else tuple(grad2),
            params=dict(params or {}), smooth=bool(smooth), why=why, backward_raises=backward_raises,
            backward_match=backward_match, lazy_refused=bool(lazy_refused))

    @property
    def call_params(self) -> dict[str, Any]:
        return self.params

    @property
    def has_value(self) -> bool:
        return self.value is not _UNCHECKED

    def sample(self) -> Sample:
        """The point as a ``Sample`` (its arrays used as given)."""
        return Sample(*self.inputs, **self.params)

    def __repr__(self) -> str:
        parts = [np.array2string(x, precision=6, separator=", ") if isinstance(x, np.ndarray) else repr(x)
                 for x in self.inputs]
        parts += [f"{k}={v!r}" for k, v in self.params.items()]
        return f"EdgeCase({', '.join(parts)})"


def _as_input(x: Any) -> Any:
    """Lists become arrays (float64 unless they hold bools or are integer arrays given as such); a
    ``Verbatim`` input stays as written."""
    if isinstance(x, list):
        array = np.asarray(x)
        return array if array.dtype.kind == "b" else array.astype(np.float64)
    return x


def domain_of(op: OpDef, i: int) -> tuple[float, float]:
    """The open interval input ``i``'s random values are drawn from."""
    domain = op.domain
    if domain is None or i >= len(domain) or domain[i] is None:
        return DEFAULT_DOMAIN
    low, high = domain[i]
    return (DEFAULT_DOMAIN[0] if low is None else low, DEFAULT_DOMAIN[1] if high is None else high)


def samples_for(op: OpDef, given: Sequence[Sample] | None = None) -> list[Sample]:
    """The samples to check ``op`` with: given ones, declared ones, or ones built from its arity."""
    if given is not None:
        return list(given)
    if op.samples is not None:
        return list(op.samples)
    if op.nin is None:
        what = "it is a composite" if op.composite else "its forward takes a variable number of arrays"
        raise AssertionError(
            f"op {op.name!r}: {what}, so the kit cannot build inputs; declare "
            "samples=[tapegrad.testing.Sample(...)] when registering it"
        )
    return [Sample(*([(3,)] * op.nin)), Sample(*([(2, 3)] * op.nin))]


def materialize(op: OpDef, sample: Sample, dtype: str, seed: int) -> list[Any]:
    """The sample's inputs as NumPy arrays of ``dtype`` (scalars stay Python scalars)."""
    rng = np.random.default_rng(seed)
    values: list[Any] = []
    for i, spec in enumerate(sample.inputs):
        if isinstance(spec, tuple):
            low, high = domain_of(op, i)
            values.append(rng.uniform(low, high, size=spec).astype(dtype))
        elif isinstance(spec, np.ndarray):
            values.append(spec.astype(dtype) if spec.dtype.kind == "f" else spec)
        else:
            values.append(spec)
    return values
