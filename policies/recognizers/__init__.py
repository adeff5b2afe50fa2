"""The recognizer registry: every recognizer the engine can run, by name.

One explicit list, like mitmproxy's list of addons: reading it tells what the
gateway looks for. Each entry has a name (what a policy's ``recognizers:``
section switches), whether it runs by default, and how to build it. Presidio
recognizers that we replace (phone, email) are not offered under their old
implementation (cards, phone, email); the replacement keeps the familiar
name where it does the same job.

Defaults, and why:

* on: checksum-validated identifiers (cards, IBAN, national IDs), email,
  phone, SSN, IP, URL, crypto wallets, secrets, dates of birth, address parts,
  spaCy NER, the PII tagger (names, addresses) and the name gazetteer (rare
  names neither model knows; measured: +0.5 point name recall for +0.6
  point false alarms on PII-free prompts);
* off: ``DateRecognizer`` (DATE_TIME is allowed by the default policy, and
  spaCy already finds dates), ``UuidRecognizer`` and ``MacAddressRecognizer``
  (identify machines and objects, not people), ``UsLicenseRecognizer`` (its
  patterns match ordinary words and codes; it costs precision everywhere to
  find one US document).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from presidio_analyzer import EntityRecognizer
from presidio_analyzer.predefined_recognizers import (
    CryptoRecognizer,
    DateRecognizer,
    IbanRecognizer,
    IpRecognizer,
    MacAddressRecognizer,
    MedicalLicenseRecognizer,
    NhsRecognizer,
    SpacyRecognizer,
    UrlRecognizer,
    UsBankRecognizer,
    UsItinRecognizer,
    UsLicenseRecognizer,
    UsPassportRecognizer,
    UsSsnRecognizer,
    UuidRecognizer,
)

from policies.recognizers.address import AddressPartRecognizer
from policies.recognizers.birth_date import DateOfBirthRecognizer
from policies.recognizers.cards import CardNumberRecognizer
from policies.recognizers.email import OfflineEmailRecognizer
from policies.recognizers.names import NameGazetteerRecognizer
from policies.recognizers.national_ids import national_id_recognizers
from policies.recognizers.phone import PhoneNumberRecognizer
from policies.recognizers.pii_tagger import PiiTaggerRecognizer
from policies.recognizers.secrets import secret_recognizers

# The recognizer that reads spaCy's entities; with it off the engine runs
# spaCy's tokenizer only.
SPACY_RECOGNIZER = "SpacyRecognizer"


@dataclass(frozen=True, slots=True)
class BuildOptions:
    """What some recognizers need to be built: the NER's entity types, threads."""

    ner_entities: tuple[str, ...]
    tagger_threads: int = 1


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    enabled: bool
    build: Callable[[BuildOptions], EntityRecognizer]


def _fixed(name: str, enabled: bool, factory: Callable[[], EntityRecognizer]) -> Entry:
    return Entry(name, enabled, lambda _options: factory())


def catalog() -> list[Entry]:
    """Every recognizer on offer, in the order they run."""
    entries = [
        Entry(
            SPACY_RECOGNIZER,
            True,
            lambda o: SpacyRecognizer(supported_entities=list(o.ner_entities)),
        ),
        Entry(
            PiiTaggerRecognizer.NAME, True, lambda o: PiiTaggerRecognizer(threads=o.tagger_threads)
        ),
        _fixed(OfflineEmailRecognizer.NAME, True, OfflineEmailRecognizer),
        _fixed(PhoneNumberRecognizer.NAME, True, PhoneNumberRecognizer),
        _fixed(DateOfBirthRecognizer.NAME, True, DateOfBirthRecognizer),
        _fixed(AddressPartRecognizer.NAME, True, AddressPartRecognizer),
        _fixed(NameGazetteerRecognizer.NAME, True, NameGazetteerRecognizer),
        _fixed(CardNumberRecognizer.NAME, True, CardNumberRecognizer),
        _fixed("IbanRecognizer", True, IbanRecognizer),
        _fixed("UsSsnRecognizer", True, UsSsnRecognizer),
        _fixed("IpRecognizer", True, IpRecognizer),
        _fixed("UrlRecognizer", True, UrlRecognizer),
        _fixed("CryptoRecognizer", True, CryptoRecognizer),
        _fixed("UsItinRecognizer", True, UsItinRecognizer),
        _fixed("UsPassportRecognizer", True, UsPassportRecognizer),
        _fixed("UsBankRecognizer", True, UsBankRecognizer),
        _fixed("NhsRecognizer", True, NhsRecognizer),
        _fixed("MedicalLicenseRecognizer", True, MedicalLicenseRecognizer),
        _fixed("UsLicenseRecognizer", False, UsLicenseRecognizer),
        _fixed("DateRecognizer", False, DateRecognizer),
        _fixed("UuidRecognizer", False, UuidRecognizer),
        _fixed("MacAddressRecognizer", False, MacAddressRecognizer),
    ]
    return entries


# Recognizers handed over as ready instances, each switchable by its own name
# and on by default: EU/UK national identifiers and secrets.
GROUPS: tuple[Callable[[], list[EntityRecognizer]], ...] = (
    national_id_recognizers,
    secret_recognizers,
)


def name_of(recognizer: EntityRecognizer) -> str:
    """A recognizer's name (Presidio sets the attribute without a type)."""
    name: str = recognizer.name  # type: ignore[has-type]
    return name


def recognizer_names() -> frozenset[str]:
    fixed = {entry.name for entry in catalog()}
    return frozenset(fixed | {name_of(r) for group in GROUPS for r in group()})


def build_recognizers(
    switches: Mapping[str, bool], options: BuildOptions
) -> list[EntityRecognizer]:
    """Instances of every recognizer switched on; unknown names raise ``KeyError``."""
    entries = catalog()
    grouped = [r for group in GROUPS for r in group()]
    unknown = set(switches) - {e.name for e in entries} - {name_of(r) for r in grouped}
    if unknown:
        raise KeyError(", ".join(sorted(unknown)))
    built = [e.build(options) for e in entries if switches.get(e.name, e.enabled)]
    return built + [r for r in grouped if switches.get(name_of(r), True)]
