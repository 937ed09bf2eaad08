"""Forward buffer reuse: an elementwise op writes its result into an operand that is dying.

NumPy does this for ``a*x + b - t`` (temporary elision): ``a*x`` is referenced only by the
interpreter's stack, so ``+ b`` writes into it instead of allocating. Once every
intermediate is held by a Tensor, NumPy no longer sees a dying array, so the op fast paths
in ``tapegrad.dispatch`` ask here instead, for big arrays only (below ``BIG`` elements an
allocation is cheaper than the checks). An operand's buffer is reused when, all of them:

- the op is an elementwise NumPy ufunc with no params, whose result has the operand's
  shape and dtype;
- the operand is not a leaf that requires grad, and the node this op records will not save
  it (its VJP never reads the overwritten values);
- its array owns its memory (not a view), is writeable, and is referenced only by the
  tensor: no node saved it, no view of it exists, the user holds no ``.numpy()`` of it
  (reference count);
- the tensor itself is referenced by nothing but this call: either the call stole the
  caller's only reference (a function or method call, ``x.tanh()``, ``add(a*x, b)``), or
  the caller is a Python operator (``a*x + b``) whose operand the interpreter's stack holds.
  A stack reference and one held by C code (an object array's element) count alike, so
  for operators the operand must also be the result that the op just before produced in
  the same frame: the last big result born in this thread, made by the instruction that
  pushed this operand (the previous one, or the one before a plain name or attribute
  load). See ``docs/design.md``, "Forward buffer reuse".

Reference counts are CPython's; the semantics are those of CPython 3.11 to 3.13 (3.14
lends stack references without counting them), and elsewhere nothing is reused.
"""

from __future__ import annotations

import dis
import sys
import threading
from sys import getrefcount
from typing import Any

import numpy as np

from .grad_mode import grad_enabled_fast
from .tensor import Tensor
from .versions import _modified

__all__ = ["BIG", "ENABLED", "elementwise_ufunc", "binary", "unary"]

ENABLED = sys.implementation.name == "cpython" and (3, 11) <= sys.version_info[:2] < (3, 14)
# elements; NumPy elides temporaries of 256 KiB and up (2**15 float64s). Where reuse is off, no
# array is big: the fast paths' one size test then never passes.
BIG = 1 << 15 if ENABLED else sys.maxsize

ndarray = np.ndarray
_births = threading.local()  # .last: (id(array), id(frame), instruction offset) of the last big result
# References to a dying operand's tensor in ``_dying``: the op's own parameter, ``binary``'s or
# ``unary``'s, ``_dying``'s and getrefcount's argument, and for unary ops the ``*args`` tuple; one
# more when the caller's stack holds it.
_TENSOR_REFS = 4
# References to its array: the tensor's ``_data``, the op's local, the parameters of ``binary`` (or
# ``unary``) and ``_dying``, and getrefcount's argument.
_ARRAY_REFS = 5
_OPERATORS = frozenset(dis.opmap[name] for name in ("BINARY_OP", "UNARY_NEGATIVE", "UNARY_POSITIVE", "UNARY_INVERT")
                       if name in dis.opmap)
_LOADS = frozenset({"LOAD_FAST", "LOAD_FAST_CHECK", "LOAD_CONST", "LOAD_NAME", "LOAD_GLOBAL", "LOAD_DEREF",
                    "LOAD_CLASSDEREF"})
_producers: dict[Any, dict[int, tuple[int | None, int | None]]] = {}
# Code of functions that pass their ``*args`` on to an op's apply unchanged: the stand-in that a
# module's op function stays (``optable._unbuilt``). Its args tuple holds one reference to each
# operand: with nothing else holding one, the caller handed it over, as a direct call does.
FORWARDERS: set[Any] = set()


def is_elementwise_ufunc(direct: Any, nin: int) -> bool:
    """Whether ``direct`` is an elementwise NumPy ufunc of ``nin`` inputs and one output: it takes
    ``out=``, and its result has the broadcast shape of its operands (a Python number's is ``()``)."""
    return isinstance(direct, np.ufunc) and direct.nin == nin and direct.nout == 1 and direct.signature is None


def elementwise_ufunc(direct: Any, nin: int) -> Any:
    """``direct`` if it is an elementwise NumPy ufunc of ``nin`` inputs (``is_elementwise_ufunc``) and
    reuse is enabled, else None: the ops whose result may go into an operand's buffer."""
    return direct if ENABLED and is_elementwise_ufunc(direct, nin) else None


