"""Time arithmetic shared by the booking rules (services) and the calendars (selectors).

Working hours are wall-clock times in the clinic's zone (settings.TIME_ZONE); appointments
and time off are aware datetimes. Everything here is pure: callers fetch the rows.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from scheduling.models import SLOT_MINUTES

SLOT = datetime.timedelta(minutes=SLOT_MINUTES)


@dataclass(frozen=True)
class Span:
    start: datetime.datetime
    end: datetime.datetime

    def overlaps(self, start: datetime.datetime, end: datetime.datetime) -> bool:
        return self.start < end and start < self.end

    def contains(self, start: datetime.datetime, end: datetime.datetime) -> bool:
        return self.start <= start and end <= self.end


def local_datetime(day: datetime.date, time: datetime.time) -> datetime.datetime:
    """The aware moment of a wall-clock time on a day in the clinic's zone."""
    return timezone.make_aware(datetime.datetime.combine(day, time))


def day_bounds(day: datetime.date) -> Span:
    return Span(
        local_datetime(day, datetime.time.min),
        local_datetime(day + datetime.timedelta(days=1), datetime.time.min),
    )


def working_spans(hours: Iterable, day: datetime.date) -> list[Span]:
    """A provider's working blocks on one day as aware spans, touching blocks merged.

    `hours` are WorkingHours rows of one provider (any weekday; others are ignored).
    """
    blocks = sorted(
        (local_datetime(day, block.start), local_datetime(day, block.end))
        for block in hours
        if block.weekday == day.weekday()
    )
    merged: list[Span] = []
    for start, end in blocks:
        if merged and start <= merged[-1].end:
            merged[-1] = Span(merged[-1].start, max(merged[-1].end, end))
        else:
            merged.append(Span(start, end))
    return merged


def within_working_hours(hours: Iterable, start: datetime.datetime, end: datetime.datetime) -> bool:
    day = timezone.localtime(start).date()
    if timezone.localtime(end - datetime.timedelta(microseconds=1)).date() != day:
        return False  # nobody's working hours run past midnight
    return any(span.contains(start, end) for span in working_spans(hours, day))


def describe_hours(hours: Iterable, day: datetime.date) -> str:
    spans = working_spans(hours, day)
    if not spans:
        return f"no working hours on {day:%A}s"
    times = ", ".join(
        f"{timezone.localtime(span.start):%H:%M}-{timezone.localtime(span.end):%H:%M}"
        for span in spans
    )
    return f"working hours on {day:%A}s: {times}"


def ceil_to_slot(moment: datetime.datetime) -> datetime.datetime:
    """The first slot boundary (every 15 minutes of local time) at or after `moment`."""
    local = timezone.localtime(moment).replace(second=0, microsecond=0)
    if local < timezone.localtime(moment):
        local += datetime.timedelta(minutes=1)
    remainder = local.minute % SLOT_MINUTES
    if remainder:
        local += datetime.timedelta(minutes=SLOT_MINUTES - remainder)
    return local


def free_starts(
    *,
    working: list[Span],
    busy: list[Span],
    duration: datetime.timedelta,
    not_before: datetime.datetime,
) -> list[datetime.datetime]:
    """Slot starts (every 15 minutes) where an appointment of `duration` fits one working block
    and overlaps nothing busy (live appointments and time off)."""
    starts = []
    for block in working:
        moment = max(block.start, ceil_to_slot(not_before))
        # Keep the grid aligned to the block's own start when it begins off the quarter hour.
        offset = (moment - block.start) % SLOT
        if offset:
            moment += SLOT - offset
        while moment + duration <= block.end:
            end = moment + duration
            clash = next((span for span in busy if span.overlaps(moment, end)), None)
            if clash is None:
                starts.append(moment)
                moment += SLOT
            else:
                # Jump past the clash, back onto the block's grid.
                moment = max(moment + SLOT, clash.end)
                offset = (moment - block.start) % SLOT
                if offset:
                    moment += SLOT - offset
    return starts
