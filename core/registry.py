"""The op registry: what plugins call to declare ops and backends.

Plugins receive a ``Registry`` in their ``tapegrad_register_ops`` /
``tapegrad_register_backends`` hook and call ``register_op`` / ``register_backend``.
Registrations are validated here, when they are made, so that a bad plugin fails at
load time with a message that names it, never in the middle of a user's computation.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import operator
import types
from dataclasses import field
from typing import Any, Callable, Mapping, Sequence

from .records import record

__all__ = ["OpDef", "Backend", "DeferredBackend", "Registry", "RegistrationError", "Later", "LaterModule", "node_name_for"]

Forward = Callable[..., Any]
VJP = Callable[..., Any]

_SAVES = frozenset({"inputs", "output"})
_IS_NOT_NONE = functools.partial(operator.is_not, None)  # filters looping in C
_STARRED = operator.methodcaller("startswith", "*")
# What tapegrad's core calls on a backend's namespace (creation, the engine's sums and casts, func).
CORE_FUNCTIONS = ("asarray", "astype", "reshape", "zeros", "zeros_like", "ones_like", "full", "full_like",
                  "sum", "stack", "broadcast_to")
_VIEWS = (False, True, "broadcast")


class RegistrationError(ValueError):
    """A plugin declared an op or backend that cannot work; the message names the plugin."""


def node_name_for(op_name: str) -> str:
    """PyTorch-style graph node name: ``add`` gives ``AddBackward0``, ``broadcast_to`` ``BroadcastToBackward0``;
    a namespaced op is named by its last part (``nn.functional.relu``: ``ReluBackward0``), as most of
    PyTorch's are (ops named otherwise, ``LinalgSolveExBackward0``, declare ``node_name``)."""
    leaf = op_name.rpartition(".")[2]
    return "".join(part[:1].upper() + part[1:] for part in leaf.split("_") if part) + "Backward0"


class Later:
    """A declaration for the conformance kit made when the kit first reads it:
    ``register_op(..., samples=Later(lambda: kit.SQUARE))``, for ``samples``, ``edge_cases`` and
    ``reference``. Seeded matrices, special points and NumPy references can cost more to make than
    registering the op; a user's first op builds the op table, and only the kit reads them. The
    op's ``samples`` (``edge_cases``, ``reference``) is what ``make()`` returns, checked then as
    ``register_op`` checks a value given directly."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[], Any]) -> None:
        if not callable(make):
            raise TypeError(f"Later takes a function making the declaration, got {type(make).__name__}")
        self.make = make

    def __repr__(self) -> str:
        return f"Later({getattr(self.make, '__qualname__', self.make)!r})"

    def _refuse(self, *args: Any) -> Any:
        raise TypeError("a Later is made only when the kit reads it, so it cannot be combined at registration: "
                        "make the whole expression later (LaterModule: kit(lambda kit: kit.A + kit.B))")

    __add__ = __radd__ = __getitem__ = _refuse


class LaterModule:
    """A module of kit declarations, imported when the kit first reads one of them:
    ``ec = LaterModule("my_plugin.edge_cases")``, then ``edge_cases=ec.ADD`` is
    ``Later(lambda: my_plugin.edge_cases.ADD)``, and ``ec(lambda ec: ec.ADD + ec.SUB)`` a ``Later``
    of any expression over the module."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def _module(self) -> Any:
        import importlib

        return importlib.import_module(self._name)

    def __getattr__(self, attr: str) -> Later:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return Later(lambda: getattr(self._module(), attr))

    def __call__(self, read: Callable[[Any], Any]) -> Later:
        return Later(lambda: read(self._module()))

    def __repr__(self) -> str:
        return f"LaterModule({self._name!r})"


@record(frozen=True, eq=False)
class OpDef:
    """An op as data: forward, VJP rules, and the facts the engine and the kit rely on.

    ``vjps`` holds one rule per input (None: no gradient flows to that input), so that
    backward computes only the cotangents some input needs; ``vjp_all`` is the
    alternative form, one rule returning every cotangent.
    """

    name: str
    forward: Forward
    plugin: str
    nin: int | None
    vjps: tuple[VJP | None, ...] | None
    vjp_all: VJP | None
    differentiable: tuple[bool, ...] | None
    saves_inputs: bool
    saves_output: bool
    params: tuple[str, ...]
    param_aliases: Mapping[str, str]
    aliases: tuple[str, ...]
    methods: tuple[str, ...]
    second_order: bool
    broadcasts: bool
    promotion: str | bool  # a category of core/promotion.py, or False: the op chooses its dtype
    backends: tuple[str, ...] | None
    domain: Any
    samples: Any
    dtypes: tuple[str, ...] | None
    node_name: str
    doc: str
    variadic: bool = False
    node_namer: Callable[..., str] | None = None  # names a node from its params and inputs (a composite's: from its call, None leaving it)
    inplace_methods: tuple[str, ...] = ()
    composite: bool = False
    inspects_values: bool | tuple[str, ...] = False  # refused on lazy backends (see register_op)
    forward_name: str | None = None  # set when forward was given as an array-API function name
    view: bool | str = False  # True/"broadcast": the result may share its first input's memory; "multiple": several
    reads: tuple[tuple[int | str, ...], ...] | None = None  # per input rule: the inputs/"output" it reads
    zero_gradient: tuple[bool, ...] = ()  # per input: its gradient is zero by definition (kit)
    reference: Any = None  # the forward's reference: a NumPy function, or EdgeCases with values (kit)
    edge_cases: tuple[Any, ...] = ()  # special points with expected values and gradients (kit)
    promotes: tuple[int | str, ...] | None = None  # the operands promotion reads (None: every input)
    identity: Callable[..., bool] | None = None  # identity(x, **params): the call returns x itself
    promotion_by_param: Mapping[str, str | bool] = field(default_factory=dict)  # param given -> its category
    param_forward: bool = False  # forward_name serves calls without params; forward, calls with them
    batching: Callable[..., Any] | str | bool | None = None  # vmap's rule; None: derived (core/batching.py)
    random: bool = False  # draws from tapegrad's generator: the kit seeds it alike before every call
    layout: str | None = None  # "contiguous": returns its first input itself where contiguous, else a copy (kit)
    apply: Callable[..., Any] = field(default=None, compare=False, repr=False)  # type: ignore[assignment]

    @property
    def has_vjp(self) -> bool:
        """Whether gradient flows to some input (per-input rules all None means no VJP)."""
        if self.vjps is not None:
            return any(rule is not None for rule in self.vjps)
        return self.vjp_all is not None

    @property
    def differentiable_op(self) -> bool:
        """Whether gradients flow through the op at all (its own VJP, or its parts' for composites)."""
        return self.composite or self.has_vjp

    def input_differentiable(self, i: int) -> bool:
        """Whether gradient can flow to positional input ``i``."""
        if self.composite:
            return True
        if self.vjps is not None:
            return i < len(self.vjps) and self.vjps[i] is not None
        if self.vjp_all is None:
            return False
        return self.differentiable is None or (i < len(self.differentiable) and self.differentiable[i])


