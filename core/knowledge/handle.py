"""What the knowledge store and both readers (local, remote) share: their settings, the embedder,
`with` closing them, and values worked out from a knowledge base kept until it changes."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from types import TracebackType
from typing import Generic, Self, TypeVar

from earpiece.core.knowledge.embedding import MiniLmEmbedder
from earpiece.core.settings import KnowledgeSettings

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class KnowledgeHandle:
    """The settings and embedder of a store or reader; `with handle:` closes it however the block ends."""

    def __init__(self, settings: KnowledgeSettings | None, embedder: MiniLmEmbedder | None) -> None:
        self._settings = settings or KnowledgeSettings()
        self._embedder = embedder

    @property
    def embedder(self) -> MiniLmEmbedder:
        """The embedder given, or the process-wide one for these settings (loaded on first use)."""
        if self._embedder is None:
            self._embedder = MiniLmEmbedder.from_settings(self._settings)
        return self._embedder

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class GenerationCache(Generic[K, V]):
    """One value per key, worked out again once the knowledge base's generation (a counter, a time)
    is not the one it was worked out at."""

    def __init__(self) -> None:
        self._kept: dict[K, tuple[object, V]] = {}

    def get(self, key: K, generation: object, work_out: Callable[[], V]) -> V:
        kept = self._kept.get(key)
        if kept is None or kept[0] != generation:
            kept = (generation, work_out())
            self._kept[key] = kept
        return kept[1]

    def forget(self, key: K) -> None:
        self._kept.pop(key, None)
