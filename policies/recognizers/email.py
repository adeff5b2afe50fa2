"""Presidio's email recognizer, made to work without network access.

Presidio 2.2 validates an email's domain in ``EmailRecognizer.validate_result``
by calling the module-level ``tldextract.extract``. That default extractor
downloads the Public Suffix List on first use (a network call at run time,
which the gateway must never make) and writes a cache under ``~/.cache``. In
the installed Presidio this method is the only place tldextract is used, so it
is the one seam we patch: a subclass whose ``validate_result`` asks an
extractor built with ``suffix_list_urls=()`` (never fetch) and
``cache_dir=None`` (never touch the disk). tldextract then falls back to the
suffix-list snapshot bundled in its wheel. Each recognizer owns its extractor,
so nothing global is modified.

The extractor reads its snapshot lazily, on the first domain it checks;
that took about 0.15 s of CPU, paid by whichever request first contained an
email address. The recognizer checks one domain when built instead, so that
cost falls at start-up.
"""

from __future__ import annotations

import tldextract
from presidio_analyzer.predefined_recognizers import EmailRecognizer


def offline_tld_extractor() -> tldextract.TLDExtract:
    """A tldextract that only reads its bundled snapshot: no network, no disk."""
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's email patterns and context; domain check from the bundled snapshot."""

    NAME = "EmailRecognizer"

    def __init__(self) -> None:
        super().__init__(name=self.NAME)
        self._extract = offline_tld_extractor()
        self._extract("example.org")  # read the bundled suffix list now (see above)

    def validate_result(self, pattern_text: str) -> bool:
        return self._extract(pattern_text).fqdn != ""
