"""Demo data for scheduling: appointment types, working hours, time off, and two weeks of
appointments around today with the statuses a real fortnight leaves behind.

Everything goes through the services (booked "as of" a few days before each visit), so the
demo obeys the same rules as the clinic. Deterministic (seeded random) and idempotent.
"""

from __future__ import annotations

import datetime
import random

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from emr.models import Patient, Provider, User
from scheduling import services
from scheduling.availability import local_datetime
from scheduling.models import Appointment, AppointmentStatus, AppointmentType, TimeOff, WorkingHours

APPOINTMENT_TYPES = [
    # name, minutes, color, weight (how often it is booked)
    ("Follow-up", 15, "#0d6efd", 6),
    ("Sick visit", 15, "#fd7e14", 4),
    ("Annual physical", 30, "#198754", 3),
    ("New patient", 45, "#6f42c1", 2),
    ("Procedure", 30, "#d63384", 1),
    ("Telehealth", 15, "#20c997", 2),
]

REASONS = {
    "Follow-up": [
        "Blood pressure check",
        "Diabetes follow-up",
        "Lab results",
        "Medication review",
        "Thyroid follow-up",
        "Asthma check",
    ],
    "Sick visit": [
        "Sore throat",
        "Cough and fever",
        "Ear pain",
        "Rash",
        "Back pain",
        "Urinary symptoms",
    ],
    "Annual physical": ["Annual wellness visit", "Sports physical", "Well-child check"],
    "New patient": ["Establish care", "New patient, transferring records"],
    "Procedure": ["Skin tag removal", "Joint injection", "Wart cryotherapy", "Ear irrigation"],
    "Telehealth": ["Medication refill", "Lab results by video", "Anxiety follow-up"],
}

CANCEL_REASONS = [
    "Patient called to cancel",
    "Patient is ill",
    "Work conflict",
    "Transportation problem",
    "Rescheduled by patient",
]

WORKDAY = (datetime.time(8, 0), datetime.time(17, 0))


def _types() -> list[AppointmentType]:
    types = []
    for name, minutes, color, _ in APPOINTMENT_TYPES:
        appointment_type, _ = AppointmentType.objects.get_or_create(
            name=name, defaults={"duration_minutes": minutes, "color": color}
        )
        types.append(appointment_type)
    return types


def _working_hours(providers: list[Provider]) -> None:
    for provider in providers:
        for weekday in range(5):
            WorkingHours.objects.get_or_create(
                provider=provider,
                weekday=weekday,
                defaults={"start": WORKDAY[0], "end": WORKDAY[1]},
            )


def _next_weekday(day: datetime.date, weekday: int) -> datetime.date:
    return day + datetime.timedelta(days=(weekday - day.weekday()) % 7)


def _time_off(providers: list[Provider], today: datetime.date) -> None:
    monday = today - datetime.timedelta(days=today.weekday())
    plans = []
    for provider in providers:
        # The weekly staff meeting, this week and next.
        for week in (0, 7):
            wednesday = monday + datetime.timedelta(days=2 + week)
            plans.append(
                (
                    provider,
                    local_datetime(wednesday, datetime.time(12)),
                    local_datetime(wednesday, datetime.time(13)),
                    "Staff meeting",
                )
            )
    if len(providers) > 1:
        # Two days of vacation next week for the second provider.
        thursday = monday + datetime.timedelta(days=10)
        plans.append(
            (
                providers[1],
                local_datetime(thursday, datetime.time.min),
                local_datetime(thursday + datetime.timedelta(days=2), datetime.time.min),
                "Vacation",
            )
        )
    if len(providers) > 2:
        friday = monday + datetime.timedelta(days=4)
        plans.append(
            (
                providers[2],
                local_datetime(friday, datetime.time(13)),
                local_datetime(friday, datetime.time(17)),
                "CME conference",
            )
        )
    for provider, start, end, reason in plans:
        TimeOff.objects.get_or_create(
            provider=provider, start=start, defaults={"end": end, "reason": reason}
        )


