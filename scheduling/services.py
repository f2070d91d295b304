"""Writes that carry a scheduling rule: booking, rescheduling, cancelling, the status flow,
reminders.

Every write that can make two appointments clash locks the provider row (and then the
patient row) before it checks and writes, so that concurrent requests for one slot are
serialized and the second one sees the first. The database trigger of migration 0002
holds the provider-overlap rule again for any code path that skips these services.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from emr.models import Clinic, Coverage, Document, DocumentKind, Patient, Provider, User
from emr.services import document_request
from scheduling import availability
from scheduling.models import (
    LIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    AppointmentType,
    DayList,
    TimeOff,
    WorkingHours,
)

logger = logging.getLogger(__name__)

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

OVERLAP_MARKER = "scheduling_appointment_overlap"


def next_statuses(appointment: Appointment) -> set[str]:
    return TRANSITIONS[appointment.status]


def _fmt_time(moment: datetime.datetime) -> str:
    return f"{timezone.localtime(moment):%H:%M}"


def _fmt_when(moment: datetime.datetime) -> str:
    return f"{timezone.localtime(moment):%a %m/%d/%Y %H:%M}"


def _aware(moment: datetime.datetime) -> datetime.datetime:
    if timezone.is_naive(moment):
        return timezone.make_aware(moment)
    return moment


# Locks, always in this order: providers (by pk), then the patient, then the appointment.
def _lock_providers(*provider_ids: int) -> dict[int, Provider]:
    providers = (
        Provider.objects.select_for_update(no_key=True)
        .filter(pk__in=set(provider_ids))
        .order_by("pk")
    )
    return {provider.pk: provider for provider in providers}


def _lock_patient(patient_id: int) -> Patient:
    return Patient.objects.select_for_update(no_key=True).get(pk=patient_id)


def _lock_appointment(appointment_id: int) -> Appointment:
    return Appointment.objects.select_for_update(no_key=True).get(pk=appointment_id)


def _check_bookable(
    *,
    provider: Provider,
    patient: Patient,
    start: datetime.datetime,
    end: datetime.datetime,
    now: datetime.datetime,
    exclude_pk: int | None = None,
) -> None:
    """Every rule a slot must pass; raises the first one it breaks, in the clerk's words."""
    if start < now:
        raise ValidationError(
            {"start": "That time has already passed. Choose a time from now on."},
            code="in_the_past",
        )
    if not provider.active:
        raise ValidationError(
            {"provider": f"{provider} is no longer taking appointments."}, code="provider_inactive"
        )
    if not patient.active or patient.deceased_date:
        raise ValidationError(
            {"patient": f"{patient.full_name}'s record is inactive: reactivate it first."},
            code="patient_inactive",
        )

    hours = list(WorkingHours.objects.filter(provider=provider))
    if not availability.within_working_hours(hours, start, end):
        day = timezone.localtime(start).date()
        raise ValidationError(
            {
                "start": f"{provider} does not work {_fmt_time(start)}-{_fmt_time(end)} on "
                f"{day:%A %m/%d/%Y} ({availability.describe_hours(hours, day)})."
            },
            code="outside_working_hours",
        )

    time_off = (
        TimeOff.objects.filter(provider=provider, start__lt=end, end__gt=start)
        .order_by("start")
        .first()
    )
    if time_off is not None:
        raise ValidationError(
            {
                "start": f"{provider} is away then ({time_off.reason}, "
                f"{_fmt_when(time_off.start)} to {_fmt_when(time_off.end)})."
            },
            code="time_off",
        )

    live = Appointment.objects.filter(
        status__in=LIVE_STATUSES,
        start__gt=start - datetime.timedelta(hours=12),
        start__lt=end,
        end__gt=start,
    ).exclude(pk=exclude_pk)
    clash = live.filter(provider=provider).order_by("start").first()
    if clash is not None:
        raise ValidationError(
            {
                "start": f"{provider} already has an appointment from {_fmt_time(clash.start)} "
                f"to {_fmt_time(clash.end)} that day. Choose another time."
            },
            code="provider_overlap",
        )
    clash = live.filter(patient=patient).select_related("provider__user").order_by("start").first()
    if clash is not None:
        raise ValidationError(
            {
                "patient": f"{patient.full_name} already has an appointment at "
                f"{_fmt_when(clash.start)} with {clash.provider}. One patient cannot be "
                "booked twice at the same time."
            },
            code="patient_overlap",
        )


def _save_guarded(appointment: Appointment) -> None:
    """Save; turn the database's overlap refusal into the same message the checks give."""
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError as error:
        if OVERLAP_MARKER not in str(error):
            raise
        raise ValidationError(
            {
                "start": f"{appointment.provider} is already booked at that time. Choose another time."
            },
            code="provider_overlap",
        ) from error


@transaction.atomic
def appointment_book(
    *,
    patient: Patient,
    provider: Provider,
    appointment_type: AppointmentType,
    start: datetime.datetime,
    booked_by: User | None,
    reason: str = "",
    notes: str = "",
    now: datetime.datetime | None = None,
) -> Appointment:
    """Book a patient with a provider; the end follows from the appointment type's duration."""
    now = now or timezone.now()
    start = _aware(start).replace(second=0, microsecond=0)
    if not appointment_type.active:
        raise ValidationError(
            {"appointment_type": f"“{appointment_type.name}” is no longer offered."},
            code="type_inactive",
        )
    end = start + appointment_type.duration
    provider = _lock_providers(provider.pk)[provider.pk]
    patient = _lock_patient(patient.pk)
    _check_bookable(provider=provider, patient=patient, start=start, end=end, now=now)
    appointment = Appointment(
        patient=patient,
        provider=provider,
        appointment_type=appointment_type,
        start=start,
        end=end,
        reason=reason.strip(),
        notes=notes.strip(),
        booked_by=booked_by,
    )
    appointment._history_user = booked_by
    _save_guarded(appointment)
    return appointment