class _KitDeclaration:
    """An OpDef field the kit reads (``samples``, ``edge_cases``, ``reference``): a ``Later`` given at
    registration is made, checked and kept on first read, so every reader sees the value itself."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, op: Any, owner: Any = None) -> Any:
        if op is None:
            return self
        value = op.__dict__[self.name]
        if type(value) is Later:
            where = f"plugin {op.plugin!r}, op {op.name!r}"
            try:
                value = value.make()
            except Exception as exc:
                raise RegistrationError(f"{where}: making its {self.name} failed: {type(exc).__name__}: {exc}") from exc
            if self.name != "samples":
                value = _kit_facts(where, op.nin, False, **{self.name: value})[self.name]
            op.__dict__[self.name] = value
        return value

    def __set__(self, op: Any, value: Any) -> None:  # the dataclass's __init__; the frozen class refuses others
        op.__dict__[self.name] = value


for _name in ("samples", "edge_cases", "reference"):
    setattr(OpDef, _name, _KitDeclaration(_name))


@record(frozen=True, eq=False)
class Backend:
    """An array library tapegrad can run ops on.

    ``namespace`` is what ops receive as ``xp``; ``array_types`` are the array classes
    whose tensors belong to this backend; the converters move data through NumPy.
    """

    name: str
    namespace: Any
    array_types: tuple[type, ...]
    to_numpy: Callable[[Any], Any]
    from_numpy: Callable[[Any], Any]
    plugin: str
    numpy_dtypes: dict[Any, Any] = field(default_factory=dict)  # backend dtype -> NumPy dtype
    device: str | None = None  # the device type it answers to (``"cuda"``); None: its own name
    xp: Any = field(default=None, compare=False)  # what ops receive: namespace plus registered ops
    lazy: bool = False  # arrays are recipes: nothing may force them to compute but compute/to_numpy
    compute: Callable[..., Any] | None = None  # compute(*arrays) -> concrete NumPy arrays, in one pass
    kit_inputs: Callable[[Any], Sequence[Any]] | None = None  # NumPy array -> native variants to check on
    computations: Callable[[], Any] | None = None  # a context manager counting computations (lazy only)
    no_compute: Callable[[], Any] | None = None  # a context manager inside which computing raises ComputeRefused

    def numpy_dtype(self, dtype: Any) -> Any:
        """The NumPy dtype matching one of this backend's dtypes, compared by value: a namespace's
        ``float64`` may be NumPy's scalar type while its arrays report ``np.dtype('float64')``,
        equal but hashed apart (Dask), so a miss is looked up by ``==`` and remembered."""
        try:
            return self.numpy_dtypes[dtype]
        except (KeyError, TypeError):
            pass
        for theirs, ours in list(self.numpy_dtypes.items()):
            try:
                same = bool(theirs == dtype)
            except Exception:  # a dtype object that refuses comparison with another library's
                same = False
            if same:
                try:
                    self.numpy_dtypes[dtype] = ours
                except TypeError:  # unhashable: found again by value next time
                    pass
                return ours
        raise TypeError(f"backend {self.name!r} has no tapegrad dtype matching {dtype!r}")

    def dtype(self, numpy_dtype: Any) -> Any:
        """This backend's dtype for a NumPy dtype (array-API namespaces name dtypes alike)."""
        for theirs, ours in list(self.numpy_dtypes.items()):  # numpy_dtype may add entries meanwhile
            if ours == numpy_dtype:
                return theirs
        raise TypeError(f"backend {self.name!r} has no dtype matching NumPy's {numpy_dtype}")


