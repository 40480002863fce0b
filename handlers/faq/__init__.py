"""FAQ for applicants: a knowledge base as data (bot/data/faq.yaml), informal-Indonesian
normalisation, and a rapidfuzz-based matcher that never forces an answer."""

from handlers.faq.knowledge import (
    ALL_CATEGORIES,
    CATEGORIES,
    DEFAULT_FAQ_PATH,
    OUT_OF_SCOPE,
    PLACEHOLDERS,
    FaqEntry,
    KnowledgeBase,
    KnowledgeError,
    load_knowledge,
    placeholder_values,
    render_answer,
    render_question,
)
from handlers.faq.matcher import FaqMatch, FaqMatcher, is_question
from handlers.faq.store import KnowledgeStore

__all__ = [
    "ALL_CATEGORIES",
    "CATEGORIES",
    "DEFAULT_FAQ_PATH",
    "OUT_OF_SCOPE",
    "PLACEHOLDERS",
    "FaqEntry",
    "FaqMatch",
    "FaqMatcher",
    "KnowledgeBase",
    "KnowledgeError",
    "KnowledgeStore",
    "is_question",
    "load_knowledge",
    "placeholder_values",
    "render_answer",
    "render_question",
]
