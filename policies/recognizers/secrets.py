"""Credentials in free text: API keys, tokens, private keys and passwords.

Why: developers paste failing code into prompts, keys included, and a key that
reaches the provider's logs is a leaked key. Three kinds of evidence, one entity
type (`SECRET`):

1. A vendor prefix (`sk-`, `AKIA`, `ghp_`, `xoxb-`, `sk_live_`, `AIza` ...) is proof
   on its own: score 1.0. Matching is case-sensitive, and the random part must
   hold a digit, so prose such as "sk-learn-style-pipelines" stays text.
2. Structure that can be checked: a JWT's header decodes to a JSON object with
   "alg"; a PEM block says PRIVATE KEY. Score 1.0.
3. The text says it is a secret: `password = ...`, `"api_key": "..."`,
   `Authorization: Bearer ...`, "my password is ...", the password in
   `postgres://user:password@host`, or a 40-character AWS
   secret key next to the words that name it. Only the value is reported, never
   the key name, so the model still sees what kind of field it was.

Tricky negatives kept as text: UUIDs and git SHAs (no prefix, no context; a SHA is
lower-case hex so it is never an AWS secret key), base64 image data (too long for
any fixed-length key, no prefix), "password reset" prose (no assignment), plain
words after "password:" in prose, placeholders (`<your key>`, `${API_KEY}`, `***`).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

import regex
from presidio_analyzer import (
    EntityRecognizer,
    LocalRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerResult,
)
from presidio_analyzer.nlp_engine import NlpArtifacts

ENTITY = "SECRET"
CASE_SENSITIVE = regex.DOTALL | regex.MULTILINE
_END = r"(?![A-Za-z0-9_-])"

PREFIXED_PATTERNS: tuple[tuple[str, str], ...] = (
    ("openai-style key", r"(?<![A-Za-z0-9_-])sk-(?:proj-|svcacct-|admin-|ant-)?[A-Za-z0-9_-]{20,}"),
    ("aws access key id", r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b"),
    ("github token", rf"\bgh[pousr]_[A-Za-z0-9]{{36,255}}{_END}"),
    ("github fine-grained token", rf"\bgithub_pat_[A-Za-z0-9_]{{22,255}}{_END}"),
    ("gitlab token", rf"\bglpat-[A-Za-z0-9_-]{{20,}}{_END}"),
    ("slack token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    ("slack webhook", r"hooks\.slack\.com/services/[A-Za-z0-9/]{20,}"),
    ("stripe secret key", rf"\b[rs]k_(?:live|test)_[A-Za-z0-9]{{16,}}{_END}"),
    ("stripe webhook secret", rf"\bwhsec_[A-Za-z0-9]{{24,}}{_END}"),
    ("google api key", rf"\bAIza[0-9A-Za-z_-]{{35}}{_END}"),
    ("hugging face token", rf"\bhf_[A-Za-z0-9]{{30,}}{_END}"),
    ("npm token", rf"\bnpm_[A-Za-z0-9]{{36}}{_END}"),
    ("sendgrid key", rf"\bSG\.[A-Za-z0-9_-]{{22}}\.[A-Za-z0-9_-]{{43}}{_END}"),
)


class _PrefilteredRecognizer(PatternRecognizer):
    """Searches all its patterns at once before Presidio runs them one by one: nearly
    every text holds no secret, and Presidio's per-pattern bookkeeping costs more
    than one combined search."""

    def __init__(self, name: str, patterns: list[Pattern]) -> None:
        self._any_re = regex.compile("|".join(f"(?:{p.regex})" for p in patterns), CASE_SENSITIVE)
        super().__init__(
            supported_entity=ENTITY,
            name=name,
            patterns=patterns,
            global_regex_flags=CASE_SENSITIVE,
        )

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        if not self._any_re.search(text):
            return []
        found: list[RecognizerResult] = super().analyze(text, entities, nlp_artifacts, regex_flags)
        return found


class PrefixedSecretRecognizer(_PrefilteredRecognizer):
    """Keys whose vendor prefix identifies them."""

    def __init__(self) -> None:
        patterns = [Pattern(name, rx, 1.0) for name, rx in PREFIXED_PATTERNS]
        super().__init__("PrefixedSecretRecognizer", patterns)

    def validate_result(self, pattern_text: str) -> bool:
        """Real keys are random, so they contain a digit; hyphenated prose does not."""
        return any(c.isdigit() for c in pattern_text) and any(c.isalpha() for c in pattern_text)


class JwtRecognizer(_PrefilteredRecognizer):
    """JSON Web Tokens: three base64url parts, the first a JSON header naming "alg"."""

    def __init__(self) -> None:
        rx = r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"
        super().__init__("JwtRecognizer", [Pattern("jwt", rx, 1.0)])

    def validate_result(self, pattern_text: str) -> bool:
        header = pattern_text.split(".", 1)[0]
        try:
            decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
        except (binascii.Error, ValueError):  # UnicodeDecodeError is a ValueError
            return False
        return isinstance(decoded, dict) and "alg" in decoded


class PemPrivateKeyRecognizer(_PrefilteredRecognizer):
    """PEM private keys, whole or cut off after the header (a truncated paste still
    carries most of the key material)."""

    def __init__(self) -> None:
        label = r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----"
        whole = label + r".*?-----END[A-Z0-9 ]*PRIVATE KEY-----"
        # Possessive base64 runs: no backtracking over a long key body.
        truncated = label + r"(?:\s*+(?:[A-Za-z-]+:[^\n]*+|[A-Za-z0-9+/=]{16,}+))*+"
        patterns = [Pattern("pem whole", whole, 1.0), Pattern("pem truncated", truncated, 1.0)]
        super().__init__("PemPrivateKeyRecognizer", patterns)


@dataclass(frozen=True, slots=True)
class _Rule:
    """A regex with a `value` group, and how much proof the value itself must give."""

    name: str
    pattern: regex.Pattern[str]
    score: float
    strict: bool  # True: prose, the value must look random unless quoted
    # Lower-case words one of which the text must contain for the rule to run at
    # all: a substring test is far cheaper than the regex, and most texts fail it.
    triggers: tuple[str, ...]


_KEYWORD = (
    r"(?:password|passwd|pwd|passphrase|secret|api[_-]?key|apikey|access[_-]?key"
    r"|private[_-]?key|secret[_-]?key|token|credentials?)"
)
_VALUE = r"(?P<value>\"[^\"\n]*\"|'[^'\n]*'|[^\s\"'`,;)}\]]+)"
_PLACEHOLDER = regex.compile(
    r"^(?:\*+|x{3,}|\.{3}|…|<[^>]*>|\[[^\]]*\]|\$\{?\w+\}?|%\(?\w+\)?s?|\{\{.*\}\}|\{\w*\}"
    r"|null|none|nil|true|false|undefined|example|redacted|hidden|your[_ -]?\w*)$",
    regex.IGNORECASE,
)
_IDENTIFIER = regex.compile(r"^[A-Za-z_$][A-Za-z0-9_.$]*$")
_KEYWORD_STEM = regex.compile(r"pass|pwd|secret|key|token|cred", regex.IGNORECASE)
_TRIGGERS = ("pass", "pwd", "secret", "key", "token", "credential")
_AWS_CONTEXT = regex.compile(r"\baws|secret[ _-]?(?:access[ _-]?)?key", regex.IGNORECASE)


def _rules() -> tuple[_Rule, ...]:
    flags = regex.IGNORECASE | regex.MULTILINE
    assignment = (
        rf"(?<![A-Za-z0-9])[A-Za-z0-9_.-]*?{_KEYWORD}[\"']?[ \t]*(?P<op>:=|=>|=|:)"
        rf"(?P<space>[ \t]*){_VALUE}"
    )
    said = (
        r"(?<![A-Za-z0-9])(?:password|passwd|passcode|passphrase|pwd|api key|secret key"
        rf"|access key|token)[ \t]+(?:is|was)[ \t]*:?[ \t]+{_VALUE}"
    )
    scheme = r"\b(?:Bearer|Basic|Token)[ \t]+(?P<value>[A-Za-z0-9._~+/-]{16,}=*)"
    aws = r"(?<![A-Za-z0-9/+=])(?P<value>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
    url_password = r"\b[a-z][a-z0-9+.-]*://[^\s/:@]+:(?P<value>[^\s/@]+)@"
    return (
        _Rule("assignment", regex.compile(assignment, flags), 0.85, False, _TRIGGERS),
        _Rule("said", regex.compile(said, flags), 0.8, True, _TRIGGERS),
        _Rule("auth scheme", regex.compile(scheme), 0.9, True, ("bearer", "basic", "token")),
        _Rule("aws secret key", regex.compile(aws), 0.9, True, ("aws", "secret")),
        _Rule("url password", regex.compile(url_password, regex.I), 0.9, False, ("://",)),
    )


def _looks_random(value: str) -> bool:
    """A plain word ("reset", "incorrect") is prose; a secret mixes classes of characters."""
    inner = value[1:]
    return len(value) >= 6 and (
        any(c.isdigit() for c in value)
        or any(not c.isalnum() for c in value)
        or (any(c.isupper() for c in inner) and any(c.islower() for c in inner))
    )


class AssignedSecretRecognizer(LocalRecognizer):
    """Values the surrounding text declares to be secrets (value span only)."""

    NAME = "AssignedSecretRecognizer"

    def __init__(self) -> None:
        self._rules = _rules()
        super().__init__(supported_entities=[ENTITY], name=self.NAME)

    def load(self) -> None:
        """Nothing to load: the rules are compiled in __init__."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results = []
        lowered = text.lower()
        for rule in self._rules:
            if not any(word in lowered for word in rule.triggers):
                continue
            for match in rule.pattern.finditer(text):
                span = self._accepted_span(rule, match, text)
                if span is not None:
                    results.append(self._result(rule, *span))
        return results

    def _accepted_span(
        self, rule: _Rule, match: regex.Match[str], text: str
    ) -> tuple[int, int] | None:
        start, end = match.span("value")
        value = text[start:end]
        quoted = len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'"
        strict = self._is_strict(rule, match, text)
        if quoted:
            start, end, value = start + 1, end - 1, value[1:-1]
        elif strict:  # prose: "my password is hunter2." ends a sentence ("!" is kept:
            value = value.rstrip(".,?:")  # common in passwords, rare after one)
            end = start + len(value)
        elif text[match.start() - 1 : match.start()] in ("?", "&"):  # URL query: next param
            value = value.split("&", 1)[0]
            end = start + len(value)
        if len(value) < 3 or _PLACEHOLDER.match(value):
            return None
        if rule.name == "aws secret key":
            ok = self._is_aws_secret(value, text[max(0, start - 80) : start])
        elif quoted:
            ok = True
        elif not strict:
            ok = len(value) >= 4 and not self._is_reference(value)
        else:
            ok = _looks_random(value) and not self._is_reference(value)
        return (start, end) if ok else None

    @staticmethod
    def _is_strict(rule: _Rule, match: regex.Match[str], text: str) -> bool:
        """Code and config (`password=x`, `password:x`, a YAML line `password: x`) are
        loose; a colon inside a sentence ("Password: reset it here", "the secret:
        patience") is prose, and there the value must look random."""
        if rule.strict or rule.name != "assignment":
            return rule.strict
        if match.group("op") != ":" or not match.group("space"):
            return False
        line_start = text.rfind("\n", 0, match.start()) + 1
        line_end = text.find("\n", match.end())
        before = text[line_start : match.start()]
        after = text[match.end() : line_end if line_end >= 0 else len(text)]
        return bool(before.strip(" \t-#'\"") or after.strip())

    @staticmethod
    def _is_reference(value: str) -> bool:
        """`password=self.password`, `api_key=os.getenv(...)`, `token=API_TOKEN`: code
        naming a value, not the value. A bare lower-case word ("secret") is a value."""
        if "(" in value:
            return True
        named = any(c in value for c in "._$") or value.isupper()
        return named and bool(_IDENTIFIER.match(value)) and bool(_KEYWORD_STEM.search(value))

    @staticmethod
    def _is_aws_secret(value: str, before: str) -> bool:
        mixed = (
            any(c.isdigit() for c in value)
            and any(c.isupper() for c in value)
            and any(c.islower() for c in value)
        )
        return mixed and _AWS_CONTEXT.search(before) is not None

    def _result(self, rule: _Rule, start: int, end: int) -> RecognizerResult:
        return RecognizerResult(
            entity_type=ENTITY,
            start=start,
            end=end,
            score=rule.score,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self.NAME,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY: True,
            },
        )


def secret_recognizers() -> list[EntityRecognizer]:
    """Fresh instances; Presidio caches compiled patterns on each one."""
    return [
        PrefixedSecretRecognizer(),
        JwtRecognizer(),
        PemPrivateKeyRecognizer(),
        AssignedSecretRecognizer(),
    ]
