"""Registration of a calon anggota KPPS: the questions are a table (``table``), what a
question is and the draft in ``questions``, what the applicant sees in ``screens``, the running
logic in ``flow`` and the submission in ``submit``."""

from handlers.flows.registration.flow import FLOW
from handlers.flows.registration.questions import NAME, Step
from handlers.flows.registration.screens import (
    answers_text,
    draft_answers,
    preselect,
    preset,
    progress,
    stage_lines,
)
from handlers.flows.registration.submit import answers_of

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
