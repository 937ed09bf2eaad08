"""Differential tests against PyTorch 2.13 (skipped when torch is not installed).

- ``opspec.py``: what each tapegrad op is in PyTorch, and its seeded random cases; an op with no
  counterpart goes in ``NO_TORCH_COUNTERPART`` (test_tables.py fails for an op in neither).
- ``harness.py``: runs a case through both libraries and says exactly how they differ.
- ``test_parity.py``: one test item per op, check and dtype (ids ``OP-CHECK[-DTYPE]``).
- ``known_failures.py``: tapegrad bugs, strict xfails. An XPASS means a fix landed: delete the
  entry it names. A new failure names the op, the inputs and both results.
- ``differences.py``: differences kept on purpose, skipped; mirrors the table in docs/autograd.md.
"""
