"""The console chat: the same flows in a terminal; buttons are numbered options."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TextIO

from handlers.engine import Engine
from handlers.messages import Attachment, Expect, Incoming, Kind, Reply

CHANNEL = "console"
FORMS_KEPT_SECONDS = 3600  # generated forms carry the full NIK: removed an hour later


def _reader(path: Path) -> Callable[[], Awaitable[bytes]]:
    async def read() -> bytes:
        return await asyncio.to_thread(path.read_bytes)

    return read


class ConsoleChannel:
    """Turns typed lines into Incoming messages and replies into numbered text."""

    def __init__(
        self, engine: Engine, chat_id: str = "local", download_dir: Path | None = None
    ) -> None:
        self.engine = engine
        self.chat_id = chat_id
        self.download_dir = download_dir or Path("data") / "console-files"

    @property
    def chat_dir(self) -> Path:
        """This chat's forms, apart from other chats' (the chat id as a safe folder name)."""
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in self.chat_id)[:64]
        return self.download_dir / (safe or "chat")

    def _drop_old_files(self) -> None:
        """Generated forms are kept only as long as someone needs to open them."""
        if not self.download_dir.exists():
            return
        limit = time.time() - FORMS_KEPT_SECONDS
        for path in self.download_dir.rglob("*.pdf"):
            try:
                if path.stat().st_mtime < limit:
                    path.unlink()
            except OSError:
                continue

    @staticmethod
    def _files(text: str) -> list[Path] | None:
        """A line naming existing files (several separated by ';') is an upload."""
        paths = [Path(part.strip()).expanduser() for part in text.split(";") if part.strip()]
        try:
            if paths and all(path.is_file() for path in paths):
                return paths
        except OSError:  # not a path at all (e.g. a name longer than the system allows)
            return None
        return None

    def to_incoming(self, line: str) -> Incoming:
        text = line.strip()
        files = self._files(text) if text else None
        if files:
            return Incoming(
                CHANNEL,
                self.chat_id,
                Kind.DOCUMENT,
                attachments=tuple(
                    Attachment(
                        fetch=_reader(path),
                        name=path.name,
                        size=path.stat().st_size,
                    )
                    for path in files
                ),
            )
        if text.startswith("/") and len(text) > 1:
            command, _, payload = text[1:].partition(" ")
            return Incoming(
                CHANNEL,
                self.chat_id,
                Kind.COMMAND,
                text=text,
                command=command.lower(),
                payload=payload.strip(),
            )
        # A typed number or label is matched to the options shown by the engine, as on every
        # channel: the console only shows the numbers.
        return Incoming(CHANNEL, self.chat_id, Kind.TEXT, text=line)

    def render(self, reply: Reply | None) -> str:
        if reply is None:
            return ""
        lines: list[str] = []
        if reply.notice:
            lines.append(f"(i) {reply.notice}")
        if reply.chosen:
            lines.append(f"> {reply.chosen}")
        if reply.forget:  # the person's data was deleted: so are the forms written here
            shutil.rmtree(self.chat_dir, ignore_errors=True)
        self._drop_old_files()
        for outgoing in reply.files:  # personal data (the full NIK): private, and not for long
            self.chat_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            target = self.chat_dir / Path(outgoing.name).name
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(outgoing.data)
            lines.append(f"[PDF] {target}" + (f" — {outgoing.caption}" if outgoing.caption else ""))
        if reply.text:
            marker = "#" if reply.expects is Expect.NUMBER else ""
            lines.append(reply.text)
            for number, option in enumerate(reply.options, start=1):
                lines.append(f"  [{marker}{number}] {option.label}")
        return "\n".join(lines)

    async def send(self, line: str) -> str:
        """Handle one typed line and return what the console shows."""
        return self.render(await self.engine.handle(self.to_incoming(line)))

    async def run(self, stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
        stdin = stdin or sys.stdin
        stdout = stdout or sys.stdout
        stdout.write(await self.send("/start") + "\n")
        while True:
            stdout.write("\n> ")
            stdout.flush()
            line = await asyncio.to_thread(stdin.readline)
            if not line:
                return
            if line.strip():
                stdout.write(await self.send(line.rstrip("\n")) + "\n")
