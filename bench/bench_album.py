"""Memory and time of an album upload, and how long another chat waits meanwhile.

    PYTHONPATH=. .venv/bin/python bench/bench_album.py [--case huge|accepted|all] [--db URL]
        [--tracemalloc]

One applicant registers and chooses the surat pernyataan (photo or PDF, up to 10 pages), then
sends an album through ``Engine.handle`` as a channel would (one Incoming, the parts as
attachments). While it is handled, another chat sends /start every 20 ms; every answer's
latency is recorded.

Cases (each in a fresh process, so the peak memory is the album's own):

- ``huge``: ten 7,000×7,000 PNGs of one flat colour (about 160 KB each): the album of the
  "Hardening" issue, point 1.
- ``accepted``: six 3,600×2,700 document-like JPEGs (58 megapixels together), an album both the
  old and the new code accept and store as one PDF.

Printed: how long the album took and what the applicant was told (or the pages stored), the
peak resident memory while it was handled above the memory before (sampled every 5 ms from
/proc), the growth of ``ru_maxrss``, the /start latencies of the other chat, and with
``--tracemalloc`` the peak of Python allocations (Pillow's pixel buffers are not among them).
Uses only the public engine API, so the same file runs against an older checkout.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import random
import resource
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bot.app import build_app  # noqa: E402
from bot.settings import get_settings  # noqa: E402
from handlers.messages import Attachment, Incoming, Kind  # noqa: E402
from storage.crypto import generate_key  # noqa: E402
from storage.models import Document  # noqa: E402
from tests.conftest import reset_database  # noqa: E402
from tests.dialog import ConsoleChat, Person, fill_registration  # noqa: E402

CASES = ("huge", "accepted")
PROBE_EVERY = 0.02


def flat_png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    """An RGB PNG of one colour, written row by row (the pixels are never all in memory)."""
    row = b"\x00" + bytes(colour) * width
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def document_jpeg(width: int, height: int, seed: int) -> bytes:
    """A photographed page: off-white paper with lines of dark "words"."""
    rng = random.Random(seed)
    image = Image.new("RGB", (width, height), (236, 232, 222))
    draw = ImageDraw.Draw(image)
    for top in range(height // 12, height - height // 12, 60):
        left = width // 10
        while left < width - width // 10:
            word = rng.randint(40, 220)
            draw.rectangle((left, top, left + word, top + 28), fill=(40, 40, 50))
            left += word + rng.randint(20, 40)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def album(case: str) -> list[bytes]:
    if case == "huge":
        return [flat_png(7000, 7000, (200, 10 * n, 100)) for n in range(10)]
    return [document_jpeg(3600, 2700, n) for n in range(6)]


def rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize()


class PeakRss:
    """The highest resident set size seen, sampled every 5 ms on a thread."""

    def __init__(self) -> None:
        self.peak = rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss_bytes())

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())


def attachment(data: bytes, number: int) -> Attachment:
    async def fetch() -> bytes:
        return data

    return Attachment(fetch=fetch, name=f"page-{number}.png", size=len(data), group="album")


async def run(case: str, url: str | None, trace: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        database_url = url or f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        if url:
            await reset_database(url)
        settings = get_settings(
            data_dir=Path(tmp), database_url=database_url, encryption_key=generate_key()
        )
        app = await build_app(settings)
        uploader = ConsoleChat(app, "uploader")
        await fill_registration(uploader, Person())
        await uploader.press("Surat pernyataan")
        start = Incoming("console", "someone-else", Kind.COMMAND, command="start")
        await app.engine.handle(start)  # warm

        parts = album(case)
        sent = Incoming(
            "console",
            "uploader",
            Kind.PHOTO,
            attachments=tuple(attachment(data, n) for n, data in enumerate(parts)),
        )
        megabytes = sum(map(len, parts)) / 1e6
        gc.collect()
        before = rss_bytes()
        maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        if trace:
            tracemalloc.start()
        latencies: list[float] = []
        with PeakRss() as peak:
            began = time.perf_counter()
            task = asyncio.create_task(app.engine.handle(sent))
            while not task.done():
                asked = time.perf_counter()
                await app.engine.handle(start)
                latencies.append(time.perf_counter() - asked)
                await asyncio.sleep(PROBE_EVERY)
            reply = await task
            elapsed = time.perf_counter() - began
        traced = tracemalloc.get_traced_memory()[1] if trace else None
        tracemalloc.stop()
        maxrss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        async with app.db.transaction() as session:
            rows = list((await session.execute(select(Document))).scalars())
        await app.close()

    said = (reply.text if reply else "").split("\n\n")[0].replace("\n", " ")
    outcome = (
        f"stored one {rows[0].mime} of {rows[0].pages} pages, {rows[0].size / 1e6:.1f} MB"
        if rows
        else f"refused: {said[:110]!r}"
    )
    mib = 1024 * 1024
    print(f"{case}: {len(parts)} parts, {megabytes:.1f} MB sent, {database_url.split(':')[0]}")
    print(f"  album handled in {elapsed:.2f} s; {outcome}")
    print(
        f"  peak RSS +{(peak.peak - before) / mib:.0f} MiB over {before / mib:.0f} MiB; "
        f"ru_maxrss +{max(0, maxrss_after - maxrss_before) / mib:.0f} MiB"
        + (f"; tracemalloc peak {traced / mib:.1f} MiB" if traced is not None else "")
    )
    if latencies:
        print(
            f"  other chat's /start while the album was handled: {len(latencies)} answers, "
            f"p50 {statistics.median(latencies) * 1000:.0f} ms, "
            f"max {max(latencies) * 1000:.0f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=[*CASES, "all"], default="all")
    parser.add_argument("--db", default=None)
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args()
    if args.case != "all":
        asyncio.run(run(args.case, args.db, args.tracemalloc))
        return
    for case in CASES:  # a process each: ru_maxrss and the allocator start afresh
        command = [sys.executable, __file__, "--case", case]
        command += ["--db", args.db] if args.db else []
        command += ["--tracemalloc"] if args.tracemalloc else []
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
