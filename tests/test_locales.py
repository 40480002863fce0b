"""Every user-facing msgid is translated in Bahasa Indonesia, correctly and briefly enough."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from handlers.i18n import LOCALES_DIR, I18n

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "N_": None, "NC_": ((1, "c"), 2), "C_": ((1, "c"), 2), "n_": (1, 2)}
BUTTON_LIMIT = 20  # WhatsApp reply-button titles
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def load(locale: str) -> Catalog:
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


def used_msgids() -> set[tuple[str | None, str]]:
    found: set[tuple[str | None, str]] = set()
    for package in ("bot", "handlers", "storage"):
        for _file, _line, message, _comments, context in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            msgid = message[0] if isinstance(message, tuple) else message
            found.add((context, msgid))
    return found


def entries(catalog: Catalog) -> list[tuple[str | None, str, str, bool]]:
    rows = []
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        text = message.string if isinstance(message.string, str) else message.string[0]
        rows.append((message.context, msgid, text or "", message.fuzzy))
    return rows


def test_every_msgid_in_the_code_is_in_the_catalogues() -> None:
    used = used_msgids()
    assert len(used) > 100
    for locale in ("id", "en"):
        known = {(context, msgid) for context, msgid, _, _ in entries(load(locale))}
        missing = sorted(used - known, key=str)
        assert missing == [], f"{locale}: run pybabel extract/update ({len(missing)} missing)"


def test_indonesian_is_complete_and_not_fuzzy() -> None:
    problems = [
        (msgid, "fuzzy" if fuzzy else "untranslated")
        for _, msgid, text, fuzzy in entries(load("id"))
        if fuzzy or not text
    ]
    assert problems == []


@pytest.mark.parametrize("locale", ["id", "en"])
def test_placeholders_match(locale: str) -> None:
    wrong = [
        (msgid, text)
        for _, msgid, text, _ in entries(load(locale))
        if text and sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(text))
    ]
    assert wrong == []


@pytest.mark.parametrize("locale", ["id", "en"])
def test_button_labels_fit_whatsapp(locale: str) -> None:
    too_long = [
        (msgid, text or msgid)
        for context, msgid, text, _ in entries(load(locale))
        if context == "button" and len(text or msgid) > BUTTON_LIMIT
    ]
    assert too_long == []


def test_catalogues_compile_and_translate() -> None:
    i18n = I18n.load()
    assert set(i18n.locales) >= {"id", "en"}
    indonesian = i18n.get("id")
    assert indonesian.C_("button", "I agree") != "I agree"
    assert i18n.get("en").C_("button", "I agree") == "I agree"
    assert i18n.get("xx").locale == "id"  # unknown languages fall back to Indonesian


def test_the_checks_catch_a_broken_entry(tmp_path: Path) -> None:
    po = tmp_path / "messages.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        '#, fuzzy\nmsgid "Hello {name}"\nmsgstr "Halo {nama}"\n\n'
        'msgctxt "button"\nmsgid "Go"\nmsgstr "Lanjutkan ke langkah berikut"\n',
        encoding="utf-8",
    )
    with po.open("rb") as handle:
        rows = entries(read_po(handle))
    fuzzy = [r for r in rows if r[3]]
    assert fuzzy and PLACEHOLDER.findall(fuzzy[0][1]) != PLACEHOLDER.findall(fuzzy[0][2])
    assert any(r[0] == "button" and len(r[2]) > BUTTON_LIMIT for r in rows)


TRANSLATING_CALLS = {"_": 0, "N_": 0, "C_": 1, "NC_": 1, "n_": 0}


def msgids_by_ast() -> set[str]:
    """Literal msgids of every translating call, also those inside f-strings, which Babel's
    extractor does not see (a call there would reach users untranslated)."""
    import ast

    found: set[str] = set()
    for package in ("bot", "handlers", "storage"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                name = (
                    node.func.attr
                    if isinstance(node.func, ast.Attribute)
                    else getattr(node.func, "id", None)
                )
                index = TRANSLATING_CALLS.get(name or "")
                if index is None or len(node.args) <= index:
                    continue
                argument = node.args[index]
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    found.add(argument.value)
    return found


def test_every_literal_msgid_is_extracted() -> None:
    known = {msgid for _, msgid, _, _ in entries(load("id"))}
    missing = sorted(msgids_by_ast() - known)
    assert missing == []
