"""Differential tests against PyTorch (skipped when torch is not installed)."""
