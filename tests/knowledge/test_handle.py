"""What the store and both readers share: a value per key kept until the knowledge base changes."""

from __future__ import annotations

from types import SimpleNamespace

from earpiece.core.knowledge.handle import GenerationCache, KnowledgeHandle
from earpiece.core.knowledge.index import GENERATION
from earpiece.core.knowledge.remote import collection_generation


def test_a_value_is_worked_out_once_per_generation_and_again_after_a_change() -> None:
    cache: GenerationCache[str, int] = GenerationCache()
    runs: list[str] = []

    def work_out(label: str) -> int:
        runs.append(label)
        return len(runs)

    assert cache.get("kb", 1, lambda: work_out("first")) == 1
    assert cache.get("kb", 1, lambda: work_out("again")) == 1  # kept
    assert cache.get("other", 1, lambda: work_out("other")) == 2  # per key
    assert cache.get("kb", 2, lambda: work_out("changed")) == 3  # the knowledge base changed
    cache.forget("kb")
    assert cache.get("kb", 2, lambda: work_out("forgotten")) == 4
    assert runs == ["first", "other", "changed", "forgotten"]


def test_a_served_collection_without_the_stores_stamp_is_read_again_each_time() -> None:
    """A collection the admin store never stamped cannot tell a change: its codes and words are
    worked out anew on each use; a stamped one's are kept until the stamp moves."""
    cache: GenerationCache[str, int] = GenerationCache()
    counter = iter(range(10))

    def reads(collection: SimpleNamespace) -> list[int]:
        return [cache.get("kb", collection_generation(collection), lambda: next(counter)) for _ in range(3)]

    assert reads(SimpleNamespace(metadata=None)) == [0, 1, 2]
    assert reads(SimpleNamespace(metadata={GENERATION: 7})) == [3, 3, 3]


def test_a_handle_is_closed_at_the_end_of_its_with_block_even_on_error() -> None:
    closed: list[bool] = []

    class Handle(KnowledgeHandle):
        def close(self) -> None:
            closed.append(True)

    try:
        with Handle(None, None) as handle:
            assert isinstance(handle, Handle)
            raise RuntimeError("the block fails")
    except RuntimeError:
        pass
    assert closed == [True]
