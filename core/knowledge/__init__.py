"""Knowledge bases: ingestion of documents, a crash-safe store, and retrieval for the voice engine.

Qt-free; used by `earpiece.core`, the `earpiece kb` command line and the desktop UI.
"""

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
from earpiece.core.knowledge.ledger import ChunkRow, DocumentInfo, KnowledgeBaseInfo
from earpiece.core.knowledge.limits import IngestLimits
from earpiece.core.knowledge.progress import FileResult, IngestReport, Outcome, Progress, ProgressCallback
from earpiece.core.knowledge.reader import KnowledgeReader
from earpiece.core.knowledge.readers import READERS, is_supported
from earpiece.core.knowledge.remote import RemoteReader
from earpiece.core.knowledge.retriever import KnowledgeRetriever
from earpiece.core.knowledge.sample import SAMPLE_KB, ensure_sample_kb, open_reader, sample_folder
from earpiece.core.knowledge.search import SearchResult
from earpiece.core.knowledge.store import KnowledgeStore, default_store_path

SUPPORTED_SUFFIXES = tuple(sorted(READERS))

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
