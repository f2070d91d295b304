"""Writes that carry a scheduling rule: booking, rescheduling, cancelling, the status flow,
reminders, the day list. Views, tasks and commands call these; none writes the models itself.

Every write that can make two appointments clash locks the provider row (and then the
patient row) before it checks and writes, so that concurrent requests for one slot are
serialized and the second one sees the first.
"""

from scheduling.services.booking import appointment_book, appointment_reschedule
from scheduling.services.day_list import day_list_request
from scheduling.services.reminders import (
    appointment_ids_due_reminder,
    appointment_reminders_send,
    appointment_send_reminder,
)
from scheduling.services.status import (
    TRANSITIONS,
    appointment_cancel,
    appointment_check_in,
    appointment_set_status,
    next_statuses,
)

__all__ = [
    "TRANSITIONS",
    "appointment_book",
    "appointment_cancel",
    "appointment_check_in",
    "appointment_ids_due_reminder",
    "appointment_reminders_send",
    "appointment_reschedule",
    "appointment_send_reminder",
    "appointment_set_status",
    "day_list_request",
    "next_statuses",
]
