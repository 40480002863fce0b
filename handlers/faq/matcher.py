"""Match a free-text question to a knowledge base entry, and tell questions from answers.

Ranking (per entry, every score 0-100):

* ``fuzzy``: the best ``rapidfuzz`` similarity (:data:`SCORER`) between the normalised question
  and the entry's normalised phrasings (its questions in both languages and its ``phrasings``);
  found with ``rapidfuzz.process.extract`` over all phrasings at once.
* ``keywords``: the share of the question's information (IDF-weighted tokens) covered by the
  entry's keywords.
* ``coverage``: the share of the question's information covered by any word of the entry. A
  question full of words the knowledge base never uses ("harga beras") scores low everywhere,
  which is what keeps out-of-scope questions from being answered.

``score = (W_FUZZY·fuzzy + W_KEYWORDS·keywords + W_COVERAGE·coverage) · (1 - OOV_PENALTY·u)``
where ``u`` is the share of the question's information in words no entry uses (place names and
numbers do not count: they are dropped by the normaliser). The best entry is *confident* when
its score reaches :data:`CONFIDENT_SCORE` and leads the next entry by :data:`CONFIDENT_MARGIN`;
otherwise the caller says "I may not have understood" and offers :attr:`FaqMatch.candidates`
(up to three, each at least :data:`CANDIDATE_SCORE`). A match is never forced: ``entry`` is
None when not confident.

Tuning (``bench/bench_faq.py --tune`` prints the table): scorer and weights were chosen by a
grid search on the dev split of ``tests/data/faq_eval.yaml`` (even positions of ``items``;
token_sort_ratio beat WRatio, token_set_ratio and ratio, and the weights barely mattered
between 0.5 and 0.7 for ``fuzzy``). The highest out-of-scope score on dev was 50; 58 leaves a
safety gap of 8 points and still answers 94 % of the dev questions, and the 4-point margin
removes the one dev question answered with the wrong entry. The odd positions of ``items`` and
the ``fresh`` block are held out; ``tests/test_faq.py`` prints the numbers of every split.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process

from handlers.faq.knowledge import FaqEntry, KnowledgeBase
from handlers.faq.text import TextNormaliser

#: String similarity between a normalised question and a normalised phrasing.
SCORER: Callable[..., float] = fuzz.token_sort_ratio
#: Weights of the three signals (sum 1).
W_FUZZY = 0.6
W_KEYWORDS = 0.2
W_COVERAGE = 0.2
#: Share of the score lost per share of the question's information in words the knowledge
#: base never uses: ``score *= 1 - OOV_PENALTY * unknown_share``.
OOV_PENALTY = 0.5
#: A best score at or above this (and CONFIDENT_MARGIN ahead of the next entry) answers.
CONFIDENT_SCORE = 58.0
#: Lead over the second-best entry needed to answer without asking.
CONFIDENT_MARGIN = 4.0
#: Entries below this score are not offered as "did you mean" buttons.
CANDIDATE_SCORE = 30.0
#: How many entries are offered when not confident.
CANDIDATES = 3

_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


@dataclass(frozen=True)
class FaqMatch:
    """The outcome of matching one text.

    ``entry`` is the answer to give (None unless ``confident``); ``score`` is the best
    entry's score (0-100); ``candidates`` are up to three (entry, score) pairs, best first,
    to offer as buttons when not confident.
    """

    entry: FaqEntry | None
    score: float
    confident: bool
    candidates: list[tuple[FaqEntry, float]] = field(default_factory=list)

    @property
    def best(self) -> FaqEntry | None:
        """The best candidate whether or not it is confident."""
        return self.candidates[0][0] if self.candidates else None


class FaqMatcher:
    """Ranks the entries of one knowledge base for a question. Build once per knowledge base
    (a :class:`~handlers.faq.knowledge.KnowledgeStore` does this after each reload)."""

    def __init__(
        self,
        kb: KnowledgeBase,
        *,
        scorer: Callable[..., float] | None = None,
        weights: tuple[float, float, float] | None = None,
        confident_score: float | None = None,
        confident_margin: float | None = None,
        candidate_score: float | None = None,
        oov_penalty: float | None = None,
    ) -> None:
        self.kb = kb
        self.scorer = scorer or SCORER
        self.weights = weights or (W_FUZZY, W_KEYWORDS, W_COVERAGE)
        self.confident_score = CONFIDENT_SCORE if confident_score is None else confident_score
        self.confident_margin = CONFIDENT_MARGIN if confident_margin is None else confident_margin
        self.candidate_score = CANDIDATE_SCORE if candidate_score is None else candidate_score
        self.oov_penalty = OOV_PENALTY if oov_penalty is None else oov_penalty

        texts = {entry.id: _entry_texts(entry) for entry in kb.entries}
        plain = TextNormaliser(kb.lexicon)
        vocabulary = {
            word
            for entry in kb.entries
            for text in [*texts[entry.id], *entry.keywords]
            for merged in (True, False)
            for word in plain.surface(text, phrases=merged)
        }
        self.normaliser = TextNormaliser(kb.lexicon, vocabulary)

        self._entries = list(kb.entries)
        self._doc_strings: list[str] = []
        self._doc_entry: list[int] = []
        self._vocab: list[set[str]] = []
        self._keywords: list[list[tuple[str, ...]]] = []
        for index, entry in enumerate(self._entries):
            words: set[str] = set()
            for text in texts[entry.id]:
                tokens = plain.tokens(text)
                if tokens:
                    self._doc_strings.append(" ".join(tokens))
                    self._doc_entry.append(index)
                    words.update(tokens)
            keywords = []
            for keyword in entry.keywords:
                tokens = plain.tokens(keyword)
                if tokens:
                    keywords.append(tuple(dict.fromkeys(tokens)))
                    words.update(tokens)
            self._vocab.append(words)
            self._keywords.append(keywords)

        df = Counter(word for words in self._vocab for word in words)
        self._known = set(df)
        n = len(self._entries)
        self._idf = {word: math.log(1 + n / count) for word, count in df.items()}
        self._idf_unknown = math.log(1 + n / 0.5)

    # -- scoring -------------------------------------------------------------------------

    def idf(self, token: str) -> float:
        return self._idf.get(token, self._idf_unknown)

    def scores(self, text: str) -> list[tuple[FaqEntry, float]]:
        """Every entry with its score for ``text``, best first."""
        tokens = self.normaliser.tokens(text)
        if not tokens:
            return [(entry, 0.0) for entry in self._entries]
        query = " ".join(tokens)
        fuzzy = [0.0] * len(self._entries)
        for _choice, score, doc in process.extract(
            query, self._doc_strings, scorer=self.scorer, limit=None
        ):
            index = self._doc_entry[doc]
            fuzzy[index] = max(fuzzy[index], score)
        unique = set(tokens)
        mass = sum(self.idf(token) for token in unique)
        unknown = sum(self.idf(t) for t in unique - self._known if not t.isdigit()) / mass
        damping = 1 - self.oov_penalty * unknown
        w_fuzzy, w_keywords, w_coverage = self.weights
        result = []
        for index, entry in enumerate(self._entries):
            hit: set[str] = set()
            for keyword in self._keywords[index]:
                if all(token in unique for token in keyword):
                    hit.update(keyword)
            keywords = sum(self.idf(token) for token in hit) / mass
            covered = sum(self.idf(token) for token in unique & self._vocab[index]) / mass
            score = w_fuzzy * fuzzy[index] + 100 * (w_keywords * keywords + w_coverage * covered)
            score *= damping
            result.append((entry, round(score, 2)))
        result.sort(key=lambda pair: -pair[1])
        return result

    def match(self, text: str, locale: str = "id") -> FaqMatch:
        """The best entry for ``text`` if confident, and the closest candidates.

        ``locale`` is accepted for symmetry with the renderer; matching itself works on both
        languages at once (the knowledge base has Indonesian and English phrasings, and
        slang.yaml maps English domain words to Indonesian).
        """
        ranked = self.scores(text)
        best_score = ranked[0][1] if ranked else 0.0
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        confident = (
            best_score >= self.confident_score and best_score - second >= self.confident_margin
        )
        candidates = [pair for pair in ranked[:CANDIDATES] if pair[1] >= self.candidate_score]
        return FaqMatch(
            entry=ranked[0][0] if confident else None,
            score=best_score,
            confident=confident,
            candidates=candidates,
        )

    def is_question(self, text: str) -> bool:
        """:func:`is_question` with this knowledge base's slang list."""
        return is_question(text, self.normaliser)


