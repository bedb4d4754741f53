"""Reading a pjsua2 `ByteVector` fast.

Iterating a SWIG `std::vector<unsigned char>` costs 400-600 µs per 640-byte frame; reading its
begin/end pointers (libstdc++ layout) with ctypes costs ~2 µs. The layout is checked once at import
against a known vector; if it does not match, the slow path is used.
"""

from __future__ import annotations

import ctypes
from typing import Any

import pjsua2 as pj

_POINTER = ctypes.sizeof(ctypes.c_void_p)


def _fast(vector: Any) -> bytes:
    address = int(vector.this)
    begin = ctypes.c_void_p.from_address(address).value
    end = ctypes.c_void_p.from_address(address + _POINTER).value
    if not begin or not end or end <= begin:
        return b""
    return ctypes.string_at(begin, end - begin)


def _slow(vector: Any) -> bytes:
    return bytes(vector)


def _layout_matches() -> bool:
    probe = bytes(range(256)) * 3
    try:
        return _fast(pj.ByteVector(probe)) == probe and _fast(pj.ByteVector(b"")) == b""
    except (TypeError, ValueError, OSError):
        return False


FAST_PATH = _layout_matches()
vector_bytes = _fast if FAST_PATH else _slow
