"""Normalisation of informal Indonesian (and some English) chat text for FAQ matching.

The same pipeline runs over the knowledge base and over what users type, so both meet in one
canonical form: lower case without punctuation or emoji, squeezed letters, chat abbreviations
expanded (``brp`` → ``berapa``), typos repaired against the knowledge base vocabulary, Indonesian
affixes stripped with Sastrawi (``pendaftaran`` → ``daftar``), synonyms merged (``gaji`` →
``honor``) and stop words dropped. The word lists are data (``bot/data/slang.yaml``), described
by :class:`Lexicon`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Protocol

from pydantic import BaseModel, ConfigDict, field_validator
from rapidfuzz import fuzz, process

#: A typo is repaired only when the closest known word is at least this similar
#: (``rapidfuzz.fuzz.ratio``, 0-100). 85 takes ``pendaftran`` → ``pendaftaran`` and
#: ``dokumn`` → ``dokumen`` but leaves ``beras`` alone (it is a dictionary word anyway).
REPAIR_CUTOFF = 85.0
#: Words shorter than this are never "repaired": short words are too easily turned into
#: another short word (``cpns`` → ``pns``).
REPAIR_MIN_LENGTH = 5
_REPAIR_CACHE_SIZE = 20_000

_SPACES = re.compile(r"\s+")
# Anything that is not a letter, digit or space becomes a space (punctuation, emoji, symbols).
_NON_WORD = re.compile(r"[^\w\s]|_")
# "langkah2", "tiba2": Indonesian reduplication written with a 2 after letters.
_REDUPLICATION = re.compile(r"\b([^\W\d_]{2,})2\b")
# Three or more of the same letter ("bangeeet", "kapaaan").
_REPEATED = re.compile(r"([^\W\d_])\1{2,}")
_DOUBLED = re.compile(r"([^\W\d_])\1")
_DIGITS = re.compile(r"^\d+$")
# Numbers are dropped (NIKs, phone numbers, years) except two-digit ones: ages ("umur 56").
_AGE = re.compile(r"^[1-9]\d$")


class Stemmer(Protocol):
    def stem(self, text: str) -> str: ...


class Lexicon(BaseModel):
    """Word lists for normalisation (``slang.yaml``); keys are in normalised form."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    phrases: dict[str, str] = {}
    slang: dict[str, str] = {}
    synonyms: dict[str, str] = {}
    stopwords: frozenset[str] = frozenset()
    #: Place names (provinces, kabupaten/kota, the kota's kecamatan and kelurahan): neutral
    #: words that never decide the topic, so they are dropped like stop words.
    places: frozenset[str] = frozenset()
    #: Whole messages that are greetings, thanks or tests, never questions ("halo", "test").
    chatter: frozenset[str] = frozenset()

    @field_validator("phrases", "slang", "synonyms", mode="before")
    @classmethod
    def _strings(cls, value: object) -> object:
        if isinstance(value, dict):
            return {
                basic_normalise(str(k)): "" if v is None else basic_normalise(str(v))
                for k, v in value.items()
            }
        return value

    @field_validator("stopwords", "places", "chatter", mode="before")
    @classmethod
    def _stopword_set(cls, value: object) -> object:
        if isinstance(value, list | tuple | set | frozenset):
            return frozenset(basic_normalise(str(word)) for word in value)
        return value


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer:
    """Sastrawi's stemmer; building it reads a 30,000-word dictionary, so only once."""
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    stemmer: Stemmer = StemmerFactory().create_stemmer()
    return stemmer