def _entry_texts(entry: FaqEntry) -> list[str]:
    """The texts an entry is matched on: both questions (placeholders removed) and phrasings."""
    questions = [_PLACEHOLDER.sub(" ", entry.question.get(locale)) for locale in ("id", "en")]
    return [*questions, *entry.phrasings]


# -- questions versus answers ----------------------------------------------------------------

#: Words that make a message a question when it starts with one (after slang expansion).
QUESTION_WORDS = frozenset(
    {
        "apa", "apakah", "apaan", "berapa", "bagaimana", "kapan", "dimana", "mana", "kemana",
        "siapa", "kenapa", "mengapa", "bisa", "boleh", "bisakah", "bolehkah", "haruskah",
        "adakah", "tanya", "nanya", "bertanya", "info", "gimana", "cara", "syarat",
        "what", "how", "when", "where", "who", "why", "which", "can", "could", "is", "are",
        "do", "does", "should", "may", "will",
    }
)  # fmt: skip
#: Words that make a message of two words or more a question wherever they appear.
QUESTION_ANYWHERE = frozenset(
    {"apa", "apakah", "berapa", "bagaimana", "kapan", "dimana", "siapa", "kenapa", "mengapa",
     "bisakah", "bolehkah", "adakah", "haruskah", "kemana", "gimana"}
)  # fmt: skip
#: "bisa daftar ga", "boleh nggak": a permission word with a negation is a yes/no question.
_PERMISSION = frozenset({"bisa", "boleh", "harus", "wajib", "perlu", "ada", "dapat", "masih"})
_NEGATION = frozenset({"tidak", "belum"})
_ANSWER_WORDS = frozenset(
    {"ya", "iya", "yes", "y", "ok", "oke", "tidak", "no", "n", "bukan", "setuju", "benar",
     "salah", "belum", "sudah", "lanjut", "batal", "selesai"}
)  # fmt: skip
_DATE_OR_NUMBER = re.compile(r"^[\d\s./-]+$")
#: An answer that starts like an address ("Jl. Apa Saja 3") is not a question without a "?".
_ADDRESS_START = frozenset(
    {"jl", "jln", "jalan", "gg", "gang", "rt", "rw", "kel", "kelurahan", "kec", "kecamatan",
     "desa", "dusun", "blok", "komplek", "kompleks", "perumahan", "perum", "btn", "lrg", "lorong"}
)  # fmt: skip


