"""The day view (a column per provider) and the week view (a column per day): four queries
whatever the number of appointments."""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone

from emr.models import Provider
from scheduling import availability
from scheduling.availability import SLOT
from scheduling.models import (
    LIVE_STATUSES,
    SLOT_MINUTES,
    Appointment,
    TimeOff,
    WorkingHours,
)
from scheduling.selectors.ranges import appointments_between, time_off_between

DEFAULT_OPEN = datetime.time(8, 0)
DEFAULT_CLOSE = datetime.time(17, 0)


def provider_list_for_schedule(*, provider_ids: list[int] | None = None) -> list[Provider]:
    providers = Provider.objects.filter(active=True).select_related("user")
    if provider_ids:
        providers = providers.filter(pk__in=provider_ids)
    return list(providers.order_by("user__last_name", "user__first_name", "pk"))


@dataclass
class GridCell:
    row: int
    start: datetime.datetime
    state: str  # free, closed (outside working hours), off (time off), busy, past


@dataclass
class GridAppointment:
    appointment: Appointment
    row: int
    span: int


@dataclass
class GridTimeOff:
    time_off: TimeOff
    row: int
    span: int


@dataclass
class GridColumn:
    index: int  # CSS grid column (the time labels take column 1)
    provider: Provider
    day: datetime.date
    cells: list[GridCell] = field(default_factory=list)
    appointments: list[GridAppointment] = field(default_factory=list)
    time_off: list[GridTimeOff] = field(default_factory=list)
    inactive: list[Appointment] = field(default_factory=list)  # cancelled and no-show

    @property
    def free_count(self) -> int:
        return sum(1 for cell in self.cells if cell.state == "free")


@dataclass
class GridRow:
    row: int
    start: datetime.datetime
    label: str  # "8:00" on the hour, "" on the quarters
    on_the_hour: bool


@dataclass
class ScheduleGrid:
    columns: list[GridColumn]
    rows: list[GridRow]
    now: datetime.datetime


def _grid_hours(
    columns: list[tuple[Provider, datetime.date]],
    hours_by_provider: dict[int, list[WorkingHours]],
    appointments: list[Appointment],
) -> tuple[int, int]:
    """The grid's first and last minute of the day (the clinic's hours): from the earliest
    start to the latest end of the working hours shown, widened to show any appointment
    booked outside them."""
    opens, closes = [], []
    for provider, day in columns:
        for span in availability.working_spans(hours_by_provider[provider.pk], day):
            opens.append(timezone.localtime(span.start).time())
            closes.append(timezone.localtime(span.end).time())
    days = {day for _, day in columns}
    for appointment in appointments:
        if appointment.status in LIVE_STATUSES:
            start, end = appointment.local_start, appointment.local_end
            if start.date() in days:
                opens.append(start.time())
            if end.date() in days and end.time() != datetime.time.min:
                closes.append(end.time())
            elif end.date() not in days:
                closes.append(datetime.time(23, 59))
    open_at = min(opens, default=DEFAULT_OPEN)
    close_at = max(closes, default=DEFAULT_CLOSE)
    open_minutes = (open_at.hour * 60 + open_at.minute) // SLOT_MINUTES * SLOT_MINUTES
    close_minutes = min(
        math.ceil((close_at.hour * 60 + close_at.minute) / SLOT_MINUTES) * SLOT_MINUTES, 24 * 60
    )
    return open_minutes, close_minutes


