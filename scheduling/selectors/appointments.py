"""Appointment lists (today, my day, the day list), one appointment's page and its timeline."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from emr.models import Coverage, Provider
from scheduling import availability
from scheduling.models import (
    Appointment,
    AppointmentStatus,
)


def _active_coverages() -> Prefetch:
    return Prefetch(
        "patient__coverages",
        queryset=Coverage.objects.filter(active=True).select_related("payer").order_by("priority"),
        to_attr="active_coverages",
    )


def appointment_list_for_day(
    *, day: datetime.date, provider: Provider | None = None
) -> QuerySet[Appointment]:
    """Every appointment starting on a day (all statuses), with what the front desk list shows."""
    bounds = availability.day_bounds(day)
    appointments = Appointment.objects.filter(start__gte=bounds.start, start__lt=bounds.end)
    if provider is not None:
        appointments = appointments.filter(provider=provider)
    return (
        appointments.select_related("patient", "provider__user", "appointment_type")
        .prefetch_related(_active_coverages())
        .order_by("start", "provider__user__last_name", "pk")
    )


def appointment_get_for_detail(*, pk: int) -> Appointment:
    return Appointment.objects.select_related(
        "patient",
        "provider__user",
        "appointment_type",
        "booked_by",
        "checked_in_by",
        "checked_in_coverage__payer",
        "roomed_by",
        "completed_by",
        "cancelled_by",
        "no_show_by",
    ).get(pk=pk)


@dataclass
class StatusChange:
    when: datetime.datetime
    who: str
    what: str


def appointment_history(*, appointment: Appointment) -> list[StatusChange]:
    """The appointment's own timeline from its history records: booked, moved, each status."""
    records = list(
        Appointment.history.filter(id=appointment.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    changes = []
    previous = None
    for record in records:
        who = str(record.history_user) if record.history_user else "system"
        if previous is None:
            what = f"Booked for {timezone.localtime(record.start):%m/%d/%Y %H:%M}"
        elif (record.start, record.provider_id) != (previous.start, previous.provider_id):
            what = f"Moved to {timezone.localtime(record.start):%m/%d/%Y %H:%M}"
        elif record.status != previous.status:
            what = f"Marked {AppointmentStatus(record.status).label.lower()}"
            if record.status == AppointmentStatus.CANCELLED:
                what += f": {record.cancel_reason}"
        else:
            what = "Details changed"
        changes.append(StatusChange(record.history_date, who, what))
        previous = record
    changes.reverse()
    return changes


def coverage_problems(*, coverages: list[Coverage], day: datetime.date) -> list[str]:
    """What the front desk must sort out about a patient's insurance before the visit."""
    active = [coverage for coverage in coverages if coverage.active]
    if not active:
        return ["No coverage on file: the patient is self-pay unless they show a card."]
    problems = []
    for coverage in active:
        if coverage.effective_to and coverage.effective_to < day:
            problems.append(
                f"{coverage.payer.name} coverage expired on {coverage.effective_to:%m/%d/%Y}."
            )
        elif coverage.effective_from > day:
            problems.append(
                f"{coverage.payer.name} coverage starts only on {coverage.effective_from:%m/%d/%Y}."
            )
    if not any(coverage.is_effective_on(day) for coverage in active):
        problems.append("No coverage in effect today: ask for a current insurance card.")
    return problems
