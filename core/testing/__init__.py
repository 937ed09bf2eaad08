"""``tapegrad.testing``: the conformance kit op authors run in their CI."""

from .gradcheck import TOLERANCES, check_grads

__all__ = ["check_grads", "TOLERANCES"]
