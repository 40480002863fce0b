"""The FAQ knowledge base: data in a YAML file, validated at load, rendered per period.

The file (``bot/data/faq.yaml``) holds the entries; ``slang.yaml`` next to it holds the word
lists for matching (:class:`~handlers.faq.text.Lexicon`). Answers never contain the period's
dates or amounts: they use placeholders (:data:`PLACEHOLDERS`) that :func:`render_answer`
fills from :class:`~handlers.period.Period`. A placeholder that is not in the list stops the
file from loading with an error that names the entry and the field.

:class:`KnowledgeStore` keeps the current knowledge base and reloads it when a file changes, so
the KPU can edit the answers without restarting the bot.
"""

from __future__ import annotations

import logging
import re
import string
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from babel.dates import format_date
from babel.numbers import format_decimal
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from handlers.faq.text import Lexicon
from handlers.i18n import N_, Translator
from handlers.period import Period, Stage

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent.parent.parent / "bot" / "data"
DEFAULT_FAQ_PATH = DATA_DIR / "faq.yaml"
SLANG_FILE_NAME = "slang.yaml"

LOCALES = ("id", "en")
DEFAULT_LOCALE = "id"
#: The categories of the topic menu (/tanya), in menu order.
CATEGORIES = ("syarat", "dokumen", "jadwal", "honor", "seleksi", "data")
#: Questions that are not about KPPS recruitment (where to vote, KTP-el, CPNS, other election
#: bodies, campaigns, results): their answers say politely where to go instead. They are
#: matched like every entry but are in no menu.
OUT_OF_SCOPE = "luar"
ALL_CATEGORIES = (*CATEGORIES, OUT_OF_SCOPE)
Category = Literal["syarat", "dokumen", "jadwal", "honor", "seleksi", "data", "luar"]
#: Category names for menus, per locale.
#: Button labels stay within WhatsApp's 20-character limit for reply buttons.
LABEL_MAX = 20

#: Every placeholder an answer or question may use, with what it becomes.
PLACEHOLDERS: dict[str, str] = {
    "period_name": "the period's name (Period.name)",
    "controller": "the data controller (Period.controller)",
    "contact": "where to ask (Period.contact)",
    "kabkota_name": "the kabupaten/kota, e.g. Kota Kendari (Period.kabkota_name)",
    "age_min": "minimum age on polling day (Period.age_min)",
    "age_preferred_max": "preferred maximum age (Period.age_preferred_max)",
    "retention_months": "months the application data is kept (Period.retention_months)",
    "polling_day": "polling day as a long date",
    "registration_open": "first day of registration as a long date",
    "registration_close": "last day of registration as a long date",
    "registration_window": "registration_open – registration_close as a date range",
    "registration_status": "a sentence: registration is open until …/opens on …/closed on …",
    **{
        f"stage_{stage.value}": f"the dates of the stage '{stage.value}' as a range"
        for stage in Stage
    },
    "honorarium_ketua": "KPPS chair's honorarium per month, e.g. Rp900.000",
    "honorarium_anggota": "KPPS member's honorarium per month",
    "honorarium_satlinmas": "TPS security officer's honorarium per month",
    "kpps_needed": "number of KPPS members needed (Period.kpps_needed)",
    "tps_count": "number of TPS (Period.tps_count)",
    "kelurahan_count": "number of kelurahan/desa (Period.kelurahan_count)",
    "kecamatan_count": "number of kecamatan (Period.kecamatan_count)",
}

#: Fixed texts of the renderer, per locale (the knowledge base holds everything else).
# Fixed texts used when filling answers: msgids translated with the bot's catalogues.
MISSING = N_("(not set yet; please ask the PPS)")  # a value the period file does not have
THIS_AREA = N_("this area")  # {kabkota_name} in a question when the period file has none
REGISTRATION_STATUS = {
    "not_open": N_("Registration is not open yet; it opens on {open}."),
    "open": N_("Registration is open now, until {close}."),
    "closed": N_("Registration closed on {close}."),
}


_ID = r"^[a-z0-9][a-z0-9-]{1,39}$"  # ≤ 40 chars: fits in 64-byte callback data
# libyaml's safe loader when PyYAML was built with it (about ten times faster).
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class KnowledgeError(ValueError):
    """The knowledge base file cannot be used; the message says where and why."""


class Localised(BaseModel):
    """One text in each supported language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    en: str = Field(min_length=1)

    @field_validator("id", "en")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be empty")
        return value

    def get(self, locale: str | None) -> str:
        return self.en if locale == "en" else self.id


class FaqEntry(BaseModel):
    """One question and its answer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=_ID)
    category: Category
    label: Localised
    question: Localised
    answer: Localised
    answer_missing: Localised | None = None
    phrasings: list[str] = Field(min_length=1)
    keywords: list[str] = []
    source: str = Field(min_length=1)
    unconfirmed: bool = False

    @field_validator("phrasings", "keywords", mode="before")
    @classmethod
    def _no_blank(cls, values: Any) -> Any:
        if not isinstance(values, list):
            return values
        cleaned = [
            str(value).strip() if isinstance(value, str | int) else value for value in values
        ]
        if any(not value for value in cleaned):
            raise ValueError("contains an empty string")
        return cleaned

    @field_validator("label")
    @classmethod
    def _short_label(cls, value: Localised) -> Localised:
        for locale in LOCALES:
            text = value.get(locale)
            if len(text) > LABEL_MAX:
                raise ValueError(f"{locale} label {text!r} is longer than {LABEL_MAX} characters")
            if "{" in text or "}" in text:
                raise ValueError(f"{locale} label {text!r} must not contain placeholders")
        return value


