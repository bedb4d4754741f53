"""What the store and both readers share: a value per key kept until the knowledge base changes."""

from __future__ import annotations

from earpiece.core.knowledge.handle import GenerationCache, KnowledgeHandle


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


def test_without_a_generation_nothing_is_kept() -> None:
    """A served collection without the admin store's stamp cannot tell a change: read it each time."""
    cache: GenerationCache[str, int] = GenerationCache()
    counter = iter(range(3))
    assert [cache.get("kb", None, lambda: next(counter)) for _ in range(3)] == [0, 1, 2]


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
