"""The knowledge store and the voice models, opened once per process and never on the GUI thread.

The store is the only one in the process (Chroma allows one client per folder), so the knowledge
tab and the calls share it. The bundled sample knowledge base is ingested on first run, with
progress reported to the caller.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

from earpiece.core.engine.factory import build_voice_stack, freeze_heap, open_retriever, warm_up
from earpiece.core.engine.session import VoiceStack
from earpiece.core.knowledge import (
    KnowledgeError,
    KnowledgeRetriever,
    KnowledgeStore,
    Progress,
    ensure_sample_kb,
)
from earpiece.core.settings import Settings, SettingsStore

log = logging.getLogger(__name__)


class VoiceModels:
    def __init__(self, settings_store: SettingsStore,
                 store_opened: Callable[[KnowledgeStore], None] | None = None) -> None:
        """`store_opened`: told of the store once it is open and the sample is in (at start, or
        later when a call opens it after a failed start), on the loop's thread."""
        self.settings_store = settings_store
        self.store_opened = store_opened
        self.store: KnowledgeStore | None = None
        self.retrievers: dict[str, KnowledgeRetriever] = {}  # by knowledge base
        self._quitting = threading.Event()  # stops the first-run sample ingest, so quitting is quick

    @property
    def settings(self) -> Settings:
        """The settings in use: a call's stack is built with those of the moment it starts."""
        return self.settings_store.current

    async def open_store(self, progress: Callable[[Progress], None] | None = None) -> KnowledgeStore:
        """Open the store; on first run ingest the sample knowledge base (progress from a worker thread)."""
        opened = self.store is None
        if self.store is None:
            self.store = await asyncio.to_thread(KnowledgeStore, settings=self.settings.knowledge)
        try:
            await asyncio.to_thread(ensure_sample_kb, self.store, progress, self._quitting)
        except KnowledgeError as exc:
            log.error("%s", exc)
        if opened and self.store is not None and self.store_opened is not None:
            self.store_opened(self.store)
        return self.store

    async def load(self) -> VoiceStack:
        """Open the retriever and load the recogniser and voice (several seconds on 2 cores)."""
        stack = await self.new_stack()
        await warm_up(stack)
        freeze_heap()
        return stack

    async def retriever(self, kb_name: str = "") -> KnowledgeRetriever:
        """The retriever over a knowledge base ("" = the default), opened once; raises
        KnowledgeBaseNotFoundError naming the known ones."""
        name = kb_name or self.settings.knowledge.default_kb
        if name not in self.retrievers:
            store = await self.open_store()
            self.retrievers[name] = await asyncio.to_thread(open_retriever, store, self.settings, name)
        return self.retrievers[name]

    async def new_stack(self, kb_name: str = "") -> VoiceStack:
        """A stack for one call over its knowledge base (fallback chains keep per-call state; the
        models are shared)."""
        retriever = await self.retriever(kb_name)
        return await asyncio.to_thread(build_voice_stack, self.settings, retriever=retriever)

    def close(self) -> None:
        self._quitting.set()
        self.retrievers.clear()
        if self.store is not None:
            self.store.close()
            self.store = None
