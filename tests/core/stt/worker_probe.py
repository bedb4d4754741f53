"""Run inside a recognition worker (this module imports nothing but the standard library, so it
does not change what the worker has loaded)."""

from __future__ import annotations

import sys
from collections.abc import Iterable


def loaded(prefixes: Iterable[str]) -> list[str]:
    """The worker's modules whose names are, or start with, one of `prefixes`."""
    return sorted(m for m in sys.modules for p in prefixes if m == p or m.startswith(p + "."))


def attribute(module: str, name: str) -> object:
    """`module.name` in the worker, None when the worker has not imported `module`."""
    return getattr(sys.modules[module], name) if module in sys.modules else None
