"""Find next available: the free slots that fit working hours, time off and bookings."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.utils import timezone

from emr.models import Provider
from scheduling import availability
from scheduling.availability import Span
from scheduling.models import (
    LIVE_STATUSES,
    Appointment,
    AppointmentType,
    WorkingHours,
)
from scheduling.selectors.ranges import overlapping, time_off_between


@dataclass(frozen=True)
class OpenSlot:
    provider: Provider
    start: datetime.datetime
    end: datetime.datetime


def available_slots(
    *,
    appointment_type: AppointmentType,
    providers: list[Provider],
    after: datetime.datetime,
    limit: int = 12,
    horizon_days: int = 60,
    now: datetime.datetime | None = None,
) -> list[OpenSlot]:
    """The next free slots for a type with any of `providers`, earliest first: inside working
    hours, outside time off, clear of live appointments, not in the past.

    Reads a week at a time (two queries per week) until it has `limit` slots."""
    now = now or timezone.now()
    not_before = max(after, now)
    duration = appointment_type.duration
    provider_ids = [provider.pk for provider in providers]
    hours_by_provider: dict[int, list[WorkingHours]] = defaultdict(list)
    for block in WorkingHours.objects.filter(provider_id__in=provider_ids):
        hours_by_provider[block.provider_id].append(block)
    providers = [provider for provider in providers if hours_by_provider[provider.pk]]
    if not providers:
        return []

    first_day = timezone.localtime(not_before).date()
    found: list[OpenSlot] = []
    for week in range(0, horizon_days, 7):
        days = [
            first_day + datetime.timedelta(days=offset)
            for offset in range(week, min(week + 7, horizon_days))
        ]
        start = availability.day_bounds(days[0]).start
        end = availability.day_bounds(days[-1]).end
        busy: dict[int, list[Span]] = defaultdict(list)
        for appointment in overlapping(
            Appointment.objects.filter(
                provider_id__in=[provider.pk for provider in providers],
                status__in=LIVE_STATUSES,
            ),
            start,
            end,
        ).only("provider_id", "start", "end"):
            busy[appointment.provider_id].append(Span(appointment.start, appointment.end))
        for entry in time_off_between([provider.pk for provider in providers], start, end):
            busy[entry.provider_id].append(Span(entry.start, entry.end))
        for day in days:
            day_slots = []
            for provider in providers:
                working = availability.working_spans(hours_by_provider[provider.pk], day)
                for slot_start in availability.free_starts(
                    working=working,
                    busy=busy[provider.pk],
                    duration=duration,
                    not_before=not_before,
                ):
                    day_slots.append(OpenSlot(provider, slot_start, slot_start + duration))
            day_slots.sort(key=lambda slot: (slot.start, slot.provider.user.last_name))
            found.extend(day_slots)
            if len(found) >= limit:
                return found[:limit]
    return found
