"""Registration of a calon anggota KPPS: the questions are a table (``table``), what a
question is and the draft in ``questions``, and the running logic in ``flow``."""

from handlers.flows.registration.flow import (
    FLOW,
    answers_of,
    answers_text,
    draft_answers,
    preselect,
    preset,
    progress,
    stage_lines,
)
from handlers.flows.registration.questions import NAME, Step

__all__ = [
    "FLOW",
    "NAME",
    "Step",
    "answers_of",
    "answers_text",
    "draft_answers",
    "preselect",
    "preset",
    "progress",
    "stage_lines",
]
