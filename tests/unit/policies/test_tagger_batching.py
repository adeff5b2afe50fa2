"""Batching the tagger: grouping and padding (pure), the int8 rewrite, batch == alone."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from hypothesis import given
from hypothesis import strategies as st
from onnx import helper, numpy_helper

from policies.recognizers.pii_tagger import PiiTaggerRecognizer
from policies.tagger import RampartTagger, default_model_dir
from policies.tagger_batching import pad_rows, plan_batches
from policies.tagger_model import UnsupportedGraph, int8_model, quantize_columns, unpack_4bit


def test_groups_are_sorted_by_length_and_bounded_in_rows() -> None:
    assert plan_batches([5, 1, 3, 2, 4], max_rows=2, max_tokens=100) == [[1, 3], [2, 4], [0]]


def test_groups_stop_growing_at_the_token_budget() -> None:
    # Padded size is rows x longest row: 3 x 4 = 12 > 10, so the third row starts a group.
    assert plan_batches([4, 4, 4], max_rows=8, max_tokens=10) == [[0, 1], [2]]


def test_a_row_over_the_budget_still_gets_a_group() -> None:
    assert plan_batches([50, 2], max_rows=8, max_tokens=10) == [[1], [0]]
    assert plan_batches([]) == []
    with pytest.raises(ValueError):
        plan_batches([1], max_rows=0)


@given(st.lists(st.integers(min_value=0, max_value=300), max_size=60),
       st.integers(min_value=1, max_value=10), st.integers(min_value=1, max_value=2000))
def test_every_row_is_planned_once_within_limits(
    lengths: list[int], rows: int, tokens: int
) -> None:
    groups = plan_batches(lengths, max_rows=rows, max_tokens=tokens)
    assert sorted(i for g in groups for i in g) == list(range(len(lengths)))
    for group in groups:
        assert len(group) <= rows
        assert len(group) == 1 or len(group) * max(lengths[i] for i in group) <= tokens


def test_rows_are_wrapped_and_padded_with_a_mask() -> None:
    ids, mask = pad_rows([[7, 8], [9]], first=1, last=2)
    assert ids.tolist() == [[1, 7, 8, 2], [1, 9, 2, 0]]
    assert mask.tolist() == [[1, 1, 1, 1], [1, 1, 1, 0]]
    assert ids.dtype == np.int64 and mask.dtype == np.int64


def test_four_bit_blocks_unpack_low_nibble_first_around_zero_point_8() -> None:
    # One column (n=1), k=4 in one block of 4: nibbles 9, 8 | 7, 15 -> values 1, 0, -1, 7.
    packed = np.array([[[0x89, 0xF7]]], dtype=np.uint8)
    weights = unpack_4bit(packed, np.array([0.5], np.float32), None, k=4, n=1, block_size=4)
    assert weights.shape == (4, 1)
    np.testing.assert_allclose(weights[:, 0], [0.5, 0.0, -0.5, 3.5])


def test_explicit_zero_points_and_padding_beyond_k() -> None:
    packed = np.array([[[0x21, 0x43]], [[0x00, 0x00]]], dtype=np.uint8)
    zero_points = np.array([0x01, 0x00], dtype=np.uint8)  # column 0 zero point 1, column 1: 0
    scales = np.array([1.0, 2.0], np.float32)
    weights = unpack_4bit(packed, scales, zero_points, k=3, n=2, block_size=4)
    assert weights.tolist() == [[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]]


@given(st.lists(st.floats(min_value=-4, max_value=4, width=32), min_size=6, max_size=6))
def test_int8_columns_round_within_half_a_step(values: list[float]) -> None:
    weights = np.array(values, dtype=np.float32).reshape(3, 2)
    quantized, scales = quantize_columns(weights)
    assert quantized.dtype == np.int8 and scales.shape == (2,)
    assert np.all(np.abs(quantized.astype(np.float32) * scales - weights) <= scales / 2 + 1e-6)


@pytest.fixture(scope="module")
def tagger() -> RampartTagger:
    return RampartTagger(default_model_dir())


@pytest.mark.slow
def test_a_batch_finds_what_each_text_finds_alone(tagger: RampartTagger) -> None:
    texts = [
        "hi, my name is john smith and I live at 221B Baker Street, London",
        "",
        "May Chen called yesterday.",
        "Please ask Ngozi Okonkwo about it. " + "Nothing else happened here. " * 60,
    ]
    batched = tagger.tag_many(texts)
    alone = [tagger.tag(text) for text in texts]
    # Exactly the same, scores included: findings depend on the text alone.
    for together, single in zip(batched, alone, strict=True):
        assert [(s.entity_type, s.start, s.end, s.score) for s in together] == [
            (s.entity_type, s.start, s.end, s.score) for s in single
        ]


@pytest.mark.slow
def test_the_int8_model_agrees_with_the_shipped_one(tagger: RampartTagger) -> None:
    shipped = RampartTagger(default_model_dir(), int8=False)
    text = "hi, my name is john smith and I live at 221B Baker Street, London"
    assert [(s.entity_type, s.start, s.end) for s in tagger.tag(text)] == [
        (s.entity_type, s.start, s.end) for s in shipped.tag(text)
    ]


@pytest.mark.slow
def test_the_recognizer_answers_from_its_batch_and_forgets_it_after() -> None:
    recognizer = PiiTaggerRecognizer()
    text = "May Chen called yesterday."
    alone = recognizer.analyze(text, ["PERSON"])
    with recognizer.batch([text, "Ask Ngozi Okonkwo."]):
        assert set(recognizer._tagged) == {text, "Ask Ngozi Okonkwo."}
        within = recognizer.analyze(text, ["PERSON"])
    assert recognizer._tagged == {}
    assert [(r.entity_type, r.start, r.end) for r in within] == [
        (r.entity_type, r.start, r.end) for r in alone
    ] == [("PERSON", 0, 8)]


def _nbits_model(bits: int = 4) -> onnx.ModelProto:
    """A one-node graph ``y = x @ W`` with W (k=32, n=2) stored as MatMulNBits blocks."""
    rng = np.random.default_rng(7)
    packed = rng.integers(0, 256, size=(2, 1, 16), dtype=np.uint8)
    scales = np.array([0.1, 0.2], dtype=np.float32)
    node = helper.make_node(
        "MatMulNBits", ["x", "w", "s"], ["y"], domain="com.microsoft",
        K=32, N=2, bits=bits, block_size=32,
    )
    graph = helper.make_graph(
        [node], "g",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [None, 32])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [None, 2])],
        [numpy_helper.from_array(packed, "w"), numpy_helper.from_array(scales, "s")],
    )
    return helper.make_model(graph, ir_version=10, opset_imports=[
        helper.make_opsetid("", 18), helper.make_opsetid("com.microsoft", 1)])


def test_the_rewritten_graph_computes_what_the_four_bit_one_does() -> None:
    model = _nbits_model()
    x = np.random.default_rng(1).normal(size=(3, 32)).astype(np.float32)
    shipped = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    rewritten = ort.InferenceSession(int8_model(model), providers=["CPUExecutionProvider"])
    assert [n.op_type for n in onnx.load_from_string(int8_model(model)).graph.node] == [
        "DynamicQuantizeMatMul"
    ]
    expected = shipped.run(None, {"x": x})[0]
    np.testing.assert_allclose(rewritten.run(None, {"x": x})[0], expected, atol=0.1)
    packed = numpy_helper.to_array(model.graph.initializer[0])
    weights = unpack_4bit(packed, np.array([0.1, 0.2], np.float32), None, 32, 2, 32)
    np.testing.assert_allclose(x @ weights, expected, rtol=1e-4, atol=1e-4)


def test_other_bit_widths_are_left_alone() -> None:
    with pytest.raises(UnsupportedGraph):
        int8_model(_nbits_model(bits=8))
