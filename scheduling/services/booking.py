"""Booking and rescheduling: every rule a slot must pass, checked under the provider's lock.

The database trigger of migration 0002 holds the provider-overlap rule again for any code
path that skips these services; its refusal reaches the clerk as the same kind of message.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from emr.models import Patient, Provider, User
from scheduling import availability
from scheduling.models import (
    LIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    AppointmentType,
    TimeOff,
    WorkingHours,
)
from scheduling.services._format import aware, fmt_time, fmt_when
from scheduling.services.locks import lock_appointment, lock_patient, lock_providers

# The text the trigger raises with (SQLSTATE 23P01, exclusion_violation).
OVERLAP_MARKER = "scheduling_appointment_overlap"


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
                "start": f"{provider} does not work {fmt_time(start)}-{fmt_time(end)} on "
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
                f"{fmt_when(time_off.start)} to {fmt_when(time_off.end)})."
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
                "start": f"{provider} already has an appointment from {fmt_time(clash.start)} "
                f"to {fmt_time(clash.end)} that day. Choose another time."
            },
            code="provider_overlap",
        )
    clash = live.filter(patient=patient).select_related("provider__user").order_by("start").first()
    if clash is not None:
        raise ValidationError(
            {
                "patient": f"{patient.full_name} already has an appointment at "
                f"{fmt_when(clash.start)} with {clash.provider}. One patient cannot be "
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
    start = aware(start).replace(second=0, microsecond=0)
    if not appointment_type.active:
        raise ValidationError(
            {"appointment_type": f"“{appointment_type.name}” is no longer offered."},
            code="type_inactive",
        )
    end = start + appointment_type.duration
    provider = lock_providers(provider.pk)[provider.pk]
    patient = lock_patient(patient.pk)
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
    start = aware(start).replace(second=0, microsecond=0)
    current = Appointment.objects.get(pk=appointment.pk)
    target_provider_id = provider.pk if provider else current.provider_id
    providers = lock_providers(current.provider_id, target_provider_id)
    patient = lock_patient(current.patient_id)
    appointment = lock_appointment(current.pk)
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