def _rows_for(
    start: datetime.datetime,
    end: datetime.datetime,
    grid_start: datetime.datetime,
    grid_end: datetime.datetime,
) -> tuple[int, int]:
    """The CSS grid row and row span of a period, clipped to the grid (row 1 is the heading)."""
    first = min(max(start, grid_start), grid_end - SLOT)
    last = max(min(end, grid_end), first + SLOT)
    slot_seconds = SLOT_MINUTES * 60
    row = int((first - grid_start).total_seconds() // slot_seconds)
    end_row = math.ceil((last - grid_start).total_seconds() / slot_seconds)
    return row + 2, max(1, end_row - row)


def _build_grid(
    *,
    columns: list[tuple[Provider, datetime.date]],
    hours: list[WorkingHours],
    time_off: list[TimeOff],
    appointments: list[Appointment],
    now: datetime.datetime,
) -> ScheduleGrid:
    hours_by_provider: dict[int, list[WorkingHours]] = defaultdict(list)
    for block in hours:
        hours_by_provider[block.provider_id].append(block)
    open_minutes, close_minutes = _grid_hours(columns, hours_by_provider, appointments)
    row_count = max(1, (close_minutes - open_minutes) // SLOT_MINUTES)
    offsets = [
        datetime.timedelta(minutes=open_minutes + i * SLOT_MINUTES) for i in range(row_count)
    ]

    rows = []
    first_day = columns[0][1] if columns else timezone.localdate()
    midnight = datetime.datetime.combine(first_day, datetime.time.min)
    for index, offset in enumerate(offsets):
        wall = midnight + offset
        rows.append(
            GridRow(
                row=index + 2,  # row 1 holds the column headings
                start=timezone.make_aware(wall),
                label=f"{wall.hour}:{wall.minute:02d}" if wall.minute == 0 else "",
                on_the_hour=wall.minute == 0,
            )
        )

    grid_columns = []
    for position, (provider, day) in enumerate(columns):
        column = GridColumn(index=position + 2, provider=provider, day=day)
        day_span = availability.day_bounds(day)
        working = availability.working_spans(hours_by_provider[provider.pk], day)
        offs = [
            entry
            for entry in time_off
            if entry.provider_id == provider.pk and day_span.overlaps(entry.start, entry.end)
        ]
        mine = [
            appointment
            for appointment in appointments
            if appointment.provider_id == provider.pk
            and day_span.overlaps(appointment.start, appointment.end)
        ]
        live = [appointment for appointment in mine if appointment.status in LIVE_STATUSES]
        column.inactive = [
            appointment for appointment in mine if appointment.status not in LIVE_STATUSES
        ]
        day_midnight = datetime.datetime.combine(day, datetime.time.min)
        for index, offset in enumerate(offsets):
            start = timezone.make_aware(day_midnight + offset)
            end = start + SLOT
            if any(a.start < end and start < a.end for a in live):
                state = "busy"
            elif any(entry.start < end and start < entry.end for entry in offs):
                state = "off"
            elif not any(span.contains(start, end) for span in working):
                state = "closed"
            elif start < now:
                state = "past"
            else:
                state = "free"
            column.cells.append(GridCell(row=index + 2, start=start, state=state))
        grid_start = timezone.make_aware(day_midnight + offsets[0])
        grid_end = grid_start + row_count * SLOT
        for appointment in live:
            row, span = _rows_for(appointment.start, appointment.end, grid_start, grid_end)
            column.appointments.append(GridAppointment(appointment, row=row, span=span))
        for entry in offs:
            if entry.start < grid_end and grid_start < entry.end:
                row, span = _rows_for(entry.start, entry.end, grid_start, grid_end)
                column.time_off.append(GridTimeOff(entry, row=row, span=span))
        grid_columns.append(column)
    return ScheduleGrid(columns=grid_columns, rows=rows, now=now)


def schedule_grid_for_day(
    *,
    day: datetime.date,
    providers: list[Provider],
    now: datetime.datetime | None = None,
) -> ScheduleGrid:
    """The day view: one column per provider. Three queries (hours, time off, appointments)."""
    provider_ids = [provider.pk for provider in providers]
    bounds = availability.day_bounds(day)
    hours = list(WorkingHours.objects.filter(provider_id__in=provider_ids, weekday=day.weekday()))
    return _build_grid(
        columns=[(provider, day) for provider in providers],
        hours=hours,
        time_off=time_off_between(provider_ids, bounds.start, bounds.end),
        appointments=appointments_between(provider_ids, bounds.start, bounds.end),
        now=now or timezone.now(),
    )


def week_days(day: datetime.date) -> list[datetime.date]:
    monday = day - datetime.timedelta(days=day.weekday())
    return [monday + datetime.timedelta(days=offset) for offset in range(7)]


def schedule_grid_for_week(
    *,
    provider: Provider,
    day: datetime.date,
    now: datetime.datetime | None = None,
) -> ScheduleGrid:
    """The week view of one provider, Monday to Sunday; weekend days appear only when the
    provider works or has appointments then. Three queries."""
    days = week_days(day)
    start = availability.day_bounds(days[0]).start
    end = availability.day_bounds(days[-1]).end
    hours = list(WorkingHours.objects.filter(provider=provider))
    appointments = appointments_between([provider.pk], start, end)
    time_off = time_off_between([provider.pk], start, end)
    worked = {block.weekday for block in hours}
    booked = {appointment.local_start.date() for appointment in appointments}
    shown = [d for d in days if d.weekday() < 5 or d.weekday() in worked or d in booked]
    return _build_grid(
        columns=[(provider, d) for d in shown],
        hours=hours,
        time_off=time_off,
        appointments=appointments,
        now=now or timezone.now(),
    )