class Registry:
    """Collects the ops and backends one plugin registers.

    The plugin manager gives each plugin a fresh ``Registry``; its registrations join
    the dispatch table only if the plugin's hooks all returned without error, so a
    plugin that fails halfway leaves nothing behind.
    """

    def __init__(self, plugin: str, reserved: frozenset[str] = frozenset()) -> None:
        self.plugin = plugin
        self._reserved = reserved
        self.ops: list[tuple[OpDef, bool]] = []
        self.backends: list[Backend | DeferredBackend] = []
        self.methods: list[tuple[str, Callable[..., Any]]] = []

    def register_op(
        self,
        name: str,
        *,
        forward: Forward | str,
        vjp: VJP | Sequence[VJP | None] | None = None,
        differentiable: Sequence[bool] | None = None,
        saves: Sequence[str] | str = ("inputs", "output"),
        params: Sequence[str] = (),
        param_aliases: Mapping[str, str] | None = None,
        aliases: Sequence[str] = (),
        methods: Sequence[str] = (),
        second_order: bool = True,
        broadcasts: bool = False,
        promotion: str | bool = True,
        promotes: Sequence[int | str] | None = None,
        backends: Sequence[str] | None = None,
        domain: Any = None,
        samples: Any = None,
        dtypes: Sequence[str] | None = None,
        node_name: str | Callable[..., str] | None = None,
        variadic: bool = False,
        inplace_methods: Sequence[str] = (),
        view: bool | str = False,
        reads: Sequence[Sequence[int | str]] | None = None,
        doc: str | None = None,
        override: bool = False,
        zero_gradient: bool | Sequence[bool] = False,
        reference: Any = None,
        edge_cases: Sequence[Any] | Later = (),
        identity: Callable[..., bool] | None = None,
        inspects_values: bool | Sequence[str] = False,
        promotion_by_param: Mapping[str, str] | None = None,
        param_forward: Forward | None = None,
        batching: Callable[..., Any] | str | bool | None = None,
        random: bool = False,
        layout: str | None = None,
    ) -> None:
        """Declare the op ``name``.

        - ``forward(xp, *arrays, **params) -> array``: pure; ``xp`` is the operands' array namespace.
          Or the name of an array-API function (``"multiply"``): the op is then ``xp.multiply``
          itself, called without a Python wrapper; ``vjp`` must then list one rule per input.
        - ``vjp``: either one function ``vjp(xp, g, out, *inputs, **params) -> tuple`` with a
          cotangent (or None) per input, or a sequence with one function per input returning that
          input's cotangent (None in the sequence: no gradient for that input). Written with
          ``xp`` functions and Python operators only, the same rule also runs on tensors for
          ``create_graph=True``. Omit it for ops with no gradient (results never require grad).
        - ``differentiable``: with a single ``vjp``, which inputs get gradients (default: all).
        - ``saves``: what the VJP reads, any of ``"inputs"``, ``"output"``; nothing else is kept
          alive after forward. Inputs not saved reach the VJP as shape/dtype stand-ins.
        - ``params``: names of static parameters that may also be passed positionally after the
          array inputs (``x.sum(0, True)``); a name starting with ``*`` collects the rest
          (``x.reshape(2, 3)``).
        - ``param_aliases``: other keyword spellings, e.g. ``{"axis": "dim"}``.
        - ``aliases``: other public names (``subtract`` for ``sub``).
        - ``methods``: Tensor methods this op binds (``x.sum()``); Python operators follow the op
          name (see ``tapegrad.operators``).
        - ``second_order``: False when the VJP is not itself differentiable; ``create_graph``
          through it then raises instead of returning a wrong answer.
        - ``broadcasts``: the op broadcasts its array inputs NumPy-style; shape errors are then
          reported in PyTorch's words.
        - ``promotion``: the op's category of PyTorch's type promotion (``tapegrad.promotion``):
          ``"same"`` (True, the default: the promoted dtype of the operands), ``"float"`` (that,
          or the default float dtype for bool and integer operands: ``sin``, true division),
          ``"bool"`` (computed in the promoted dtype, a bool result: comparisons) or ``"int64"``
          (int64 for bool and integer operands: ``sum``). Operands are cast to the computation
          dtype before the forward runs, on every backend, and the result to the declared dtype.
          False for ops that choose their output dtype (``astype``, ``argmax``).
        - ``promotion_by_param``: categories that replace ``promotion`` when a param is given (not
          None): ``div``'s ``{"rounding_mode": "same"}`` (``int // int`` stays an integer). Calls
          giving such a param take the general path.
        - ``param_forward``: with ``forward`` given by name, the Python forward for calls that give
          params (``add(x, y, alpha=2)``); calls without params still run the array-API function
          itself, unwrapped (``x + y``). The VJP rules receive the params as usual.
        - ``promotes``: which operands take part in promotion: positional input indices and
          names of scalar params (``where``: ``(1, 2)``; ``clamp``: ``(0, "min", "max")``).
          Default: every positional input.
        - ``backends``: backend names the forward supports (None: any, as it uses only ``xp``).
        - ``domain``, ``samples``, ``dtypes``: facts the conformance kit uses to build inputs.
        - ``node_name``: the graph node name, derived from ``name`` when omitted. Or a rule
          ``node_name(params, inputs) -> str`` naming each node from what it records, as PyTorch's
          names depend on the call (``SumBackward1`` with a ``dim``, ``RsubBackward1`` for
          ``1 - x``); ``inputs`` holds what the node keeps for each input (arrays, shape/dtype
          stand-ins, Python scalars), or is None once backward has freed them.
        - ``variadic``: the op takes one sequence of tensors first (``cat([x, y], dim=0)``); the
          forward receives them unpacked, ``forward(xp, *arrays, **params)``.
        - ``inplace_methods``: Tensor methods doing the op in place on its first input
          (``add_``); Python's augmented operators (``+=``) follow the op name like ``+`` does.
        - ``view``: True when the result may share memory with the first input, each of its elements
          a distinct element of it (reshape, transpose, basic getitem); ``"broadcast"`` when elements
          may repeat (expand). In-place writes through such a result then rewrite the input's history
          (``"broadcast"``: are refused). Needs ``saves=()``.
        - ``reads``: with one ``vjp`` rule per input, what each rule reads: input indices and/or
          ``"output"``, e.g. ``((1,), (0,))`` for mul. Only what the rules of the inputs that need a
          gradient read is kept; the rest reach the VJP as stand-ins. Must be within ``saves``.
        - ``doc``: the op's documentation (default: the forward's docstring).
        - ``override``: replace an op of the same name registered by an earlier plugin.
        - ``zero_gradient``, ``reference``, ``edge_cases``: what the conformance kit checks the op
          against (see ``_kit_facts``).
        - ``identity``: ``identity(x, **params) -> bool`` says when the call changes nothing, so it
          returns its first input itself, as PyTorch's do (``x.flatten()`` of a 1-D tensor,
          ``x.astype(x.dtype)``): a leaf stays a leaf and no node is recorded.
        - ``inspects_values``: the op must look at values on the host, which would force a lazy
          backend (``lazy=True``: Dask) to compute: True when it reads its inputs' values (an output
          shape that depends on them, ``nonzero``), or the names of the params whose arrays it reads
          (``("index",)`` for getitem's masks). Such calls are refused on lazy backends with an error
          saying so, instead of computing behind the user's back.
        - ``batching``: how ``vmap`` runs the op on a batch at once: a rule
          ``rule(call, args, dims, params) -> (result, out_dim)`` (``dims``: each operand's batch
          dimension or None; ``call`` runs the op; ``NotImplemented``: loop over this call's examples),
          ``"elementwise"``, or False for none. Default: derived (``tapegrad.batching``).
        - ``random``: the op draws from tapegrad's generator (``manual_seed``); the kit reseeds it
          alike before every call of the op and of its reference, so it checks the op like any other.
        - ``layout="contiguous"``: the op returns its first input itself where that input is already
          contiguous (PyTorch's ``is_contiguous``), else a copy laid out row-major, as PyTorch's
          ``contiguous``; the kit's ``layout`` check holds it to that, from the memory each input holds.
        """
        where = self._check_names(name, aliases)
        forward_name = None
        if isinstance(forward, str):
            if vjp is None or callable(vjp):
                raise RegistrationError(
                    f"{where}: a forward given by name ({forward!r}) needs vjp as one rule per input, "
                    "which says how many inputs it takes"
                )
            forward_name, forward = forward, _named_forward(forward, name)
            nin: int | None = len(tuple(vjp))  # type: ignore[arg-type]
        elif not callable(forward):
            raise RegistrationError(f"{where}: forward must be callable, got {type(forward).__name__}")
        else:
            nin = _count_array_inputs(forward, where)
        if param_forward is not None:
            if forward_name is None or not callable(param_forward):
                raise RegistrationError(f"{where}: param_forward must be a function, and forward an array-API "
                                        "function's name (the forward of calls without params)")
            forward = param_forward

        vjps: tuple[VJP | None, ...] | None = None
        vjp_all: VJP | None = None
        if vjp is None:
            pass
        elif callable(vjp):
            vjp_all = vjp
        else:
            vjps = tuple(vjp)
            if nin is not None and len(vjps) != nin:
                raise RegistrationError(
                    f"{where}: vjp lists {len(vjps)} rules but forward takes {nin} array inputs "
                    "(forward's positional parameters without defaults are its arrays; make static "
                    "params keyword-only or give them defaults)"
                )
            if not all(map(callable, filter(_IS_NOT_NONE, vjps))):
                raise RegistrationError(f"{where}: every per-input vjp must be callable or None")
        if differentiable is not None and vjps is not None:
            raise RegistrationError(f"{where}: give 'differentiable' only with a single vjp function")
        rules = vjps if vjps is not None else (vjp_all,) if vjp_all is not None else ()
        if rules.count(None) != len(rules):  # an op with no rule has no signature to check
            _check_vjp_signatures(rules, vjps is not None, nin, _static_params(forward, nin, params), where)

        save_set = {saves} if isinstance(saves, str) else set(saves)
        if not save_set <= _SAVES:
            raise RegistrationError(
                f"{where}: saves must name only 'inputs' and 'output', got {sorted(save_set - _SAVES)}"
            )
        names = tuple(params)
        category = _promotion_category(where, promotion)
        if len(names) > 1 and any(map(_STARRED, names[:-1])):
            raise RegistrationError(f"{where}: only the last of params may start with '*'")
        if view not in _VIEWS:
            raise RegistrationError(f"{where}: view must be False, True or 'broadcast', got {view!r}")
        if view and save_set:
            raise RegistrationError(f"{where}: a view op's VJP must read nothing (saves=()): views are replayed")
        op = _new_opdef(
            name=name,
            forward=forward,
            plugin=self.plugin,
            nin=nin,
            vjps=vjps,
            vjp_all=vjp_all,
            differentiable=None if differentiable is None else tuple(bool(d) for d in differentiable),
            saves_inputs="inputs" in save_set,
            saves_output="output" in save_set,
            params=names,
            param_aliases=dict(param_aliases or {}),
            aliases=tuple(aliases),
            methods=tuple(methods),
            second_order=bool(second_order),
            broadcasts=bool(broadcasts),
            promotion=category,
            backends=None if backends is None else tuple(backends),
            domain=domain,
            samples=samples,
            dtypes=None if dtypes is None else tuple(dtypes),
            node_name=node_name if isinstance(node_name, str) else node_name_for(name),
            node_namer=node_name if callable(node_name) else None,
            doc=doc or _doc_of(forward) or "",
            variadic=bool(variadic),
            inplace_methods=tuple(inplace_methods),
            forward_name=forward_name,
            view=view,
            reads=None if reads is None else _check_reads(where, reads, vjps, save_set),
            **_kit_facts(where, nin, zero_gradient, reference, edge_cases),
            promotes=None if promotes is None else tuple(promotes),
            identity=_callable_or_none(where, "identity", identity),
            inspects_values=_inspects(where, inspects_values),
            promotion_by_param={k: _promotion_category(where, c) for k, c in promotion_by_param.items()}
            if promotion_by_param else {},
            param_forward=param_forward is not None,
            batching=_batching(where, batching),
            random=bool(random),
            layout=_layout(where, layout),
        )
        self.ops.append((op, bool(override)))

    def register_composite(
        self,
        name: str,
        function: Callable[..., Any],
        *,
        methods: Sequence[str] = (),
        aliases: Sequence[str] = (),
        samples: Any = None,
        domain: Any = None,
        view: bool | str = False,
        inplace_methods: Sequence[str] = (),
        override: bool = False,
        reference: Any = None,
        edge_cases: Sequence[Any] | Later = (),
        node_name: str | Callable[..., str | None] | None = None,
        inspects_values: bool | Sequence[str] = False,
        random: bool = False,
        layout: str | None = None,
    ) -> None:
        """Declare ``name`` as a function of tensors built from other ops (``softmax``, ``split``).

        ``function(*tensors, **params)`` calls registered ops; gradients flow through them,
        so it needs no VJP of its own. It is public like any op (``tapegrad.NAME``, ``methods``)
        and the kit checks it the same way. ``view="multiple"``: it returns several views of its
        first input (split); in-place writes into them are then refused, as in PyTorch.
        ``node_name``: the name the node of its result gets (each tensor result's, for a
        tuple), as PyTorch names it (``x.max()`` is ``MaxBackward1``, though ``amax`` made it);
        a str, or a rule called with the call's arguments returning a name (None: leave it).
        ``inspects_values``: as for ``register_op``, it says the composite (through the ops it calls)
        must look at values, so lazy backends refuse it (the kit then expects the refusal there).
        ``inplace_methods`` write the result into the first input, as an op's do (``clamp_``).
        ``random``: as for ``register_op``, the composite draws from tapegrad's generator (``dropout``).
        ``layout``: as for ``register_op`` (``contiguous``).
        """
        where = self._check_names(name, aliases)
        if not callable(function):
            raise RegistrationError(f"{where}: the function must be callable")
        if view not in (False, "multiple"):
            raise RegistrationError(f"{where}: a composite's view must be False or 'multiple', got {view!r}")
        if node_name is not None and not (callable(node_name) or isinstance(node_name, str)):
            raise RegistrationError(f"{where}: node_name must be a str or a callable")
        fixed = node_name
        namer: Callable[..., Any] | None = (
            node_name if callable(node_name) else None if fixed is None else (lambda *a, **k: fixed))
        op = _new_opdef(
            name=name, forward=function, plugin=self.plugin, nin=None, vjps=None, vjp_all=None,
            differentiable=None, saves_inputs=False, saves_output=False, params=(), param_aliases={},
            aliases=tuple(aliases), methods=tuple(methods), second_order=True, broadcasts=False,
            promotion=False, backends=None, domain=domain, samples=samples, dtypes=None,
            node_name=name, node_namer=namer, doc=_doc_of(function) or "", composite=True, view=view,
            inplace_methods=tuple(inplace_methods), **_kit_facts(where, None, False, reference, edge_cases),
            inspects_values=_inspects(where, inspects_values), random=bool(random), layout=_layout(where, layout),
        )
        self.ops.append((op, bool(override)))

    def register_method(self, name: str, function: Callable[..., Any]) -> None:
        """Bind ``function`` as the Tensor method ``name`` (called with the tensor first).

        For methods that are not simply an op with the tensor as its first input, such as
        PyTorch's ``x.where(condition, y)``, which is ``where(condition, x, y)``, or the
        ``x.new_zeros(...)`` makers. Method names clash across plugins like op names.
        """
        where = self._check_names(name, (), kind="method")
        if not callable(function):
            raise RegistrationError(f"{where}: the method must be callable")
        self.methods.append((name, function))

    def _check_names(self, name: str, aliases: Sequence[str], kind: str = "op") -> str:
        """Refuse op (or method) names that are not public identifiers or would shadow tapegrad's
        API; returns the ``plugin ..., op ...`` prefix for this registration's errors."""
        where = f"plugin {self.plugin!r}, {kind} {name!r}"
        for public in (name, *aliases):
            if not _public_name(public, dotted=kind == "op"):
                raise RegistrationError(
                    f"{where}: {'an' if kind == 'op' else 'a'} {kind} name must be a public Python identifier"
                    + (", or public identifiers joined by dots for a namespace ('linalg.solve')" if kind == "op"
                       else "") + (f", got {public!r}" if public != name else ""))
            if public.partition(".")[0] in self._reserved:
                what = "name" if "." not in public else "namespace"
                raise RegistrationError(
                    f"{where}: the {what} {public.partition('.')[0]!r} would shadow tapegrad's own API; "
                    "choose another name"
                )
        return where

    def register_backend(
        self,
        name: str,
        *,
        namespace: Any = None,
        array_types: Sequence[type | str],
        to_numpy: Callable[[Any], Any] | None = None,
        from_numpy: Callable[..., Any] | None = None,
        device: str | None = None,
        lazy: bool = False,
        compute: Callable[..., Any] | None = None,
        kit_inputs: Callable[[Any], Sequence[Any]] | None = None,
        computations: Callable[[], Any] | None = None,
        no_compute: Callable[[], Any] | None = None,
        load: Callable[[], Mapping[str, Any]] | None = None,
    ) -> None:
        """Declare an array backend: ``namespace`` is passed to ops as ``xp``; tensors whose data
        is an instance of one of ``array_types`` run on it; the converters move data to and from
        NumPy (``tensor.to(name)``; ``from_numpy(array, **options)`` takes the options of
        ``x.to(name, chunks=...)``). ``device`` is the PyTorch device type it provides
        (``"cuda"`` for a GPU library), so ``x.to("cuda")`` and ``device="cuda"`` reach it.
        ``lazy=True``: its arrays are recipes (Dask), so no op or engine path may look at their
        values, and ops registered with ``inspects_values=True`` refuse them; ``compute(*arrays)``
        then evaluates several at once, returning NumPy arrays (``tapegrad.compute``). The
        namespace must have the functions tapegrad itself calls (``CORE_FUNCTIONS``).
        For the conformance kit: ``kit_inputs(numpy_array)`` returns the native arrays it checks
        ops on (the way users make them: several chunkings, unknown sizes; default: one array from
        ``from_numpy``), and ``computations()`` is a context manager yielding a function that
        says how many times the backend computed inside it (the kit's laziness check).
        ``no_compute()``: a context manager inside which computing raises
        ``tapegrad.backends.ComputeRefused``; every op's forward on a lazy backend runs inside it,
        so an op that would compute is refused with an error naming it, never computed.

        Deferred: ``array_types`` may name classes by their qualified name
        (``"dask.array.core.Array"``), which is matched without importing their module, and
        ``load()`` may give every other keyword (``namespace``, the converters, ``compute``, ...)
        as a mapping; it is called when the backend is first used: when an array of one of its
        types reaches tapegrad (its library is imported then), or the backend is named
        (``x.to("dask")``, ``device=``, the kit). So installing a backend plugin costs nothing
        until its arrays are used. What ``load`` gives is checked as above then."""
        where = f"plugin {self.plugin!r}, backend {name!r}"
        if not isinstance(name, str) or not name:
            raise RegistrationError(f"{where}: a backend needs a non-empty name")
        types = tuple(array_types)
        if not types or not all(isinstance(t, type) or _qualified_name(t) for t in types):
            raise RegistrationError(f"{where}: array_types must be a non-empty sequence of classes or qualified "
                                    "class names ('dask.array.core.Array')")
        if device is not None and not isinstance(device, str):
            raise RegistrationError(f"{where}: device must be a device type name ('cuda') or None")
        parts = {"namespace": namespace, "to_numpy": to_numpy, "from_numpy": from_numpy, "compute": compute,
                 "kit_inputs": kit_inputs, "computations": computations, "no_compute": no_compute}
        given = {key: value for key, value in parts.items() if value is not None}
        if load is not None:
            if not callable(load):
                raise RegistrationError(f"{where}: load must be a function returning the backend's other keywords")
            if given:
                raise RegistrationError(f"{where}: with load=, {', '.join(given)} come from load() (so that nothing "
                                        "is imported until the backend is used); give only name, array_types, "
                                        "device and lazy here")
            if any(isinstance(t, type) for t in types):
                raise RegistrationError(f"{where}: with load=, name the array types ('module.Class') instead of "
                                        "giving the classes, so that their library is imported only when used")
        else:
            _check_backend_parts(where, given, lazy)
        classes = tuple(t for t in types if isinstance(t, type))
        if len(classes) == len(types):
            self.backends.append(_backend(name, self.plugin, classes, device, lazy, given))
        else:
            self.backends.append(DeferredBackend(name, self.plugin, types, device, bool(lazy), given, load))