def _walk_through(
    appointment: Appointment, *, patient: Patient, desk: User, clinician: User, now, rng
) -> None:
    """Move a booked appointment along as the day went (or is going)."""
    start, end = appointment.start, appointment.end
    if now < start - datetime.timedelta(minutes=15):
        if rng.random() < 0.08:
            services.appointment_cancel(
                appointment=appointment,
                reason=rng.choice(CANCEL_REASONS),
                by=desk,
                now=start - datetime.timedelta(days=1),
            )
        return
    roll = rng.random()
    if roll < 0.1:
        services.appointment_cancel(
            appointment=appointment,
            reason=rng.choice(CANCEL_REASONS),
            by=desk,
            now=start - datetime.timedelta(hours=20),
        )
        return
    if roll < 0.18 and now >= start + datetime.timedelta(minutes=20):
        services.appointment_set_status(
            appointment=appointment,
            status=AppointmentStatus.NO_SHOW,
            by=desk,
            now=start + datetime.timedelta(minutes=20),
        )
        return
    arrived = start - datetime.timedelta(minutes=rng.randint(0, 15))
    if now < arrived:
        return
    coverage = next(
        (c for c in patient.coverages.all() if c.is_effective_on(timezone.localdate(arrived))), None
    )
    services.appointment_check_in(
        appointment=appointment,
        by=desk,
        demographics_confirmed=True,
        coverage=coverage,
        now=arrived,
    )
    roomed = start + datetime.timedelta(minutes=rng.randint(0, 10))
    if now < roomed:
        return
    services.appointment_set_status(
        appointment=appointment, status=AppointmentStatus.IN_ROOM, by=clinician, now=roomed
    )
    if now < end:
        return
    services.appointment_set_status(
        appointment=appointment,
        status=AppointmentStatus.COMPLETED,
        by=clinician,
        now=end + datetime.timedelta(minutes=rng.randint(0, 10)),
    )


@transaction.atomic
def seed_scheduling(
    *, today: datetime.date | None = None, days: int = 7, rng: random.Random | None = None
) -> int:
    """Types, hours and time off (created if missing), and appointments on the working days of
    `days` days either side of today, unless there are some already. Returns how many were booked."""
    rng = rng or random.Random(2026)
    today = today or timezone.localdate()
    now = timezone.now()
    providers = list(Provider.objects.filter(active=True).select_related("user").order_by("pk"))
    types = _types()
    _working_hours(providers)
    _time_off(providers, today)
    first, last = today - datetime.timedelta(days=days), today + datetime.timedelta(days=days)
    window = (local_datetime(first, datetime.time.min), local_datetime(last, datetime.time.max))
    if not providers or Appointment.objects.filter(start__range=window).exists():
        return 0

    desk = User.objects.filter(groups__name="front_desk").order_by("pk").first()
    patients = list(
        Patient.objects.filter(active=True).prefetch_related("coverages").order_by("pk")
    )
    if not patients:
        return 0
    weights = [weight for *_, weight in APPOINTMENT_TYPES]
    day = first
    booked = 0
    while day <= last:
        if day.weekday() < 5:
            busy_patients: set[int] = set()
            for provider in providers:
                moment = local_datetime(day, WORKDAY[0])
                closing = local_datetime(day, WORKDAY[1])
                while moment < closing:
                    if rng.random() < 0.3:
                        moment += datetime.timedelta(minutes=15)  # an open slot
                        continue
                    appointment_type = rng.choices(types, weights=weights)[0]
                    patient = rng.choice(patients)
                    if patient.pk in busy_patients:
                        moment += datetime.timedelta(minutes=15)
                        continue
                    try:
                        appointment = services.appointment_book(
                            patient=patient,
                            provider=provider,
                            appointment_type=appointment_type,
                            start=moment,
                            booked_by=desk,
                            reason=rng.choice(REASONS[appointment_type.name]),
                            now=moment - datetime.timedelta(days=rng.randint(2, 21)),
                        )
                    except ValidationError:
                        # Time off, or the type runs past closing: try the next quarter hour.
                        moment += datetime.timedelta(minutes=15)
                        continue
                    busy_patients.add(patient.pk)
                    booked += 1
                    _walk_through(
                        appointment,
                        patient=patient,
                        desk=desk,
                        clinician=provider.user,
                        now=now,
                        rng=rng,
                    )
                    moment = appointment.end
        day += datetime.timedelta(days=1)
    return booked
