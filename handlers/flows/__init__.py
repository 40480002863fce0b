"""The flows of the bot, listed once: the engine routes by this registry. A new flow is its
own module plus one line here. The first is the home flow (menu, help, status)."""

from handlers.flows import (
    attendance,
    documents,
    eligibility,
    faq,
    home,
    link,
    notifications,
    privacy,
    registration,
)
from handlers.flows.base import Flow
from handlers.flows.officers import broadcast, join, paw, publish, review, selection

FLOWS: tuple[Flow, ...] = (
    home.FLOW,
    registration.FLOW,
    documents.FLOW,
    eligibility.FLOW,
    faq.FLOW,
    privacy.FLOW,
    link.FLOW,
    notifications.FLOW,
    attendance.FLOW,
    join.JOIN,
    join.LEAVE,
    review.FLOW,
    selection.FLOW,
    publish.FLOW,
    paw.FLOW,
    paw.SEAT,
    broadcast.FLOW,
)
