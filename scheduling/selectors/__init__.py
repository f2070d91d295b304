"""Reads that shape the scheduling pages. Each decides its page's queries in one place."""

from scheduling.selectors.appointments import (
    appointment_get_for_detail,
    appointment_history,
    appointment_list_for_day,
    coverage_problems,
)
from scheduling.selectors.calendar import (
    ScheduleGrid,
    provider_list_for_schedule,
    schedule_grid_for_day,
    schedule_grid_for_week,
    week_days,
)
from scheduling.selectors.slots import OpenSlot, available_slots

__all__ = [
    "OpenSlot",
    "ScheduleGrid",
    "appointment_get_for_detail",
    "appointment_history",
    "appointment_list_for_day",
    "available_slots",
    "coverage_problems",
    "provider_list_for_schedule",
    "schedule_grid_for_day",
    "schedule_grid_for_week",
    "week_days",
]