class KnowledgeBase(BaseModel):
    """All entries plus the word lists used to match questions to them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = 1
    entries: list[FaqEntry] = Field(min_length=1)
    lexicon: Lexicon = Lexicon()
    _by_id: dict[str, FaqEntry] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: Any, /) -> None:
        self._by_id.update({entry.id: entry for entry in self.entries})

    def get(self, entry_id: str) -> FaqEntry | None:
        return self._by_id.get(entry_id)

    def __getitem__(self, entry_id: str) -> FaqEntry:
        return self._by_id[entry_id]

    def __len__(self) -> int:
        return len(self.entries)

    def by_category(self, category: str) -> list[FaqEntry]:
        return [entry for entry in self.entries if entry.category == category]


# -- placeholders ----------------------------------------------------------------------------


def placeholders_in(text: str) -> set[str]:
    """The placeholder names used in ``text``; raises ValueError on a malformed brace or a
    placeholder with an attribute, index, conversion or format spec."""
    names: set[str] = set()
    for _literal, field, spec, conversion in string.Formatter().parse(text):
        if field is None:
            continue
        if spec or conversion or not re.fullmatch(r"[a-z_][a-z0-9_]*", field):
            raise ValueError(f"placeholder {{{field}}} must be a plain name such as {{contact}}")
        names.add(field)
    return names


def _check_placeholders(entry: FaqEntry, position: int) -> None:
    texts: list[tuple[str, str]] = []
    for field in ("question", "answer", "answer_missing"):
        value = getattr(entry, field)
        if value is not None:
            texts += [(f"{field}.{locale}", value.get(locale)) for locale in LOCALES]
    for where, text in texts:
        try:
            names = placeholders_in(text)
        except ValueError as error:
            raise KnowledgeError(f"entry {entry.id!r} (#{position}) {where}: {error}") from None
        unknown = sorted(names - PLACEHOLDERS.keys())
        if unknown:
            raise KnowledgeError(
                f"entry {entry.id!r} (#{position}) {where} uses unknown placeholder(s) "
                + ", ".join(f"{{{name}}}" for name in unknown)
                + "; known placeholders: "
                + ", ".join(sorted(PLACEHOLDERS))
            )


def _long_date(value: date, locale: str) -> str:
    return format_date(value, format="long", locale=locale)


def date_range(start: date, end: date, locale: str) -> str:
    """``17–28 September 2024`` / ``September 17–28, 2024``; one date if start == end."""
    if start == end:
        return _long_date(start, locale)
    if locale in ("id", "en") and start.year == end.year:
        if locale == "id":
            head = (
                str(start.day)
                if start.month == end.month
                else format_date(start, "d MMMM", locale=locale)
            )
            sep = "–" if start.month == end.month else " – "
            return f"{head}{sep}{_long_date(end, locale)}"
        if start.month == end.month:
            return f"{format_date(start, 'MMMM d', locale=locale)}–{end.day}, {end.year}"
        return f"{format_date(start, 'MMMM d', locale=locale)} – {_long_date(end, locale)}"
    return f"{_long_date(start, locale)} – {_long_date(end, locale)}"


def _rupiah(amount: int | None, locale: str) -> str | None:
    return None if amount is None else f"Rp{format_decimal(amount, locale=locale)}"


def _number(value: int | None, locale: str) -> str | None:
    return None if value is None else format_decimal(value, locale=locale)


def _registration_status(period: Period, today: date, t: Translator) -> str:
    locale = _locale(t)
    if today < period.registration_open:
        state = "not_open"
    elif today > period.registration_close:
        state = "closed"
    else:
        state = "open"
    return t._(
        REGISTRATION_STATUS[state],
        open=_long_date(period.registration_open, locale),
        close=_long_date(period.registration_close, locale),
    )


def _locale(t: Translator) -> str:
    return t.locale if t.locale in LOCALES else DEFAULT_LOCALE


def placeholder_values(
    period: Period, t: Translator, today: date | None = None
) -> dict[str, str | None]:
    """Every placeholder's text for ``period`` in ``t``'s language; None where the period has no
    value.

    ``today`` (the period's local date) only matters for ``registration_status``; by default it
    is taken from the clock in the period's time zone.
    """
    locale = _locale(t)
    if today is None:
        today = period.local_today(datetime.now(UTC))
    values: dict[str, str | None] = {
        "period_name": period.name,
        "controller": period.controller,
        "contact": period.contact,
        "kabkota_name": period.kabkota_name,
        "age_min": str(period.age_min),
        "age_preferred_max": str(period.age_preferred_max),
        "retention_months": str(period.retention_months),
        "polling_day": _long_date(period.polling_day, locale),
        "registration_open": _long_date(period.registration_open, locale),
        "registration_close": _long_date(period.registration_close, locale),
        "registration_window": date_range(
            period.registration_open, period.registration_close, locale
        ),
        "registration_status": _registration_status(period, today, t),
        "honorarium_ketua": _rupiah(period.honorarium_ketua, locale),
        "honorarium_anggota": _rupiah(period.honorarium_anggota, locale),
        "honorarium_satlinmas": _rupiah(period.honorarium_satlinmas, locale),
        "kpps_needed": _number(period.kpps_needed, locale),
        "tps_count": _number(period.tps_count, locale),
        "kelurahan_count": _number(period.kelurahan_count, locale),
        "kecamatan_count": _number(period.kecamatan_count, locale),
    }
    for stage in Stage:
        dates = period.stage(stage)
        values[f"stage_{stage.value}"] = (
            None if dates is None else date_range(dates.start, dates.end, locale)
        )
    return values


def _fill(text: str, values: dict[str, str | None], t: Translator) -> str:
    missing = t._(MISSING)
    return text.format_map(
        {name: missing if value is None else value for name, value in values.items()}
    )


def render_answer(
    entry: FaqEntry, t: Translator, period: Period, *, today: date | None = None
) -> str:
    """The entry's answer in ``t``'s language ("id" for an unknown one) with the period's
    values.

    When a value the answer needs is missing from the period file, ``answer_missing`` is used
    if the entry has one; otherwise the gap reads "(belum ditetapkan; tanyakan ke PPS)".
    """
    locale = _locale(t)
    values = placeholder_values(period, t, today)
    text = entry.answer.get(locale)
    if entry.answer_missing is not None and any(
        values[name] is None for name in placeholders_in(text)
    ):
        text = entry.answer_missing.get(locale)
    return _fill(text, values, t)


def render_question(entry: FaqEntry, t: Translator, period: Period) -> str:
    """The entry's question in ``t``'s language with the period's values ({kabkota_name})."""
    locale = _locale(t)
    text = entry.question.get(locale)
    if not placeholders_in(text):
        return text
    values = placeholder_values(period, t)
    if period.kabkota_name is None:
        values["kabkota_name"] = t._(THIS_AREA)
    return _fill(text, values, t)


# -- loading ---------------------------------------------------------------------------------


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=_SafeLoader)
    except OSError as error:
        raise KnowledgeError(f"{path}: cannot read ({error.strerror or error})") from None
    except yaml.YAMLError as error:
        raise KnowledgeError(f"{path}: not valid YAML: {error}") from None