class DeferredBackend:
    """A backend registered by the names of its array types, loaded on first use (``resolve``).

    What is known before loading (name, plugin, device, lazy, the array types' names) is all the
    listings (``tapegrad backends``), device lookups and name lookups need. (A plain class: a
    dataclass costs a millisecond of ``import tapegrad``.)"""

    __slots__ = ("name", "plugin", "array_types", "device", "lazy", "given", "load")

    def __init__(self, name: str, plugin: str, array_types: tuple[type | str, ...], device: str | None, lazy: bool,
                 given: Mapping[str, Any], load: Callable[[], Mapping[str, Any]] | None) -> None:
        self.name, self.plugin, self.array_types, self.device, self.lazy = name, plugin, array_types, device, lazy
        self.given = given  # the keywords given at registration (without load: all of them)
        self.load = load

    def __repr__(self) -> str:
        return f"DeferredBackend({self.name!r}, plugin={self.plugin!r}, array_types={self.array_types!r})"

    def type_names(self) -> tuple[str, ...]:
        """The qualified names of its array types."""
        return tuple(t if isinstance(t, str) else qualified_name(t) for t in self.array_types)

    def matches(self, array_type: type, subclasses: bool = False) -> bool:
        """Whether ``array_type`` is one of its array types (or a subclass of one, with ``subclasses``),
        found without importing anything: a named class is looked up only in modules already imported
        (an array of it exists, so its module is)."""
        for declared in self.array_types:
            cls = declared if isinstance(declared, type) else find_class(declared, importing=False)
            if cls is not None and (array_type is cls or (subclasses and issubclass(array_type, cls))):
                return True
        return False

    def resolve(self) -> Backend:
        """The backend itself: ``load()`` called, its array types imported, everything checked as
        ``register_backend`` checks it. Errors name the plugin."""
        where = f"plugin {self.plugin!r}, backend {self.name!r}"
        parts = dict(self.given)
        if self.load is not None:
            try:
                loaded = self.load()
            except Exception as exc:
                raise RegistrationError(f"{where} could not be loaded: {type(exc).__name__}: {exc}") from exc
            if not isinstance(loaded, Mapping):
                raise RegistrationError(f"{where}: load() must return a mapping of register_backend's keywords, "
                                        f"got {type(loaded).__name__}")
            unknown = sorted(set(loaded) - _LOADED_KEYWORDS)
            if unknown:
                raise RegistrationError(f"{where}: load() returned {', '.join(unknown)}, which it may not give (it "
                                        f"gives {', '.join(sorted(_LOADED_KEYWORDS))})")
            parts.update({key: value for key, value in loaded.items() if value is not None})
            _check_backend_parts(where, parts, self.lazy)
        types = []
        for declared in self.array_types:
            cls = declared if isinstance(declared, type) else find_class(declared, importing=True)
            if cls is None:
                raise RegistrationError(f"{where}: its array type {declared!r} was not found (is the name the class's "
                                        "module and qualified name?)")
            types.append(cls)
        return _backend(self.name, self.plugin, tuple(types), self.device, self.lazy, parts)


