import datetime

import pytest

from scheduling import selectors
from scheduling.availability import Span, ceil_to_slot, free_starts, within_working_hours
from scheduling.models import AppointmentStatus
from tests.factories import ProviderFactory
from tests.scheduling.factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    TimeOffFactory,
    WorkingHoursFactory,
    local,
)

pytestmark = pytest.mark.django_db


def starts(slots):
    return [(slot.start, slot.provider.pk) for slot in slots]


def test_next_available_skips_bookings_time_off_and_the_past(provider, visit_type, monday):
    AppointmentFactory(provider=provider, start=local(monday, 8), end=local(monday, 9))
    TimeOffFactory(provider=provider, start=local(monday, 9, 30), end=local(monday, 10))

    slots = selectors.available_slots(
        appointment_type=visit_type,
        providers=[provider],
        after=local(monday, 7),
        limit=4,
        now=local(monday, 7),
    )

    assert starts(slots) == [
        (local(monday, 9), provider.pk),
        (local(monday, 10), provider.pk),
        (local(monday, 10, 15), provider.pk),
        (local(monday, 10, 30), provider.pk),
    ]


def test_next_available_starts_from_now_rounded_up_to_the_quarter_hour(
    provider, visit_type, monday
):
    slots = selectors.available_slots(
        appointment_type=visit_type,
        providers=[provider],
        after=local(monday, 7),
        limit=1,
        now=local(monday, 13, 7),
    )

    assert starts(slots) == [(local(monday, 13, 15), provider.pk)]


def test_a_slot_must_fit_the_whole_type_before_closing(provider, monday):
    hour_long = AppointmentTypeFactory(name="Physical", duration_minutes=60)

    slots = selectors.available_slots(
        appointment_type=hour_long,
        providers=[provider],
        after=local(monday, 15, 30),
        limit=4,
        now=local(monday, 7),
    )

    # From 16:15 on, an hour would run past 17:00; Tuesday starts at 8:00.
    tuesday = monday + datetime.timedelta(days=1)
    assert starts(slots) == [
        (local(monday, 15, 30), provider.pk),
        (local(monday, 15, 45), provider.pk),
        (local(monday, 16), provider.pk),
        (local(tuesday, 8), provider.pk),
    ]


def test_cancelled_appointments_do_not_block_a_slot(provider, visit_type, monday):
    AppointmentFactory(
        provider=provider,
        start=local(monday, 8),
        status=AppointmentStatus.CANCELLED,
        cancel_reason="Called",
    )

    slots = selectors.available_slots(
        appointment_type=visit_type,
        providers=[provider],
        after=local(monday, 7),
        limit=1,
        now=local(monday, 7),
    )

    assert starts(slots) == [(local(monday, 8), provider.pk)]


def test_any_provider_merges_everyones_slots_in_time_order(
    provider, other_provider, visit_type, monday
):
    AppointmentFactory(provider=provider, start=local(monday, 8), end=local(monday, 8, 30))

    slots = selectors.available_slots(
        appointment_type=visit_type,
        providers=[provider, other_provider],
        after=local(monday, 7),
        limit=3,
        now=local(monday, 7),
    )

    assert starts(slots) == [
        (local(monday, 8), other_provider.pk),
        (local(monday, 8, 15), other_provider.pk),
        (local(monday, 8, 30), provider.pk),
    ]


def test_a_week_of_vacation_moves_the_next_slot_to_the_week_after(provider, visit_type, monday):
    TimeOffFactory(
        provider=provider,
        start=local(monday, 0),
        end=local(monday + datetime.timedelta(days=7), 0),
        reason="Vacation",
    )

    slots = selectors.available_slots(
        appointment_type=visit_type,
        providers=[provider],
        after=local(monday, 7),
        limit=1,
        now=local(monday, 7),
    )

    assert starts(slots) == [(local(monday + datetime.timedelta(days=7), 8), provider.pk)]


def test_provider_without_hours_has_no_slots(roles, visit_type, monday):
    slots = selectors.available_slots(
        appointment_type=visit_type,
        providers=[ProviderFactory()],
        after=local(monday, 7),
        now=local(monday, 7),
    )

    assert slots == []


def test_next_available_reads_a_week_at_a_time(
    provider, visit_type, monday, django_assert_max_num_queries
):
    for hour in range(8, 17):
        AppointmentFactory(
            provider=provider, start=local(monday, hour), end=local(monday, hour, 59)
        )

    with django_assert_max_num_queries(3):
        slots = selectors.available_slots(
            appointment_type=visit_type,
            providers=[provider],
            after=local(monday, 7),
            limit=5,
            now=local(monday, 7),
        )

    assert len(slots) == 5


def test_working_hours_check_refuses_spans_past_midnight(roles, monday):
    provider = ProviderFactory()
    block = WorkingHoursFactory(
        provider=provider, weekday=0, start=datetime.time(0), end=datetime.time(23, 45)
    )

    assert within_working_hours([block], local(monday, 23), local(monday, 23, 45))
    assert not within_working_hours(
        [block], local(monday, 23, 30), local(monday, 23, 30) + datetime.timedelta(hours=1)
    )


def test_free_starts_jumps_over_a_clash_onto_the_grid(monday):
    block = Span(local(monday, 8), local(monday, 10))
    busy = [Span(local(monday, 8, 10), local(monday, 8, 50))]

    found = free_starts(
        working=[block],
        busy=busy,
        duration=datetime.timedelta(minutes=30),
        not_before=local(monday, 7),
    )

    assert found[:2] == [local(monday, 9), local(monday, 9, 15)]
    assert found[-1] == local(monday, 9, 30)


def test_ceil_to_slot(monday):
    assert ceil_to_slot(local(monday, 9)) == local(monday, 9)
    assert ceil_to_slot(local(monday, 9, 1)) == local(monday, 9, 15)
    assert ceil_to_slot(local(monday, 9, 59)) == local(monday, 10)
