"""The flows of the bot, listed once: the engine routes by this registry. A new flow is its
own module plus one line here. The first is the home flow (menu, help, status)."""

from handlers.flows import (
    attendance,
    documents,
    eligibility,
    faq,
    home,
    notifications,
    privacy,
    registration,
    reports,
)
from handlers.flows.base import Flow

FLOWS: tuple[Flow, ...] = (
    home.FLOW,
    registration.FLOW,
    documents.FLOW,
    eligibility.FLOW,
    faq.FLOW,
    privacy.FLOW,
    notifications.FLOW,
    attendance.FLOW,
    reports.FLOW,
)
