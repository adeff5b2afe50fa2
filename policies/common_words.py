"""Whether a word is a common English word (wordfreq's frequency lists, offline).

The gateway uses this to tell a person the scope once saw ("Will", "Mark")
from the everyday word ("will", "mark") when it finds that word again later
without the detector's support. Names are words too in wordfreq's counts, so
very common given names count as common: the detector, not this list, finds
those where they are names.
"""

from __future__ import annotations

from functools import lru_cache

from wordfreq import zipf_frequency

# Zipf 4.5 is about 30 uses per million words: "will", "mark", "hope", "smith"
# are above it; "maria", "keller", "lindqvist", "fairweather" below.
COMMON_ZIPF = 4.5


@lru_cache(maxsize=65536)
def is_common_word(word: str) -> bool:
    return zipf_frequency(word.lower(), "en") >= COMMON_ZIPF


def warm_up() -> None:
    """Load the frequency list now, not during the first request that needs it."""
    is_common_word("the")
