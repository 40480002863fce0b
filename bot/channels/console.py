"""The console chat: the same flows in a terminal; buttons are numbered options."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from handlers.engine import Engine
from handlers.messages import Incoming, Kind, Reply

CHANNEL = "console"


class ConsoleChannel:
    """Turns typed lines into Incoming messages and replies into numbered text."""

    def __init__(self, engine: Engine, chat_id: str = "local") -> None:
        self.engine = engine
        self.chat_id = chat_id
        self._buttons: list[str] = []

    def to_incoming(self, line: str) -> Incoming:
        text = line.strip()
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
        if text.isdigit() and 1 <= int(text) <= len(self._buttons):
            return Incoming(
                CHANNEL, self.chat_id, Kind.BUTTON, button_id=self._buttons[int(text) - 1]
            )
        return Incoming(CHANNEL, self.chat_id, Kind.TEXT, text=line)

    def render(self, reply: Reply | None) -> str:
        if reply is None:
            return ""
        lines: list[str] = []
        if reply.notice:
            lines.append(f"(i) {reply.notice}")
        if reply.chosen:
            lines.append(f"> {reply.chosen}")
        if reply.text:
            self._buttons = [button.id for button in reply.flat_buttons]
            lines.append(reply.text)
            for number, button in enumerate(reply.flat_buttons, start=1):
                lines.append(f"  [{number}] {button.label}")
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