@lru_cache(maxsize=1)
def root_words() -> frozenset[str]:
    """Sastrawi's dictionary of Indonesian root words (kata dasar)."""
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return frozenset(word for word in StemmerFactory().get_words() if word)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Sastrawi stem of one lower-case word; digits and short words are kept as they are."""
    if len(word) <= 3 or not word.isalpha():
        return word
    return _stemmer().stem(word) or word


def basic_normalise(text: str) -> str:
    """Case-fold, drop accents, punctuation and emoji, squeeze letters repeated 3+ times.

    >>> basic_normalise("Gajinya BERAPAAA sih?? 😅")
    'gajinya berapa sih'
    """
    folded = unicodedata.normalize("NFKD", text).casefold()
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    folded = _NON_WORD.sub(" ", folded)
    folded = _REDUPLICATION.sub(r"\1", folded)
    folded = _REPEATED.sub(r"\1", folded)
    return _SPACES.sub(" ", folded).strip()


class TextNormaliser:
    """Turns text into canonical tokens with one lexicon and one vocabulary.

    ``vocabulary`` holds the words of the knowledge base after slang expansion (the forms typos
    are repaired to). Without it no typo repair is done, which is how the knowledge base itself
    is normalised.
    """

    def __init__(self, lexicon: Lexicon, vocabulary: Iterable[str] = ()) -> None:
        self.lexicon = lexicon
        self._vocabulary = sorted(set(vocabulary))
        self._known_surface = set(self._vocabulary) | set(lexicon.slang) | set(lexicon.stopwords)
        self._known_stems = {stem(word) for word in self._vocabulary}
        # One alternation for all phrases, longest first, so "hari pemungutan suara" wins
        # over "pemungutan suara".
        keys = sorted(lexicon.phrases, key=len, reverse=True)
        self._phrases = (
            re.compile(r"\b(?:" + "|".join(re.escape(key) for key in keys) + r")\b")
            if keys
            else None
        )
        self._repair_cache: dict[str, str] = {}

    # -- steps ---------------------------------------------------------------------------

    def _known(self, word: str) -> bool:
        if word in self._known_surface:
            return True
        root = stem(word)
        return root in self._known_stems or root in root_words()

    def _slang(self, word: str) -> str:
        """Expand chat spelling; an unknown word may be a doubled letter, a typo or carry "-nya"."""
        slang = self.lexicon.slang
        if word in slang:
            return slang[word]
        if word in self._known_surface:
            return word
        if _DOUBLED.search(word):
            single = _DOUBLED.sub(r"\1", word)
            if single in slang:
                return slang[single]
            if single in self._known_surface or (not self._known(word) and self._known(single)):
                return single
        if word.endswith("nya") and len(word) > 5:
            base = word[:-3]
            if base in slang:
                return slang[base]
            if base in self._known_surface or stem(base) in root_words():
                return base
        repaired = self._repair(word)
        return slang.get(repaired, repaired)

    def surface(self, text: str, *, phrases: bool = True) -> list[str]:
        """Words after slang expansion, typo repair and phrase merging, before stemming."""
        joined = basic_normalise(text)
        if phrases:  # before slang too, so "terima kasih" is seen before "kasih" → "beri"
            joined = self._merge_phrases(joined)
        words = [self._slang(word) for word in joined.split()]
        joined = " ".join(word for word in words if word)
        if phrases:
            joined = self._merge_phrases(joined)
        return joined.split()

    def _merge_phrases(self, text: str) -> str:
        if self._phrases is None:
            return text
        phrases = self.lexicon.phrases
        return self._phrases.sub(lambda found: phrases[found.group(0)], text)

    def _repair(self, word: str) -> str:
        """The closest knowledge-base word for a typo, or the word itself."""
        if (
            not self._vocabulary
            or len(word) < REPAIR_MIN_LENGTH
            or not word.isalpha()
            or self._known(word)
        ):
            return word
        if word not in self._repair_cache:
            if len(self._repair_cache) >= _REPAIR_CACHE_SIZE:  # user text is unbounded
                self._repair_cache.clear()
            best = process.extractOne(
                word, self._vocabulary, scorer=fuzz.ratio, score_cutoff=REPAIR_CUTOFF
            )
            self._repair_cache[word] = best[0] if best else word
        return self._repair_cache[word]

    def _informal_suffix(self, word: str) -> str:
        """Jakarta-style "-in" verbs: ``batalin`` → ``batal``, ``didaftarin`` → ``didaftar``."""
        if self._known(word) or len(word) < 6:
            return word
        base = word.removesuffix("nya")
        if base.endswith("in"):
            candidate = base[:-2]
            if stem(candidate) in root_words() or stem(candidate) in self._known_stems:
                return candidate
        return word

    def _canonical(self, word: str) -> str:
        synonyms = self.lexicon.synonyms
        if word in synonyms:
            return synonyms[word]
        root = stem(word)
        return synonyms.get(root, root)

    # -- public --------------------------------------------------------------------------

    def tokens(self, text: str) -> list[str]:
        """Canonical content tokens of ``text``, in order (numbers and stop words dropped)."""
        if basic_normalise(text) in self.lexicon.chatter:
            return []
        stopwords = self.lexicon.stopwords
        places = self.lexicon.places
        result: list[str] = []
        for word in self.surface(text):
            if (
                word in stopwords
                or word in places
                or (_DIGITS.match(word) and not _AGE.match(word))
            ):
                continue
            word = self._informal_suffix(word)
            for part in word.split():
                canonical = self._canonical(part)
                if canonical and canonical not in stopwords and part not in stopwords:
                    result.extend(canonical.split())
        return result

    def normalise(self, text: str) -> str:
        """The canonical tokens joined by spaces."""
        return " ".join(self.tokens(text))
