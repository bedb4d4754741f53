"""What can go wrong in the knowledge manager, each with a message a user can act on."""

from __future__ import annotations


class KnowledgeError(Exception):
    """Base of every knowledge-manager error."""


class DocumentError(KnowledgeError):
    """One file could not be ingested; the others carry on."""


class UnsupportedFormatError(DocumentError):
    pass


class UnreadableDocumentError(DocumentError):
    """Corrupt, encrypted, binary or otherwise not the format its name claims."""


class EmptyDocumentError(DocumentError):
    pass


class LimitExceededError(DocumentError):
    """The file is bigger than a limit allows (size, unpacked size, pages, rows, characters)."""


class StoreBusyError(KnowledgeError):
    """Another process owns the store."""


class KnowledgeBaseNotFoundError(KnowledgeError):
    pass


class KnowledgeBaseExistsError(KnowledgeError):
    pass


class InvalidNameError(KnowledgeError):
    pass


class DocumentNotFoundError(KnowledgeError):
    pass
