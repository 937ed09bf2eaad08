"""``tapegrad.testing``: the conformance kit op authors run in their CI.

``check_op(name)`` proves a registered op right from its registration alone;
``parametrize_with_op_checks(names)`` makes one pytest test per op x check;
``check_grads(fn, args)`` checks any function's gradients against finite differences.
"""

from .gradcheck import TOLERANCES, check_grads
from .kit import CHECKS, OpCheck, check_op, op_checks, ops_of_plugin, parametrize_with_op_checks
from .samples import EdgeCase, Sample

__all__ = [
    "check_grads", "TOLERANCES", "check_op", "op_checks", "ops_of_plugin", "parametrize_with_op_checks",
    "CHECKS", "OpCheck", "Sample", "EdgeCase",
]
