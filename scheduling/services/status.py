"""The status flow: booked -> arrived (check-in) -> in_room -> completed, or cancelled or
no_show. Each step is stamped with who and when; the history keeps every change as well.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from emr.models import Coverage, User
from scheduling.models import Appointment, AppointmentStatus
from scheduling.services._format import fmt_time
from scheduling.services.locks import lock_appointment

# The status flow. Arrival goes through appointment_check_in and cancellation through
# appointment_cancel (each needs more than a status); the rest through appointment_set_status.
TRANSITIONS: dict[str, set[str]] = {
    AppointmentStatus.BOOKED: {
        AppointmentStatus.ARRIVED,
        AppointmentStatus.CANCELLED,
        AppointmentStatus.NO_SHOW,
    },
    AppointmentStatus.ARRIVED: {AppointmentStatus.IN_ROOM, AppointmentStatus.CANCELLED},
    AppointmentStatus.IN_ROOM: {AppointmentStatus.COMPLETED},
    AppointmentStatus.COMPLETED: set(),
    AppointmentStatus.CANCELLED: set(),
    AppointmentStatus.NO_SHOW: set(),
}

# The statuses appointment_set_status moves to, and the stamp fields each one fills.
_STATUS_STAMPS = {
    AppointmentStatus.IN_ROOM: ("roomed_at", "roomed_by"),
    AppointmentStatus.COMPLETED: ("completed_at", "completed_by"),
    AppointmentStatus.NO_SHOW: ("no_show_at", "no_show_by"),
}


def next_statuses(appointment: Appointment) -> set[str]:
    return TRANSITIONS[appointment.status]


def _check_transition(appointment: Appointment, status: str) -> None:
    if status not in TRANSITIONS[appointment.status]:
        target = AppointmentStatus(status).label.lower()
        raise ValidationError(
            f"This appointment is {appointment.get_status_display().lower()}: "
            f"it cannot be marked {target}.",
            code="illegal_transition",
        )


@transaction.atomic
def appointment_cancel(
    *,
    appointment: Appointment,
    reason: str,
    by: User | None,
    now: datetime.datetime | None = None,
) -> Appointment:
    """Cancel with a reason; the appointment stays on record and its slot is free again."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the appointment is cancelled."})
    appointment = lock_appointment(appointment.pk)
    _check_transition(appointment, AppointmentStatus.CANCELLED)
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancel_reason = reason[:200]
    appointment.cancelled_at = now or timezone.now()
    appointment.cancelled_by = by
    appointment._history_user = by
    appointment.save()
    return appointment


@transaction.atomic
def appointment_check_in(
    *,
    appointment: Appointment,
    by: User | None,
    demographics_confirmed: bool,
    coverage: Coverage | None = None,
    now: datetime.datetime | None = None,
) -> Appointment:
    """Mark the patient arrived, once demographics and coverage were confirmed with them."""
    now = now or timezone.now()
    appointment = lock_appointment(appointment.pk)
    _check_transition(appointment, AppointmentStatus.ARRIVED)
    today = timezone.localtime(now).date()
    if timezone.localtime(appointment.start).date() != today:
        raise ValidationError(
            f"This appointment is on {timezone.localtime(appointment.start):%m/%d/%Y}: "
            "patients are checked in on the day of their appointment.",
            code="wrong_day",
        )
    if not demographics_confirmed:
        raise ValidationError(
            {
                "demographics_confirmed": "Confirm the patient's name, date of birth, address "
                "and phone with them before checking in."
            }
        )
    if coverage is not None:
        if coverage.patient_id != appointment.patient_id:
            raise ValidationError({"coverage": "That coverage belongs to another patient."})
        if not coverage.is_effective_on(today):
            raise ValidationError(
                {
                    "coverage": f"{coverage.payer.name} coverage is not in effect today. "
                    "Update it, or check the patient in as self-pay."
                }
            )
    appointment.status = AppointmentStatus.ARRIVED
    appointment.arrived_at = now
    appointment.checked_in_by = by
    appointment.checked_in_coverage = coverage
    appointment._history_user = by
    appointment.save()
    return appointment


@transaction.atomic
def appointment_set_status(
    *,
    appointment: Appointment,
    status: str,
    by: User | None,
    now: datetime.datetime | None = None,
) -> Appointment:
    """Move an appointment to in_room, completed or no_show, stamping who and when."""
    now = now or timezone.now()
    if status == AppointmentStatus.ARRIVED:
        raise ValidationError("Use check-in to mark a patient arrived.", code="use_check_in")
    if status == AppointmentStatus.CANCELLED:
        raise ValidationError("Use cancel, with a reason, to cancel.", code="use_cancel")
    if status not in _STATUS_STAMPS:
        raise ValidationError(f"Unknown appointment status {status!r}.", code="unknown_status")
    appointment = lock_appointment(appointment.pk)
    _check_transition(appointment, status)
    if status == AppointmentStatus.NO_SHOW and now < appointment.start:
        raise ValidationError(
            f"The appointment starts at {fmt_time(appointment.start)}: a patient can be marked "
            "a no-show only after that.",
            code="too_early",
        )
    at_field, by_field = _STATUS_STAMPS[status]
    appointment.status = status
    setattr(appointment, at_field, now)
    setattr(appointment, by_field, by)
    appointment._history_user = by
    appointment.save()
    return appointment
