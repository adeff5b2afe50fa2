"""Where detection time goes: each stage alone, in CPU time per KB and per model token.

    bench/detection_stages.py --seed 1 --n 300

`bench/quality` says how fast the whole engine is; this says why. On the same
generated text (presidio-evaluator, as in `bench/quality`) it times, each on
its own and after a warm-up on other text:

- the rules: every recognizer that is not a model (patterns, checksums,
  phone numbers, the name gazetteer, address parts), with spaCy's tokenizer
  for their context words: the engine with both models switched off;
- spaCy's entity recognizer alone (`nlp.pipe`, NER only);
- the Rampart PII tagger alone, also per model token, since its cost grows
  with tokens, not characters;
- the whole default engine.

A throughput target can be checked against these figures before any tuning:
stages add up, so the whole engine can never be faster than its slowest
stage alone. It prints a table and asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

REPEATS = 3


def cpu_seconds(work: Callable[[], object]) -> float:
    """The least CPU time of a few runs: the stage's own cost, least disturbed."""
    best = float("inf")
    for _ in range(REPEATS):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--seed", type=int, default=1, help="generator seed (tuning seeds: 1-9)")
    parser.add_argument("--n", type=int, default=300, help="number of generated texts")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    os.environ.setdefault("TQDM_DISABLE", "1")

    from quality import SPACY_MODEL, WARM_UP_SEED_OFFSET, generate

    from policies.engine import Engine
    from policies.nlp import load_ner_pipeline
    from policies.recognizers import SPACY_RECOGNIZER
    from policies.recognizers.pii_tagger import PiiTaggerRecognizer
    from policies.settings import EngineSettings
    from policies.tagger import RampartTagger, default_model_dir

    texts = [s.text for s in generate(args.seed, args.n, 0.05)]
    warm_up = [s.text for s in generate(args.seed + WARM_UP_SEED_OFFSET, 50, 0.05)]
    kilobytes = sum(len(t.encode()) for t in texts) / 1000

    ner = load_ner_pipeline(SPACY_MODEL)
    tagger = RampartTagger(default_model_dir())
    models_off = ((SPACY_RECOGNIZER, False), (PiiTaggerRecognizer.NAME, False))
    rules = Engine.load(EngineSettings(spacy_model=SPACY_MODEL, recognizers=models_off))
    whole = Engine.load(EngineSettings(spacy_model=SPACY_MODEL))
    stages: list[tuple[str, Callable[[Sequence[str]], object]]] = [
        ("rules (no model)", rules.analyze),
        ("spaCy NER alone", lambda batch: list(ner.pipe(batch, batch_size=64))),
        ("PII tagger alone", tagger.tag_many),
        ("whole default engine", whole.analyze),
    ]
    tokens = tagger.count_tokens(texts)
    print(f"seed {args.seed}, {len(texts)} texts, {kilobytes:.1f} KB, "
          f"{tokens} tagger tokens ({kilobytes * 1000 / tokens:.2f} bytes per token)\n")
    print(f"{'stage':<24}{'CPU s':>8}{'KB per CPU-s':>14}{'us per token':>14}")
    for name, stage in stages:
        stage(warm_up)
        seconds = cpu_seconds(partial(stage, texts))
        print(f"{name:<24}{seconds:8.3f}{kilobytes / seconds:14.1f}"
              f"{seconds * 1e6 / tokens:14.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
