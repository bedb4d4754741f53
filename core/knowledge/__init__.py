"""Knowledge bases: ingestion of documents, a crash-safe store, and retrieval for the voice engine.

Qt-free; used by `earpiece.core`, the `earpiece kb` command line and the desktop UI.

The errors and limits load with the package; everything else on first use (PEP 562), so the
settings (which hold the limits) and the parser child do not pull in Chroma and onnxruntime.
"""

import importlib
from typing import TYPE_CHECKING, Any

from earpiece.core.knowledge.errors import (
    DocumentError,
    DocumentNotFoundError,
    EmptyDocumentError,
    InvalidNameError,
    KnowledgeBaseExistsError,
    KnowledgeBaseNotFoundError,
    KnowledgeError,
    LimitExceededError,
    StoreBusyError,
    UnreadableDocumentError,
    UnsupportedFormatError,
)
from earpiece.core.knowledge.limits import IngestLimits

if TYPE_CHECKING:
    from earpiece.core.knowledge.ledger import ChunkRow, DocumentInfo, KnowledgeBaseInfo
    from earpiece.core.knowledge.progress import FileResult, IngestReport, Outcome, Progress, ProgressCallback
    from earpiece.core.knowledge.reader import KnowledgeReader
    from earpiece.core.knowledge.readers import is_supported
    from earpiece.core.knowledge.remote import RemoteReader
    from earpiece.core.knowledge.retriever import KnowledgeRetriever
    from earpiece.core.knowledge.sample import SAMPLE_KB, ensure_sample_kb, open_reader, sample_folder
    from earpiece.core.knowledge.search import SearchResult
    from earpiece.core.knowledge.store import KnowledgeStore, default_store_path

    SUPPORTED_SUFFIXES: tuple[str, ...]

_LAZY = {
    "ChunkRow": "ledger",
    "DocumentInfo": "ledger",
    "FileResult": "progress",
    "IngestReport": "progress",
    "KnowledgeBaseInfo": "ledger",
    "KnowledgeReader": "reader",
    "KnowledgeRetriever": "retriever",
    "KnowledgeStore": "store",
    "Outcome": "progress",
    "Progress": "progress",
    "ProgressCallback": "progress",
    "RemoteReader": "remote",
    "SAMPLE_KB": "sample",
    "SearchResult": "search",
    "default_store_path": "store",
    "ensure_sample_kb": "sample",
    "is_supported": "readers",
    "open_reader": "sample",
    "sample_folder": "sample",
}


def __getattr__(name: str) -> Any:
    if name == "SUPPORTED_SUFFIXES":
        value: Any = tuple(sorted(importlib.import_module(f"{__name__}.readers").READERS))
    elif name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


__all__ = [
    "SAMPLE_KB",
    "SUPPORTED_SUFFIXES",
    "ChunkRow",
    "DocumentError",
    "DocumentInfo",
    "DocumentNotFoundError",
    "EmptyDocumentError",
    "FileResult",
    "IngestLimits",
    "IngestReport",
    "InvalidNameError",
    "KnowledgeBaseExistsError",
    "KnowledgeBaseInfo",
    "KnowledgeBaseNotFoundError",
    "KnowledgeError",
    "KnowledgeReader",
    "KnowledgeRetriever",
    "KnowledgeStore",
    "LimitExceededError",
    "Outcome",
    "Progress",
    "ProgressCallback",
    "RemoteReader",
    "SearchResult",
    "StoreBusyError",
    "UnreadableDocumentError",
    "UnsupportedFormatError",
    "default_store_path",
    "ensure_sample_kb",
    "is_supported",
    "open_reader",
    "sample_folder",
]