def is_question(text: str, normaliser: TextNormaliser) -> bool:
    """Whether a message typed during a registration step is a question rather than an answer.

    Questions: a "?", a question word at the start ("berapa …", "kapan …", "bisa …"), a
    question word anywhere in a longer message ("nik saya … kapan pengumumannya"), or a
    permission word with a negation ("bisa daftar ga"). Not questions: names ("Budi
    Santoso"), dates, numbers, addresses ("Jl. Merdeka 5"), "ya"/"tidak", "SMA".
    """
    stripped = text.strip()
    if not stripped or _DATE_OR_NUMBER.match(stripped):
        return False
    words = normaliser.surface(stripped)
    if not words:
        return False
    if "?" in stripped:
        return not (len(words) == 1 and words[0] in _ANSWER_WORDS)
    if words[0] in _ADDRESS_START:
        return False
    if words[0] in QUESTION_WORDS and len(words) > 1:
        return True
    if len(words) > 1 and any(word in QUESTION_ANYWHERE for word in words):
        return True
    if any(word.endswith("kah") and len(word) > 5 for word in words):
        return True
    return any(
        word in _PERMISSION and any(later in _NEGATION for later in words[i + 1 :])
        for i, word in enumerate(words)
    )


def describe(match: FaqMatch) -> dict[str, Any]:
    """A compact dict for logs and reports (ids and scores only, never the user's text)."""
    return {
        "entry": match.entry.id if match.entry else None,
        "score": match.score,
        "confident": match.confident,
        "candidates": [(entry.id, score) for entry, score in match.candidates],
    }


# -- measurement -----------------------------------------------------------------------------


@dataclass
class EvalReport:
    """Accuracy of a matcher on labelled questions (``expect`` is an entry id or "none")."""

    in_scope: int = 0
    top1: int = 0
    top3: int = 0
    confident: int = 0
    confident_wrong: int = 0
    out_of_scope: int = 0
    out_of_scope_confident: int = 0
    misses: list[tuple[str, str, list[tuple[str, float]]]] = field(default_factory=list)

    @property
    def top1_rate(self) -> float:
        return self.top1 / self.in_scope if self.in_scope else 0.0

    @property
    def top3_rate(self) -> float:
        return self.top3 / self.in_scope if self.in_scope else 0.0

    @property
    def confident_rate(self) -> float:
        return self.confident / self.in_scope if self.in_scope else 0.0

    @property
    def out_of_scope_confident_rate(self) -> float:
        return self.out_of_scope_confident / self.out_of_scope if self.out_of_scope else 0.0

    def summary(self) -> str:
        return (
            f"top-1 {self.top1}/{self.in_scope} = {self.top1_rate:.1%}, "
            f"top-3 {self.top3}/{self.in_scope} = {self.top3_rate:.1%}, "
            f"confident {self.confident}/{self.in_scope} = {self.confident_rate:.1%} "
            f"({self.confident_wrong} of them wrong), "
            f"out-of-scope answered {self.out_of_scope_confident}/{self.out_of_scope} = "
            f"{self.out_of_scope_confident_rate:.1%}"
        )


def evaluate(matcher: FaqMatcher, items: Sequence[tuple[str, str]]) -> EvalReport:
    """Match every (question, expected id or "none") pair and count hits.

    Top-1 counts the best-ranked entry whether or not it is confident; top-3 looks at the
    three best-ranked entries (ignoring CANDIDATE_SCORE); a question is answered confidently
    when the matcher would answer without asking.
    """
    report = EvalReport()
    for text, expect in items:
        ranked = matcher.scores(text)
        found = matcher.match(text)
        top = [entry.id for entry, _score in ranked[:3]]
        if expect == "none":
            report.out_of_scope += 1
            if found.confident:
                report.out_of_scope_confident += 1
                report.misses.append((text, expect, [(e.id, s) for e, s in ranked[:3]]))
            continue
        report.in_scope += 1
        report.top1 += top[0] == expect
        report.top3 += expect in top
        if found.confident:
            report.confident += 1
            report.confident_wrong += top[0] != expect
        if top[0] != expect or not found.confident:
            report.misses.append((text, expect, [(e.id, s) for e, s in ranked[:3]]))
    return report
