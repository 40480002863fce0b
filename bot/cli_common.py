"""What the command line's modules share: the console, the admin's language, settings with
logging, and running a body with the app (a refusal to start printed, translated)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import typer
from rich.console import Console

from bot.app import App, StartRefused, build_app
from bot.logging_setup import setup_logging
from bot.settings import Settings, get_settings
from handlers.i18n import I18n, Translator

console = Console(stderr=True)
T = TypeVar("T")


def _t() -> Translator:
    """Messages for the KPU admin at the terminal, in the default language (Indonesian)."""
    return I18n.load().get(None)


def _settings() -> Settings:
    settings = get_settings()
    setup_logging(settings.log_level)
    return settings


def _run(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main``; a refusal to start is printed, translated, and exits with status 1."""
    try:
        return asyncio.run(main)
    except StartRefused as refusal:
        console.print(_t()._(refusal.msgid, **refusal.params), markup=False, highlight=False)
        raise typer.Exit(1) from None


async def _with_app(settings: Settings, body: Callable[[App], Awaitable[None]]) -> None:
    app = await build_app(settings)
    try:
        await body(app)
    finally:
        await app.close()
