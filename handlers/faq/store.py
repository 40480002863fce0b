"""The current knowledge base and its matcher, reloaded when the files change."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from handlers.faq.knowledge import (
    DEFAULT_FAQ_PATH,
    SLANG_FILE_NAME,
    KnowledgeBase,
    KnowledgeError,
    load_knowledge,
)
from handlers.faq.matcher import FaqMatcher

log = logging.getLogger(__name__)


def _signature(paths: tuple[Path, ...]) -> tuple[tuple[int, int], ...]:
    result = []
    for path in paths:
        try:
            stat = os.stat(path)
        except OSError:
            result.append((-1, -1))
        else:
            result.append((stat.st_mtime_ns, stat.st_size))
    return tuple(result)


class KnowledgeStore:
    """The current knowledge base, reloaded when its files change.

    ``get()`` looks at the files' modification times at most once per ``check_interval``
    seconds (one ``os.stat`` per file), so it is cheap to call for every message. A file that
    fails to load after an edit is reported in the log and in ``last_error``; the previous
    knowledge base stays in use until the file is fixed.
    """

    def __init__(
        self,
        path: Path = DEFAULT_FAQ_PATH,
        slang_path: Path | None = None,
        *,
        check_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = Path(path)
        self.slang_path = Path(slang_path) if slang_path else self.path.with_name(SLANG_FILE_NAME)
        self.check_interval = check_interval
        self._clock = clock
        self._lock = threading.Lock()
        self.last_error: str | None = None
        self._signature = _signature(self._paths)
        self._kb = load_knowledge(self.path, self.slang_path)
        self._checked = self._clock()
        self._matcher: FaqMatcher | None = None
        self.loads = 1

    @property
    def _paths(self) -> tuple[Path, ...]:
        return (self.path, self.slang_path)

    def get(self) -> KnowledgeBase:
        """The knowledge base, reloaded first if a file changed since the last check."""
        now = self._clock()
        if now - self._checked >= self.check_interval:
            self._checked = now
            if _signature(self._paths) != self._signature:
                self._load()
        return self._kb

    def reload(self) -> KnowledgeBase:
        """Load the files now, whether they changed or not; raises KnowledgeError if broken
        (the previous knowledge base stays in use)."""
        self._checked = self._clock()
        if not self._load():
            raise KnowledgeError(self.last_error or "reload failed")
        return self._kb

    def matcher(self) -> FaqMatcher:
        """A matcher for the current knowledge base (built again after a reload)."""
        kb = self.get()
        matcher = self._matcher
        if matcher is None or matcher.kb is not kb:
            matcher = FaqMatcher(kb)
            self._matcher = matcher
        return matcher

    def _load(self) -> bool:
        with self._lock:
            signature = _signature(self._paths)
            try:
                kb = load_knowledge(self.path, self.slang_path)
            except KnowledgeError as error:
                self.last_error = str(error)
                self._signature = signature  # do not retry until the file changes again
                log.error("FAQ knowledge base not reloaded, keeping the previous one: %s", error)
                return False
            self._kb = kb
            self._signature = signature
            self.last_error = None
            self.loads += 1
            log.info("FAQ knowledge base reloaded: %d entries", len(kb))
            return True
