"""gettext catalogues compiled in memory with Babel, and a per-user translator.

msgids are English with named placeholders; ``_`` translates and then formats. ``N_`` marks
a msgid for extraction where it is only translated later; ``C_`` is pgettext (context first).
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DOMAIN = "messages"
DEFAULT_LOCALE = "id"
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"


def N_(msgid: str) -> str:
    """Mark a msgid for extraction without translating it here."""
    return msgid


def NC_(context: str, msgid: str) -> str:
    """Mark a msgid with a context (pgettext) for extraction; translated later with ``C_``."""
    return msgid


def compile_catalogue(po_path: Path) -> gettext.GNUTranslations:
    """Read a .po file and compile it to an in-memory .mo catalogue."""
    with po_path.open("rb") as handle:
        catalogue = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalogue, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class Translator:
    """Translations for one language; formats placeholders after translating."""

    def __init__(self, locale: str, translations: gettext.NullTranslations) -> None:
        self.locale = locale
        self._translations = translations

    def _(self, msgid: str, **params: Any) -> str:
        text = self._translations.gettext(msgid)
        return text.format(**params) if params else text

    def C_(self, context: str, msgid: str, **params: Any) -> str:
        text = self._translations.pgettext(context, msgid)
        return text.format(**params) if params else text

    def n_(self, singular: str, plural: str, n: int, **params: Any) -> str:
        text = self._translations.ngettext(singular, plural, n)
        return text.format(n=n, **params)


class I18n:
    """All catalogues of the bot, loaded once at start."""

    def __init__(self, catalogues: Mapping[str, gettext.NullTranslations]) -> None:
        if DEFAULT_LOCALE not in catalogues:
            raise ValueError(f"no catalogue for the default locale {DEFAULT_LOCALE!r}")
        self._translators = {
            locale: Translator(locale, catalogue) for locale, catalogue in catalogues.items()
        }

    @classmethod
    def load(cls, locales_dir: Path = LOCALES_DIR) -> I18n:
        catalogues: dict[str, gettext.NullTranslations] = {}
        for po_path in sorted(locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
            catalogues[po_path.parent.parent.name] = compile_catalogue(po_path)
        return cls(catalogues)

    @property
    def locales(self) -> list[str]:
        return list(self._translators)

    def get(self, locale: str | None) -> Translator:
        if locale and locale in self._translators:
            return self._translators[locale]
        return self._translators[DEFAULT_LOCALE]