@transaction.atomic
def appointment_reschedule(
    *,
    appointment: Appointment,
    start: datetime.datetime,
    by: User | None,
    provider: Provider | None = None,
    appointment_type: AppointmentType | None = None,
    now: datetime.datetime | None = None,
) -> Appointment:
    """Move a booked appointment to another time (and optionally provider or type)."""
    now = now or timezone.now()
    start = _aware(start).replace(second=0, microsecond=0)
    current = Appointment.objects.get(pk=appointment.pk)
    target_provider_id = provider.pk if provider else current.provider_id
    providers = _lock_providers(current.provider_id, target_provider_id)
    patient = _lock_patient(current.patient_id)
    appointment = _lock_appointment(current.pk)
    if appointment.status != AppointmentStatus.BOOKED:
        raise ValidationError(
            f"Only a booked appointment can be rescheduled; this one is "
            f"{appointment.get_status_display().lower()}.",
            code="illegal_transition",
        )
    new_type = appointment_type or appointment.appointment_type
    if new_type.pk != appointment.appointment_type_id and not new_type.active:
        raise ValidationError(
            {"appointment_type": f"“{new_type.name}” is no longer offered."}, code="type_inactive"
        )
    end = start + new_type.duration
    target = providers[target_provider_id]
    _check_bookable(
        provider=target, patient=patient, start=start, end=end, now=now, exclude_pk=appointment.pk
    )
    appointment.provider = target
    appointment.appointment_type = new_type
    appointment.start = start
    appointment.end = end
    # A new day means a new reminder.
    appointment.reminder_sent_at = None
    appointment._history_user = by
    _save_guarded(appointment)
    return appointment


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
    appointment = _lock_appointment(appointment.pk)
    _check_transition(appointment, AppointmentStatus.CANCELLED)
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancel_reason = reason[:200]
    appointment.cancelled_at = now or timezone.now()
    appointment.cancelled_by = by
    appointment._history_user = by
    appointment.save()
    return appointment


def _check_transition(appointment: Appointment, status: str) -> None:
    if status not in TRANSITIONS[appointment.status]:
        target = AppointmentStatus(status).label.lower()
        raise ValidationError(
            f"This appointment is {appointment.get_status_display().lower()}: "
            f"it cannot be marked {target}.",
            code="illegal_transition",
        )


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
    appointment = _lock_appointment(appointment.pk)
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
    appointment = _lock_appointment(appointment.pk)
    _check_transition(appointment, status)
    if status == AppointmentStatus.NO_SHOW and now < appointment.start:
        raise ValidationError(
            f"The appointment starts at {_fmt_time(appointment.start)}: a patient can be marked "
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


def appointment_ids_due_reminder(*, now: datetime.datetime | None = None) -> list[int]:
    """Booked appointments tomorrow (clinic time) whose patient has an email and no reminder yet."""
    now = now or timezone.now()
    tomorrow = availability.day_bounds(timezone.localtime(now).date() + datetime.timedelta(days=1))
    return list(
        Appointment.objects.filter(
            status=AppointmentStatus.BOOKED,
            reminder_sent_at__isnull=True,
            start__gte=tomorrow.start,
            start__lt=tomorrow.end,
        )
        .exclude(patient__email="")
        .order_by("start", "pk")
        .values_list("pk", flat=True)
    )


def appointment_send_reminder(*, appointment_id: int, now: datetime.datetime | None = None) -> bool:
    """Email one reminder, at most once: the row stays locked from the check to the stamp.

    A second run at the same moment skips the locked row; a later run sees the stamp. If the
    mail server fails, the transaction rolls back and the next run tries again.
    """
    now = now or timezone.now()
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("patient", "provider__user", "appointment_type")
            .filter(pk=appointment_id)
            .first()
        )
        if (
            appointment is None
            or appointment.reminder_sent_at is not None
            or appointment.status != AppointmentStatus.BOOKED
            or not appointment.patient.email
        ):
            return False
        clinic = Clinic.current()
        context = {"appointment": appointment, "patient": appointment.patient, "clinic": clinic}
        clinic_name = clinic.name if clinic else "the clinic"
        send_mail(
            subject=f"Reminder: your appointment at {clinic_name} on "
            f"{timezone.localtime(appointment.start):%A %m/%d at %H:%M}",
            message=render_to_string("scheduling/email/reminder.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[appointment.patient.email],
        )
        Appointment.objects.filter(pk=appointment.pk).update(reminder_sent_at=now)
    return True


def appointment_reminders_send(*, now: datetime.datetime | None = None) -> int:
    """Send every reminder due now; returns how many were sent. Safe to run twice."""
    sent = 0
    for appointment_id in appointment_ids_due_reminder(now=now):
        try:
            if appointment_send_reminder(appointment_id=appointment_id, now=now):
                sent += 1
        except OSError:
            # One unreachable mailbox must not stop the others; the next run retries it.
            logger.exception("Reminder for appointment %s could not be sent", appointment_id)
    return sent


@transaction.atomic
def day_list_request(
    *, day: datetime.date, provider: Provider | None, requested_by: User | None
) -> Document:
    """Queue the printable day list of a date (all providers, or one)."""
    day_list = DayList.objects.create(day=day, provider=provider, requested_by=requested_by)
    title = f"Day list {day:%a %m/%d/%Y}" + (f", {provider}" if provider else "")
    return document_request(
        kind=DocumentKind.DAY_LIST, owner=day_list, title=title, requested_by=requested_by
    )