def _operand_producers(code: Any) -> dict[int, tuple[int | None, int | None]]:
    """For each operator instruction of ``code``: the offsets of the instructions that pushed its
    last operand and the one before it (None where that is not plain straight-line code)."""
    found = _producers.get(code)
    if found is None:
        if len(_producers) > 512:
            _producers.clear()
        found = {}
        ins = [i for i in dis.get_instructions(code) if i.opname not in ("CACHE", "EXTENDED_ARG", "NOP")]
        for k, op in enumerate(ins):
            if op.opcode not in _OPERATORS or k == 0 or ins[k].is_jump_target:
                continue
            last = ins[k - 1].offset
            j = k - 1  # a plain load of the last operand: a name, then attributes
            while j > 0 and ins[j].opname == "LOAD_ATTR" and not _pushes_two(ins[j]):
                j -= 1
            before = None
            if (j > 0 and j < k and ins[j].opname in _LOADS and not _pushes_two(ins[j])
                    and not any(ins[m].is_jump_target for m in range(j, k))):
                before = ins[j - 1].offset
            found[op.offset] = (last, before)
        _producers[code] = found
    return found


def _pushes_two(instruction: Any) -> bool:
    """A load that also pushes NULL or a method (LOAD_GLOBAL for a call; 3.12's LOAD_ATTR of a method)."""
    return instruction.opname in ("LOAD_GLOBAL", "LOAD_ATTR") and (instruction.arg or 0) & 1 == 1


def _caller() -> Any:
    """The frame that called the op (two up from ``binary``/``unary``), or None when C code called it
    with no Python frame there."""
    try:
        return sys._getframe(3)
    except ValueError:
        return None


def _born(out: Any, frame: Any) -> None:
    _births.last = None if frame is None else (id(out), id(frame), frame.f_lasti)


def _dying(t: Any, array: Any, frame: Any, operand: int, tensor_refs: int) -> bool:
    """Whether ``t`` (``array`` its data) is referenced only by this call: see the module's doc.
    ``operand`` is its position counted from the top of the caller's stack (0: the last one)."""
    if t._requires_grad and t._grad_fn is None:
        return False  # a leaf that requires grad: the graph keeps it
    if array.base is not None or not array.flags.writeable or getrefcount(array) != _ARRAY_REFS:
        return False
    count = getrefcount(t) - tensor_refs
    if count == 0:
        return True  # the call stole the caller's only reference
    if count != 1 or frame is None:
        return False
    code = frame.f_code
    if code in FORWARDERS:
        return True  # a module's op function (``tapegrad.tanh``) took the call's only reference in its *args
    at = frame.f_lasti
    if code.co_code[at] not in _OPERATORS:
        return False
    last = getattr(_births, "last", None)
    if last is None or last[0] != id(array) or last[1] != id(frame):
        return False
    pushed = _operand_producers(code).get(at)
    return pushed is not None and pushed[operand] == last[2]


def binary(ufunc: Any, compute: Any, x: Any, y: Any, a: Any, b: Any, rd: Any, d0: bool, d1: bool,
           keeps: tuple, params: dict) -> Any:
    """The forward of a fast path's big operands: ``compute(a, b)``, or, for an elementwise ``ufunc``
    and no params, ``ufunc(a, b)`` into ``a`` or ``b`` where that operand is dying. Its result is
    noted as born here."""
    frame = _caller()
    if ufunc is None or params:
        out = compute(a, b, **params)
        _born(out, frame)
        return out
    rx = d0 and type(x) is Tensor and x._requires_grad
    ry = d1 and type(y) is Tensor and y._requires_grad
    ka, kb = keeps[rx + 2 * ry][:2] if (rx or ry) and grad_enabled_fast() else (False, False)
    into = None
    if type(x) is Tensor and not ka and a.dtype == rd and (type(b) is not ndarray or _fits(b.shape, a.shape)):
        if _dying(x, a, frame, 1, _TENSOR_REFS):
            into = a
    if into is None and type(y) is Tensor and not kb and b.dtype == rd and (
            type(a) is not ndarray or _fits(a.shape, b.shape)):
        if _dying(y, b, frame, 0, _TENSOR_REFS):
            into = b
    if into is None:
        out = ufunc(a, b)
    else:
        if _modified:
            _modified.pop(id(into), None)  # the old tensor's in-place history is not the result's
        out = ufunc(a, b, out=into)
    _born(out, frame)
    return out


def unary(ufunc: Any, compute: Any, x: Any, a: Any, rd: Any, keeps_input: bool, params: dict) -> Any:
    """``compute(a)`` for a fast path's big operand, or, for an elementwise ``ufunc`` and no params,
    ``ufunc(a)`` into ``a`` where it is dying. Its result is noted as born here."""
    frame = _caller()
    if ufunc is None or params:
        out = compute(a, **params)
    elif a.dtype == rd and not (keeps_input and x._requires_grad and grad_enabled_fast()) and _dying(
            x, a, frame, 0, _TENSOR_REFS + 1):
        if _modified:
            _modified.pop(id(a), None)
        out = ufunc(a, out=a)
    else:
        out = ufunc(a)
    _born(out, frame)
    return out


def _fits(small: tuple, shape: tuple) -> bool:
    """Whether an operand of shape ``small`` broadcasts against ``shape`` without growing it."""
    if len(small) > len(shape):
        return False
    return all(s == 1 or s == n for s, n in zip(small[::-1], shape[::-1]))
