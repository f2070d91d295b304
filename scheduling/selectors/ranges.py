"""The range queries behind the calendars: short scans of the (provider, start) index."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet

from scheduling.models import (
    MAX_APPOINTMENT_HOURS,
    Appointment,
    TimeOff,
)


def overlapping(queryset: QuerySet, start: datetime.datetime, end: datetime.datetime):
    """Rows overlapping [start, end), as a range the (provider, start) index answers."""
    return queryset.filter(
        start__gt=start - datetime.timedelta(hours=MAX_APPOINTMENT_HOURS),
        start__lt=end,
        end__gt=start,
    )


def appointments_between(
    provider_ids: list[int], start: datetime.datetime, end: datetime.datetime
) -> list[Appointment]:
    return list(
        overlapping(Appointment.objects.filter(provider_id__in=provider_ids), start, end)
        .select_related("patient", "appointment_type")
        .order_by("start", "pk")
    )


def time_off_between(
    provider_ids: list[int], start: datetime.datetime, end: datetime.datetime
) -> list[TimeOff]:
    return list(
        TimeOff.objects.filter(provider_id__in=provider_ids, start__lt=end, end__gt=start).order_by(
            "start"
        )
    )
