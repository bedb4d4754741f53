"""Offline sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) with its own tokenizer.

Chroma's default embedding function downloads a model at first use; this one never does. Vectors
are mean-pooled over the attention mask and L2-normalised, so cosine similarity is a dot product.
The model's int8 weights are multiplied in int8 (see `int8_matmul.py`), about twice as fast as the
float32 that ONNX Runtime would otherwise make of them.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from tokenizers import Tokenizer

from earpiece.core.knowledge.int8_matmul import int8_matmul_model
from earpiece.core.models import embedding_model
from earpiece.core.settings import KnowledgeSettings

DIMENSIONS = 384
MAX_TOKENS = 256  # what all-MiniLM-L6-v2 was trained on; longer text is truncated
# One text per run: the int8 kernels quantize a run's input with one scale, so in a batch a passage's
# vector would depend on its neighbours; alone it is the vector a question of the same text gets.
# CPU per 50-token passage: 10.9 ms alone, 9.7 in batches of 8, 11.9 in batches of 32 (cache misses).
BATCH = 1
BACKGROUND_NICE = 10  # ingestion threads: a live call's threads (nice 0) get ~90 % of a shared core


class MiniLmEmbedder:
    """Text -> unit vectors. Thread-safe: ONNX Runtime sessions may be run concurrently."""

    def __init__(self, model_path: Path, tokenizer_path: Path, *, threads: int = 1) -> None:
        # One thread: on a busy 2-core machine (STT and TTS run alongside) more threads spin and
        # measured slower (27 vs 48 ms per passage under load); a question still embeds in ~3-5 ms.
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            int8_matmul_model(model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.enable_padding()
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._lock = threading.Lock()  # the tokenizer's padding/truncation state is shared

    @classmethod
    def from_settings(cls, knowledge: KnowledgeSettings) -> MiniLmEmbedder:
        """The process-wide embedder for these model files (loaded once, ~0.3 s)."""
        onnx, tokenizer = embedding_model(knowledge).files
        return _shared(onnx, tokenizer)

    def embed(self, texts: Sequence[str], pool: Executor | None = None) -> np.ndarray:
        """A (len(texts), 384) float32 array of unit vectors.

        Texts are embedded in batches of similar length (each padded to its longest, not to 256);
        with a `pool` (see `background_pool`) the batches run on its threads side by side: one
        session runs concurrently, each run single-threaded on the thread that calls it.
        """
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        batches = [[texts[i] for i in order[start : start + BATCH]] for start in range(0, len(texts), BATCH)]
        if pool is None:
            parts = [self._embed_batch(batch) for batch in batches]
        else:
            parts = list(pool.map(self._embed_batch, batches))
        vectors = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        vectors[order] = np.concatenate(parts)
        return vectors

    def _embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            encodings = self._tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        (hidden,) = self._session.run(
            ["last_hidden_state"], {k: v for k, v in feeds.items() if k in self._inputs}
        )
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


def background_pool() -> ThreadPoolExecutor:
    """Threads for bulk embedding (ingestion), one per core, each at a lower CPU priority: with no call
    running ingestion uses every core; during a call, its speech recognition and synthesis (nice 0)
    take the cores first, without the call engine and ingestion having to coordinate."""
    return ThreadPoolExecutor(min(os.cpu_count() or 1, 4), thread_name_prefix="embed",
                              initializer=lower_priority)


def lower_priority() -> None:
    """Run the calling thread at nice `BACKGROUND_NICE`. On Linux a thread's nice value is its own
    (setpriority with the thread id), and the threads it starts inherit it."""
    os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)


_SHARED_LOCK = threading.Lock()


def _shared(onnx: Path, tokenizer: Path) -> MiniLmEmbedder:
    """One embedder per model: two threads asking first at the same time load it once."""
    with _SHARED_LOCK:
        return _loaded(onnx, tokenizer)


@functools.lru_cache(maxsize=4)
def _loaded(onnx: Path, tokenizer: Path) -> MiniLmEmbedder:
    return MiniLmEmbedder(onnx, tokenizer)


class MiniLmEmbeddingFunction(EmbeddingFunction[Documents]):
    """The embedder as a Chroma embedding function, so a collection never falls back to the default.

    Chroma rebuilds it from its config on every write (`build_from_config`), so that path must be
    cheap: without an embedder it resolves the shared one only when actually called.
    """

    def __init__(self, embedder: MiniLmEmbedder | None = None) -> None:
        self._embedder = embedder

    def __call__(self, input: Documents) -> Embeddings:
        embedder = self._embedder or MiniLmEmbedder.from_settings(KnowledgeSettings())
        return list(embedder.embed(list(input)))

    @staticmethod
    def name() -> str:
        return "earpiece-minilm-l6-v2-int8"

    def default_space(self) -> Any:
        return "cosine"

    def supported_spaces(self) -> list[Any]:
        return ["cosine"]

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLmEmbeddingFunction:
        return MiniLmEmbeddingFunction()