_LOADED_KEYWORDS = frozenset({"namespace", "to_numpy", "from_numpy", "compute", "kit_inputs", "computations",
                              "no_compute"})


def qualified_name(cls: type) -> str:
    """``module.QualName`` of a class: how deferred backends name their array types."""
    return f"{cls.__module__}.{cls.__qualname__}"


def _qualified_name(value: Any) -> bool:
    return isinstance(value, str) and "." in value and all(part.isidentifier() for part in value.split("."))


def find_class(name: str, importing: bool) -> type | None:
    """The class a qualified name (``"dask.array.core.Array"``) names, or None. Not ``importing``:
    only from modules already imported, so that asking never imports a library."""
    import importlib
    import sys

    parts = name.split(".")
    for k in range(len(parts) - 1, 0, -1):  # the longest imported module prefix, then attributes
        module_name = ".".join(parts[:k])
        module = sys.modules.get(module_name)
        if module is None and importing:
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue
        if module is None:
            continue
        found: Any = module
        for attr in parts[k:]:
            found = getattr(found, attr, None)
        return found if isinstance(found, type) else None
    return None


def _check_backend_parts(where: str, parts: Mapping[str, Any], lazy: bool) -> None:
    """What a backend needs besides its name and types: a complete namespace, callable converters."""
    namespace = parts.get("namespace")
    if namespace is None:
        raise RegistrationError(f"{where}: a backend needs a namespace (or load= giving one)")
    if not (callable(parts.get("to_numpy")) and callable(parts.get("from_numpy"))):
        raise RegistrationError(f"{where}: to_numpy and from_numpy must be callable")
    missing = [f for f in CORE_FUNCTIONS if not hasattr(namespace, f)]
    if missing:
        raise RegistrationError(f"{where}: its namespace {getattr(namespace, '__name__', namespace)!r} lacks "
                                f"{', '.join(missing)}, which tapegrad calls on every backend; register a "
                                "complete array-API namespace (array_api_compat wraps most libraries)")
    if parts.get("compute") is not None and not callable(parts["compute"]):
        raise RegistrationError(f"{where}: compute must be callable")
    for what in ("kit_inputs", "computations", "no_compute"):
        if parts.get(what) is not None and not callable(parts[what]):
            raise RegistrationError(f"{where}: {what} must be callable")
    if lazy and parts.get("compute") is None:
        raise RegistrationError(f"{where}: a lazy backend needs compute(*arrays) (tapegrad.compute evaluates "
                                "several tensors in one pass through it)")


