"""The tagger's ONNX graph, rewritten in memory for int8 matrix products.

Why: the Rampart model ships with 4-bit weights (``MatMulNBits``). On x86
ONNX Runtime unpacks those blocks and multiplies in fp32, which made the
tagger about 80% of detection time. The same weights, dequantised once at
load time and requantised per output column to int8, run through
``DynamicQuantizeMatMul`` (int8 kernels, VNNI where the CPU has it); measured
here: the tagger needs about a quarter of the CPU time, and name and address
recall on the tuning seeds is unchanged. Rounding 4-bit values scaled per
block of 32 to one int8 scale per column costs a little precision in the
weights; the activations are quantised per call by the operator itself.

Nothing is written to disk: the rewritten model is serialised to bytes and
handed to the session. A graph this module does not recognise (other bit
widths, group indexes, zero points in another form) is left as it is: the
original model is slower but right.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import onnx

FourBitBlocks = np.ndarray[Any, Any]

# MatMulNBits: A, B, scales, zero_points, g_idx, bias (the last three optional).
_ZERO_POINTS, _GROUP_INDEX, _BIAS = 3, 4, 5
_DEFAULT_ZERO_POINT = 8  # what MatMulNBits assumes for 4-bit weights without zero points


class UnsupportedGraph(Exception):
    """A ``MatMulNBits`` this rewrite does not handle; the model stays as shipped."""


def unpack_4bit(
    packed: FourBitBlocks,
    scales: np.ndarray[Any, Any],
    zero_points: np.ndarray[Any, Any] | None,
    k: int,
    n: int,
    block_size: int,
) -> np.ndarray[Any, Any]:
    """The fp32 weight matrix ``(k, n)`` that ``MatMulNBits`` multiplies by.

    ``packed`` is ``(n, blocks, block_size / 2)`` bytes, low nibble first;
    ``scales`` one per column and block; ``zero_points`` (if given) packed two
    per byte like the weights, one per column and block.
    """
    blocks = packed.shape[1]
    nibbles = np.stack([packed & 0x0F, packed >> 4], axis=-1).reshape(n, blocks, block_size)
    if zero_points is None:
        zero = np.full((n, blocks, 1), _DEFAULT_ZERO_POINT, dtype=np.float32)
    else:
        per_column = zero_points.reshape(n, -1)
        unpacked = np.stack([per_column & 0x0F, per_column >> 4], axis=-1).reshape(n, -1)
        zero = unpacked[:, :blocks, None].astype(np.float32)
    values = (nibbles.astype(np.float32) - zero) * scales.reshape(n, blocks, 1)
    weights: np.ndarray[Any, Any] = values.reshape(n, blocks * block_size)[:, :k].T
    return np.ascontiguousarray(weights, dtype=np.float32)


def quantize_columns(
    weights: np.ndarray[Any, Any],
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Symmetric int8 weights and one scale per column, so ``q * scale ~ weights``."""
    peak = np.abs(weights).max(axis=0).astype(np.float32)
    # The floor keeps a scale from underflowing to zero (an all-zero or
    # vanishingly small column), which would divide by zero below.
    scales = np.maximum(peak / np.float32(127.0), np.finfo(np.float32).tiny)
    quantized = np.clip(np.rint(weights / scales), -127, 127).astype(np.int8)
    return quantized, scales


def int8_model(model: onnx.ModelProto) -> bytes:
    """``model`` with every ``MatMulNBits`` replaced; ``UnsupportedGraph`` if impossible."""
    from onnx import helper, numpy_helper

    initializers = {t.name: t for t in model.graph.initializer}
    nodes: list[onnx.NodeProto] = []
    added: list[onnx.TensorProto] = []
    for node in model.graph.node:
        if node.op_type != "MatMulNBits":
            nodes.append(node)
            continue
        weights = _weights(node, initializers)
        quantized, scales = quantize_columns(weights)
        prefix = f"{node.name or node.output[0]}_int8"
        added += [
            numpy_helper.from_array(quantized, f"{prefix}_w"),
            numpy_helper.from_array(scales, f"{prefix}_scale"),
            numpy_helper.from_array(np.zeros(scales.shape, np.int8), f"{prefix}_zero"),
        ]
        inputs = [node.input[0], f"{prefix}_w", f"{prefix}_scale", f"{prefix}_zero"]
        if len(node.input) > _BIAS and node.input[_BIAS]:
            inputs.append(node.input[_BIAS])
        nodes.append(helper.make_node(
            "DynamicQuantizeMatMul", inputs, list(node.output), name=prefix,
            domain="com.microsoft",
        ))
    rewritten = type(model)()
    rewritten.CopyFrom(model)
    del rewritten.graph.node[:]
    rewritten.graph.node.extend(nodes)
    used = {name for node in nodes for name in node.input}
    kept = [t for t in rewritten.graph.initializer if t.name in used]
    del rewritten.graph.initializer[:]
    rewritten.graph.initializer.extend(kept + added)
    data: bytes = rewritten.SerializeToString()
    return data


def _weights(
    node: onnx.NodeProto, initializers: dict[str, onnx.TensorProto]
) -> np.ndarray[Any, Any]:
    from onnx import helper, numpy_helper

    attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    if attributes.get("bits", 4) != 4:
        raise UnsupportedGraph("only 4-bit weights are rewritten")
    if len(node.input) > _GROUP_INDEX and node.input[_GROUP_INDEX]:
        raise UnsupportedGraph("group indexes are not rewritten")
    try:
        packed = numpy_helper.to_array(initializers[node.input[1]])
        scales = numpy_helper.to_array(initializers[node.input[2]])
        zero_points = None
        if len(node.input) > _ZERO_POINTS and node.input[_ZERO_POINTS]:
            zero_points = numpy_helper.to_array(initializers[node.input[_ZERO_POINTS]])
    except KeyError as exc:
        raise UnsupportedGraph("weights are not constants") from exc
    if packed.dtype != np.uint8 or (zero_points is not None and zero_points.dtype != np.uint8):
        raise UnsupportedGraph("unexpected weight or zero-point type")
    k, n, block = int(attributes["K"]), int(attributes["N"]), int(attributes["block_size"])
    return unpack_4bit(packed, scales, zero_points, k, n, block)
