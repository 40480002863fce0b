"""Election questions that are not about KPPS recruitment (issue 9, point 8).

They are knowledge-base entries of category ``luar`` (out of scope) whose answers say politely
that this service does not handle them and where to go instead (domain.md §8). These tests
check the redirects, that they stay out of the topic menu, and that KPPS questions using the
same words (PPK, KTP, kampanye, TPS) still get their KPPS answer.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from handlers.faq import CATEGORIES, OUT_OF_SCOPE, FaqMatcher, KnowledgeBase, load_knowledge
from handlers.faq.knowledge import render_answer
from handlers.i18n import I18n
from handlers.period import Period, load_period

ROOT = Path(__file__).resolve().parent.parent
DEMO_PERIOD = ROOT / "bot" / "demo" / "period-demo.toml"
CATALOGUES = I18n.load()

#: Each redirect entry and where its answer must send people.
REDIRECTS = {
    "luar-dpt-tps": "cekdptonline.kpu.go.id",
    "luar-ktp": "Dukcapil",
    "luar-cpns": "sscasn.bkn.go.id",
    "luar-penyelenggara": "siakba.kpu.go.id",
    "luar-kampanye": "Bawaslu",
    "luar-hasil": "kpu.go.id",
}


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge()


@pytest.fixture(scope="module")
def matcher(kb: KnowledgeBase) -> FaqMatcher:
    return FaqMatcher(kb)


@pytest.fixture(scope="module")
def period() -> Period:
    return load_period(DEMO_PERIOD, date(2026, 11, 23))


def test_redirect_entries_say_where_to_go(kb: KnowledgeBase, period: Period) -> None:
    assert {entry.id for entry in kb.by_category(OUT_OF_SCOPE)} == set(REDIRECTS)
    assert OUT_OF_SCOPE not in CATEGORIES
    for entry_id, where in REDIRECTS.items():
        entry = kb[entry_id]
        assert entry.category == OUT_OF_SCOPE
        text_id = render_answer(entry, CATALOGUES.get("id"), period)
        text_en = render_answer(entry, CATALOGUES.get("en"), period)
        assert text_id.startswith("Maaf, itu di luar layanan ini"), entry_id
        assert text_en.startswith("Sorry, that is outside this service"), entry_id
        assert where in text_id and where in text_en, entry_id


@pytest.mark.parametrize(
    ("text", "entry_id"),
    [
        ("dimana cek dpt?", "luar-dpt-tps"),
        ("apakah saya terdaftar sebagai pemilih?", "luar-dpt-tps"),
        ("tps saya buat nyoblos dimana?", "luar-dpt-tps"),
        ("where do I vote?", "luar-dpt-tps"),
        ("ktp saya hilang, gimana?", "luar-ktp"),
        ("bagaimana cara daftar cpns?", "luar-cpns"),
        ("mau jadi anggota ppk", "luar-penyelenggara"),
        ("kapan jadwal kampanye?", "luar-kampanye"),
        ("kapan debat calon walikota?", "luar-kampanye"),
        ("hasil quick count?", "luar-hasil"),
        ("siapa pemenang pilwalkot?", "luar-hasil"),
        ("who won the election?", "luar-hasil"),
    ],
)
def test_election_questions_get_the_redirect(matcher: FaqMatcher, text: str, entry_id: str) -> None:
    found = matcher.match(text)
    assert found.confident and found.entry is not None, (text, found.candidates)
    assert found.entry.id == entry_id


@pytest.mark.parametrize(
    ("text", "entry_id"),
    [
        ("suami saya anggota ppk, boleh daftar kpps?", "pasangan-penyelenggara"),
        ("fotokopi ktp perlu berapa lembar?", "dokumen-persyaratan"),
        ("ktp saya luar kota, bisa daftar kpps?", "ktp-luar-daerah"),
        ("pernah jadi tim kampanye boleh daftar kpps?", "tim-sukses-saksi"),
        ("pppk boleh jadi kpps?", "asn-pns"),
        ("kapan hari pencoblosan?", "hari-pemungutan"),
        ("hasil seleksi kpps kapan diumumkan?", "pengumuman-hasil"),
    ],
)
def test_kpps_questions_with_the_same_words_are_not_redirected(
    matcher: FaqMatcher, text: str, entry_id: str
) -> None:
    found = matcher.match(text)
    assert found.confident and found.entry is not None and found.entry.id == entry_id, (
        text,
        found.candidates,
    )


@pytest.mark.parametrize(
    "text", ["siapa presiden indonesia?", "resep nasi goreng", "jadwal imsakiyah"]
)
def test_unrelated_questions_are_still_not_answered(matcher: FaqMatcher, text: str) -> None:
    assert not matcher.match(text).confident