def _backend(name: str, plugin: str, types: tuple[type, ...], device: str | None, lazy: bool,
             parts: Mapping[str, Any]) -> Backend:
    namespace = parts["namespace"]
    return Backend(name, namespace, types, parts["to_numpy"], parts["from_numpy"], plugin, _dtype_table(namespace),
                   device=device, lazy=bool(lazy), compute=parts.get("compute"), kit_inputs=parts.get("kit_inputs"),
                   computations=parts.get("computations"), no_compute=parts.get("no_compute"))


@functools.cache
def _opdef_fields() -> tuple[dict[str, Any], tuple[tuple[str, Any], ...], frozenset[str], frozenset[str]]:
    """OpDef's fields: plain defaults, (name, factory) of defaults made per op, required names, all names."""
    defaults: dict[str, Any] = {}
    factories = []
    required = set()
    for f in dataclasses.fields(OpDef):
        if f.default is not dataclasses.MISSING:
            defaults[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            factories.append((f.name, f.default_factory))
        else:
            required.add(f.name)
    known = frozenset(required) | frozenset(defaults) | frozenset(name for name, _ in factories)
    return defaults, tuple(factories), frozenset(required), known


_LAYOUTS = (None, "contiguous")  # what an op may promise about the layout of its result


def _layout(where: str, layout: Any) -> str | None:
    """A declared ``layout`` (what the kit's layout check holds the op to), checked."""
    if layout not in _LAYOUTS:
        raise RegistrationError(f"{where}: layout must be None or 'contiguous', got {layout!r}")
    return layout


def _new_opdef(**values: Any) -> OpDef:
    """``OpDef(**values)``, without the frozen dataclass's ``__init__``, which sets each of ~50
    fields through ``object.__setattr__``: that was a tenth of building the op table (~460
    registrations). The op is as frozen as one made by ``OpDef(...)``."""
    defaults, factories, required, known = _opdef_fields()
    if not (required <= values.keys() <= known):
        return OpDef(**values)  # the dataclass's own error
    op = object.__new__(OpDef)
    fields = op.__dict__
    fields.update(defaults)
    for name, factory in factories:
        if name not in values:
            fields[name] = factory()
    fields.update(values)
    return op


def _inspects(where: str, value: Any) -> bool | tuple[str, ...]:
    if value is True or value is False:
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise RegistrationError(f"{where}: inspects_values must be True, False or a sequence of param names, got {value!r}")


def _public_name(name: Any, dotted: bool) -> bool:
    """A public identifier, or (``dotted``) public identifiers joined by dots: ``nn.functional.relu``."""
    if not isinstance(name, str):
        return False
    if "." not in name:  # most names: no parts to split
        return name.isidentifier() and not name.startswith("_")
    parts = name.split(".") if dotted else [name]
    return all(part.isidentifier() and not part.startswith("_") for part in parts)


def _check_reads(where: str, reads: Sequence[Sequence[int | str]], vjps: tuple | None,
                 saves: set[str]) -> tuple[tuple[int | str, ...], ...]:
    """Validate ``reads``: one entry per per-input rule, naming inputs by index or ``"output"``."""
    if vjps is None:
        raise RegistrationError(f"{where}: reads needs vjp given as one rule per input")
    table = tuple(tuple(entry) for entry in reads)
    if len(table) != len(vjps):
        raise RegistrationError(f"{where}: reads lists {len(table)} entries but vjp has {len(vjps)} rules")
    for entry in table:
        for what in entry:
            if what == "output":
                ok = "output" in saves
            else:
                ok = type(what) is int and 0 <= what < len(vjps) and "inputs" in saves
            if not ok:
                raise RegistrationError(
                    f"{where}: reads may name only input indices below {len(vjps)} (with 'inputs' in saves) "
                    f"and 'output' (with 'output' in saves), got {what!r}"
                )
    return table


def _kit_facts(where: str, nin: int | None, zero_gradient: Any, reference: Any = None,
               edge_cases: Any = ()) -> dict[str, Any]:
    """The conformance kit's declarations, validated: ``zero_gradient`` (True for every input,
    or one bool per input) says the derivative is zero by definition wherever it exists
    (``floor``, comparisons); ``reference`` is a NumPy function ``reference(*arrays, **params)``
    or a sequence of ``tapegrad.testing.EdgeCase`` giving values; ``edge_cases`` special points
    with expected values and gradients. A ``Later`` is checked when the kit first reads it."""
    if zero_gradient is False and reference is None and type(edge_cases) is tuple and not edge_cases:  # most ops
        return dict(zero_gradient=(), reference=None, edge_cases=())
    if isinstance(zero_gradient, bool):
        zeros: tuple[bool, ...] = (zero_gradient,) * (nin or 0) if zero_gradient else ()
    else:
        zeros = tuple(bool(z) for z in zero_gradient)
        if nin is not None and len(zeros) != nin:
            raise RegistrationError(f"{where}: zero_gradient lists {len(zeros)} inputs, forward takes {nin}")
    if reference is not None and type(reference) is not Later and not callable(reference) \
            and not isinstance(reference, (list, tuple)):
        raise RegistrationError(f"{where}: reference must be a function or a sequence of EdgeCase points")
    if type(edge_cases) is not Later:
        if not isinstance(edge_cases, (list, tuple)) or any(type(point) is Later for point in edge_cases):
            raise RegistrationError(f"{where}: edge_cases must be a sequence of tapegrad.testing.EdgeCase (or one "
                                    "Later making the whole sequence)")
        edge_cases = tuple(edge_cases)
    return dict(zero_gradient=zeros, reference=reference, edge_cases=edge_cases)


def _callable_or_none(where: str, what: str, value: Any) -> Any:
    if value is not None and not callable(value):
        raise RegistrationError(f"{where}: {what} must be a function or None, got {type(value).__name__}")
    return value


def _batching(where: str, batching: Any) -> Any:
    if batching is None or batching is False or batching == "elementwise" or callable(batching):
        return batching
    raise RegistrationError(f"{where}: batching must be a rule function, 'elementwise', False or None, "
                            f"got {batching!r}")


def _promotion_category(where: str, promotion: Any) -> str | bool:
    """``promotion`` as a category name, or False."""
    if promotion is True:
        return "same"
    if promotion is False:
        return False
    from .promotion import CATEGORIES

    if promotion in CATEGORIES:
        return promotion
    raise RegistrationError(f"{where}: promotion must be True, False or one of {list(CATEGORIES)}, got {promotion!r}")


def _named_forward(function: str, op: str) -> Forward:
    """The forward of an op declared as an array-API function name."""

    def forward(xp: Any, *arrays: Any, **params: Any) -> Any:
        return getattr(xp, function)(*arrays, **params)

    forward.__name__ = op
    forward.__doc__ = f"The array API's ``{function}``, on the operands' backend."
    return forward


def _dtype_table(namespace: Any) -> dict[Any, Any]:
    """Array-API namespaces expose dtypes by standard names: map each onto NumPy's."""
    import numpy as np

    from .dtypes import SUPPORTED_NUMPY_DTYPES

    table: dict[Any, Any] = {}
    for numpy_dtype in SUPPORTED_NUMPY_DTYPES:
        theirs = getattr(namespace, "bool" if numpy_dtype == np.bool_ else numpy_dtype.name, None)
        if theirs is not None:
            table[theirs] = numpy_dtype
    float64 = getattr(namespace, "float64", None)
    if isinstance(float64, np.dtype) or (isinstance(float64, type) and issubclass(float64, np.generic)):
        for numpy_dtype in SUPPORTED_NUMPY_DTYPES:  # NumPy's dtypes (Dask, CuPy): float16 too, which
            if numpy_dtype not in table.values():  # the array API does not name
                table[numpy_dtype] = numpy_dtype
    return table


# Parameter kinds, numbered as inspect.Parameter's.
_POSITIONAL_ONLY, _POSITIONAL_OR_KEYWORD, _VAR_POSITIONAL, _KEYWORD_ONLY, _VAR_KEYWORD = range(5)
_CO_VARARGS, _CO_VARKEYWORDS = 0x04, 0x08


def _parameters(function: Callable[..., Any]) -> list[tuple[str, int, bool]] | None:
    """``function``'s parameters as (name, kind, has a default), remembered for the last few
    functions (a forward is read twice per registration: its arity, then its params)."""
    try:
        return _remembered_parameters(function)
    except TypeError:  # an unhashable callable
        return _read_parameters(function)


@functools.lru_cache(maxsize=16)
def _remembered_parameters(function: Callable[..., Any]) -> list[tuple[str, int, bool]] | None:
    return _read_parameters(function)


def _doc_of(function: Any) -> str | None:
    """``inspect.getdoc(function)``: a plain function's one-line docstring (most forwards') is cleaned as
    ``inspect.cleandoc`` cleans one line, without its loops (over ~460 registrations, 3% of a first op)."""
    doc = function.__doc__ if _plain(function) else None
    if type(doc) is str and "\n" not in doc:
        return doc.expandtabs().lstrip()
    return inspect.getdoc(function)


def _plain(function: Any) -> bool:
    """A plain function, whose code object says what ``inspect.signature`` would (nothing wraps it)."""
    return type(function) is types.FunctionType and "__wrapped__" not in function.__dict__ \
        and "__signature__" not in function.__dict__


def _read_parameters(function: Callable[..., Any]) -> list[tuple[str, int, bool]] | None:
    """``function``'s parameters as (name, kind, has a default); None when it has no signature.

    A plain function's are read from its code object: ``inspect.signature`` costs about 50 us a
    call, which over the ~600 forwards and VJP rules the built-in plugin registers was a third of
    building the op table. Anything else (partials, methods, wrapped or builtin functions) asks
    ``inspect``, which follows ``__wrapped__`` and ``__signature__``."""
    if not _plain(function):
        try:
            sig = inspect.signature(function)
        except (TypeError, ValueError):
            return None
        return [(p.name, int(p.kind), p.default is not p.empty) for p in sig.parameters.values()]
    code = function.__code__
    npos, nkw, names = code.co_argcount, code.co_kwonlyargcount, code.co_varnames
    first_default = npos - len(function.__defaults__ or ())
    kwdefaults = function.__kwdefaults__ or {}
    out = [(names[i], _POSITIONAL_ONLY if i < code.co_posonlyargcount else _POSITIONAL_OR_KEYWORD, i >= first_default)
           for i in range(npos)]
    rest = npos + nkw  # co_varnames: positional, keyword-only, then *args and **kwargs
    if code.co_flags & _CO_VARARGS:
        out.append((names[rest], _VAR_POSITIONAL, False))
        rest += 1
    out += [(name, _KEYWORD_ONLY, name in kwdefaults) for name in names[npos:npos + nkw]]
    if code.co_flags & _CO_VARKEYWORDS:
        out.append((names[rest], _VAR_KEYWORD, False))
    return out


def _static_params(forward: Forward, nin: int | None, declared: Sequence[str]) -> tuple[list[str] | None, list[str]]:
    """The forward's static params a VJP will be given by keyword: (required, optional) names;
    required is None when the forward takes ``**params`` (any keyword may be required)."""
    required: list[str] = []
    optional = [name.lstrip("*") for name in declared]
    if _plain(forward) and forward.__code__.co_argcount:  # xp first, as registered forwards take it
        return _static_params_of_code(forward, nin or 0, required, optional)
    parameters = _parameters(forward)
    if parameters is None:
        return None, optional
    parameters = parameters[1:]  # after xp
    if any(kind == _VAR_KEYWORD for _, kind, _ in parameters):
        return None, optional
    arrays = 0
    for name, kind, default in parameters:
        if kind in (_POSITIONAL_ONLY, _POSITIONAL_OR_KEYWORD) and not default and arrays < (nin or 0):
            arrays += 1
        elif kind == _KEYWORD_ONLY and not default:
            required.append(name)
        elif kind in (_KEYWORD_ONLY, _POSITIONAL_OR_KEYWORD) and name not in optional:
            optional.append(name)
    return required, [name for name in optional if name not in required]


def _static_params_of_code(forward: Any, nin: int, required: list[str],
                           optional: list[str]) -> tuple[list[str] | None, list[str]]:
    """``_static_params`` of a plain function, read off its code object as ``_read_parameters`` reads it."""
    code = forward.__code__
    if code.co_flags & _CO_VARKEYWORDS:
        return None, optional
    names, npos = code.co_varnames, code.co_argcount
    first_default = npos - len(forward.__defaults__ or ())
    arrays = 0
    for i in range(1, npos):  # after xp
        if i < first_default and arrays < nin:
            arrays += 1
        elif i >= code.co_posonlyargcount and names[i] not in optional:
            optional.append(names[i])
    kwdefaults = forward.__kwdefaults__ or {}
    for name in names[npos:npos + code.co_kwonlyargcount]:
        if name not in kwdefaults:
            required.append(name)
        elif name not in optional:
            optional.append(name)
    return required, [name for name in optional if name not in required]


def _binds_quickly(parameters: list[tuple[str, int, bool]], npositional: int, keywords: Sequence[str],
                   partial: bool) -> bool:
    """Whether a call with ``npositional`` arguments and ``keywords`` binds to ``parameters``, by the
    rules of ``inspect.Signature.bind`` (``bind_partial`` with ``partial``). When this says no, the
    registration asks ``inspect`` itself, whose error words the message."""
    taken = set(keywords)
    varkw = False
    index = 0  # positional parameters seen
    for name, kind, default in parameters:
        if kind == _VAR_POSITIONAL:
            index = npositional  # it takes every positional argument left
        elif kind == _VAR_KEYWORD:
            varkw = True
        elif kind == _KEYWORD_ONLY or index >= npositional:  # to be given by keyword, if at all
            if kind != _KEYWORD_ONLY:
                index += 1
            if name in taken:
                if kind == _POSITIONAL_ONLY:
                    return False  # inspect refuses a positional-only parameter given by keyword
                taken.discard(name)
            elif not default and not partial:
                return False  # missing
        else:  # bound positionally
            index += 1
            if name in taken and kind == _POSITIONAL_OR_KEYWORD:
                return False  # multiple values
    if index < npositional:
        return False  # too many positional arguments
    return varkw or not taken  # a keyword left over (unknown, or naming a positional-only one) needs **kwargs


def _check_vjp_signatures(rules: Sequence[VJP | None], per_input: bool, nin: int | None,
                          static: tuple[list[str] | None, list[str]], where: str) -> None:
    """Refuse, at registration, a VJP the engine could not call as ``rule(xp, g, out, *inputs, **params)``:
    the wrong number of positional parameters, or a param of the forward it does not accept."""
    required, optional = static
    npositional, partial = 3 + (nin or 0), nin is None  # xp, g, out and the inputs
    for i, rule in enumerate(rules):
        if rule is None or _plainly_binds(rule, npositional, required, optional):
            continue
        parameters = _parameters(rule)
        if parameters is None:
            continue  # a builtin or C function: nothing to inspect
        given = required if required is not None else [
            name for name, kind, default in parameters if kind == _KEYWORD_ONLY and not default]
        if _binds_quickly(parameters, npositional, given, partial) and (
                not optional or _binds_quickly(parameters, npositional, [*given, *optional], partial)):
            continue
        arguments = ("xp", "g", "out", *(f"input{k}" for k in range(nin or 0)))
        _refuse_vjp_signature(rule, i, per_input, nin, arguments, required, optional, where)


def _plainly_binds(rule: VJP, npositional: int, required: list[str] | None, optional: list[str]) -> bool:
    """Whether ``rule`` binds as ``_check_vjp_signatures`` asks (``npositional`` arguments, the forward's
    ``required`` params, then those and the ``optional`` ones by keyword), read from a plain function's
    code object without building its parameter list. False: not plainly so, and the rule is read in
    full (``_binds_quickly``), which also answers every case this says yes to; this one answers
    most of the ~600 rules a first op checks."""
    if not _plain(rule):
        return False
    code = rule.__code__
    nargs = code.co_argcount
    if nargs < npositional or code.co_posonlyargcount or code.co_flags & _CO_VARARGS \
            or nargs - len(rule.__defaults__ or ()) > npositional:  # too few, or one past the arguments unfilled
        return False
    if not (code.co_kwonlyargcount or required or optional):  # nothing by keyword: most rules
        return True
    names = code.co_varnames
    kwonly = names[nargs:nargs + code.co_kwonlyargcount]
    kwdefaults = rule.__kwdefaults__ or {}
    needed = [name for name in kwonly if name not in kwdefaults]
    given = needed if required is None else required
    if any(name not in given for name in needed):
        return False
    by_keyword = {*names[npositional:nargs], *kwonly}
    varkw = code.co_flags & _CO_VARKEYWORDS
    return all(name in by_keyword or (varkw and name not in names[:npositional]) for name in (*given, *optional))


def _refuse_vjp_signature(rule: VJP, i: int, per_input: bool, nin: int | None, arguments: Sequence[str],
                          required: list[str] | None, optional: list[str], where: str) -> None:
    """Raise the registration error for a VJP rule that does not bind, in ``inspect``'s words."""
    sig = inspect.signature(rule)
    which = f"the vjp rule for input {i}" if per_input else "the vjp"
    call = sig.bind_partial if nin is None else sig.bind
    given = {name: None for name in (required if required is not None else (
        p.name for p in sig.parameters.values() if p.kind is p.KEYWORD_ONLY and p.default is p.empty))}
    try:
        call(*arguments, **given)
    except TypeError as exc:
        hint = (f"a vjp takes xp, g, out and the {nin} input(s) of the forward positionally, then the params "
                "by keyword" if nin is not None else "a vjp takes xp, g, out and the inputs positionally")
        missing = [p.name for p in sig.parameters.values() if p.kind is p.KEYWORD_ONLY
                   and p.default is p.empty and p.name not in given]
        detail = (f"it has a required keyword {missing[0]!r} the forward does not require (params reach the "
                  "vjp only when the caller gives them)") if missing else str(exc)
        raise RegistrationError(f"{where}: {which} cannot be called as vjp({', '.join(arguments)}): "
                                f"{detail}; {hint}") from None
    try:
        call(*arguments, **given, **dict.fromkeys(optional))
    except TypeError:
        rejected = next(name for name in optional if not _binds(call, arguments, {**given, name: None}))
        raise RegistrationError(
            f"{where}: {which} does not accept the param {rejected!r} that the forward takes; the engine "
            f"passes the op's params to the vjp by keyword (give it {rejected}=... or **params)"
        ) from None


def _binds(call: Callable[..., Any], arguments: Sequence[str], keywords: dict[str, None]) -> bool:
    try:
        call(*arguments, **keywords)
    except TypeError:
        return False
    return True


def _count_array_inputs(forward: Forward, where: str) -> int | None:
    """How many array inputs ``forward(xp, *arrays, **params)`` takes; None when variadic."""
    if _plain(forward):  # its positional parameters without defaults, read off the code object
        code = forward.__code__
        if code.co_flags & _CO_VARARGS:
            return None
        without_defaults = code.co_argcount - len(forward.__defaults__ or ())
        if without_defaults < 1:
            raise RegistrationError(f"{where}: forward must take the array namespace 'xp' first")
        return without_defaults - 1
    parameters = _parameters(forward)
    if parameters is None:
        return None
    if any(kind == _VAR_POSITIONAL for _, kind, _ in parameters):
        return None
    positional = [name for name, kind, default in parameters
                  if kind in (_POSITIONAL_ONLY, _POSITIONAL_OR_KEYWORD) and not default]
    if not positional:
        raise RegistrationError(f"{where}: forward must take the array namespace 'xp' first")
    return len(positional) - 1
