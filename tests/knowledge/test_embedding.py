"""The embedder multiplies the model's int8 weights in int8, and its vectors stay those of the model."""

from __future__ import annotations

import onnx
import onnxruntime as ort
import pytest

from earpiece.core.knowledge.embedding import MiniLmEmbedder
from earpiece.core.knowledge.int8_matmul import int8_matmul_model
from earpiece.core.models import embedding_model
from earpiece.core.settings import KnowledgeSettings

pytestmark = pytest.mark.models

TEXTS = [
    "How long does a refund take? Refunds reach your card within 5 working days of the return.",
    "Opening hours: Monday to Friday 8am to 6pm, Saturday 9am to 1pm, closed on Sundays.",
    "The warranty covers parts and labour for two years from the date on the receipt.",
    "If the dishwasher shows error E24, clean the filter and check that the drain hose is not kinked.",
]


def test_every_int8_weight_multiply_runs_as_an_int8_kernel() -> None:
    model_path = embedding_model(KnowledgeSettings()).files[0]
    rewritten = onnx.load_from_string(int8_matmul_model(model_path))
    ops = [n.op_type for n in rewritten.graph.node]
    original = [n.op_type for n in onnx.load(str(model_path)).graph.node]
    # 6 layers x (query, key, value, attention output, feed-forward up); the feed-forward's
    # down-projection and attention's own products stay float
    assert ops.count("MatMulInteger") == 30
    assert ops.count("MatMul") == original.count("MatMul") - 30
    int8 = {i.name for i in rewritten.graph.initializer if i.data_type == onnx.TensorProto.INT8}
    dequantized = {n.output[0] for n in rewritten.graph.node if n.op_type == "Cast" and n.input[0] in int8}
    scaled = {n.output[0] for n in rewritten.graph.node if n.op_type == "Mul" and dequantized & {*n.input}}
    float_weights = [n for n in rewritten.graph.node if n.op_type == "MatMul" and scaled & {*n.input}]
    assert len(float_weights) == 6


def test_int8_vectors_match_the_float_run_of_the_same_weights(embedder: MiniLmEmbedder) -> None:
    model_path, tokenizer = embedding_model(KnowledgeSettings()).files
    float_run = MiniLmEmbedder(model_path, tokenizer)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    float_run._session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
    cosines = (embedder.embed(TEXTS) * float_run.embed(TEXTS)).sum(axis=1)
    assert cosines.min() > 0.99, cosines
    # ... and the int8 run still tells the texts apart the way the float run does
    same = embedder.embed(TEXTS) @ float_run.embed(TEXTS).T
    assert (same.argmax(axis=1) == range(len(TEXTS))).all()