def _describe(error: ValidationError, raw: dict[str, Any]) -> str:
    lines = []
    for problem in error.errors()[:10]:
        loc = list(problem["loc"])
        where = ".".join(str(part) for part in loc)
        if len(loc) >= 2 and loc[0] == "entries" and isinstance(loc[1], int):
            entries = raw.get("entries") or []
            entry_id = entries[loc[1]].get("id") if loc[1] < len(entries) else None
            rest = ".".join(str(part) for part in loc[2:]) or "(entry)"
            where = f"entry {entry_id!r} (#{loc[1] + 1}) {rest}"
        lines.append(f"  {where}: {problem['msg']}")
    more = len(error.errors()) - 10
    if more > 0:
        lines.append(f"  … and {more} more")
    return "\n".join(lines)


def load_knowledge(path: Path = DEFAULT_FAQ_PATH, slang_path: Path | None = None) -> KnowledgeBase:
    """Read and validate the knowledge base and its word lists (``slang.yaml`` beside it).

    Raises :class:`KnowledgeError` with the file, the entry and the field on any problem.
    """
    path = Path(path)
    slang_path = Path(slang_path) if slang_path else path.with_name(SLANG_FILE_NAME)
    raw = _read_yaml(path)
    if not isinstance(raw, dict):
        raise KnowledgeError(f"{path}: expected a mapping with 'version' and 'entries'")
    lexicon_raw: Any = {}
    if slang_path.exists():
        lexicon_raw = _read_yaml(slang_path) or {}
        if not isinstance(lexicon_raw, dict):
            raise KnowledgeError(f"{slang_path}: expected a mapping")
    try:
        lexicon = Lexicon.model_validate(lexicon_raw)
    except ValidationError as error:
        raise KnowledgeError(f"{slang_path}: invalid word lists:\n{_describe(error, {})}") from None
    try:
        kb = KnowledgeBase.model_validate({**raw, "lexicon": lexicon})
    except ValidationError as error:
        raise KnowledgeError(f"{path}: invalid knowledge base:\n{_describe(error, raw)}") from None
    seen: dict[str, int] = {}
    for position, entry in enumerate(kb.entries, start=1):
        if entry.id in seen:
            raise KnowledgeError(
                f"{path}: entry id {entry.id!r} is used twice (#{seen[entry.id]} and #{position})"
            )
        seen[entry.id] = position
        try:
            _check_placeholders(entry, position)
        except KnowledgeError as error:
            raise KnowledgeError(f"{path}: {error}") from None
    return kb
