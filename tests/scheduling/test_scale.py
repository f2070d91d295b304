"""The calendars on a table of 1,000,000 appointments: index-backed and fast.

Run with -s to see the measured times.
"""

import datetime
import time

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from scheduling import selectors, services
from scheduling.models import Appointment
from scheduling.selectors.ranges import overlapping
from tests.factories import PatientFactory, ProviderFactory
from tests.scheduling.factories import AppointmentTypeFactory, local, working_week

pytestmark = pytest.mark.django_db

APPOINTMENTS = 1_000_000
PROVIDERS = 10
SLOTS_PER_DAY = 32  # 8:00-16:00 in 15-minute visits


@pytest.fixture
def million_appointments(roles):
    providers = [ProviderFactory() for _ in range(PROVIDERS)]
    for provider in providers:
        working_week(provider, start=datetime.time(8), end=datetime.time(17), days=range(7))
    patients = [PatientFactory() for _ in range(200)]
    visit = AppointmentTypeFactory(name="Follow-up", duration_minutes=15)
    # About 8.5 years of full days per provider, today in the middle of the later half.
    days_back = APPOINTMENTS // PROVIDERS // SLOTS_PER_DAY // 2
    first_day = local(timezone.localdate() - datetime.timedelta(days=days_back), 8)
    with connection.cursor() as cursor:
        # The rows cannot overlap by construction. In one million-row statement the overlap
        # trigger would keep the plan it made for an empty table (a scan per row), so it is
        # off during the load and back on for the bookings measured below.
        cursor.execute(
            "ALTER TABLE scheduling_appointment DISABLE TRIGGER scheduling_appointment_no_overlap"
        )
        # Check the foreign keys row by row, not as a million events queued for the commit.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            """
            INSERT INTO scheduling_appointment (
                created_at, updated_at, patient_id, provider_id, appointment_type_id, start, "end",
                status, reason, notes, cancel_reason
            )
            SELECT now(), now(),
                   (%(patients)s::bigint[])[1 + n %% 200],
                   (%(providers)s::bigint[])[1 + n %% 10],
                   %(type)s,
                   slot_start, slot_start + interval '15 minutes',
                   CASE WHEN n %% 20 = 0 THEN 'cancelled'
                        WHEN n %% 20 = 1 THEN 'no_show'
                        WHEN slot_start < now() THEN 'completed'
                        ELSE 'booked' END,
                   'Follow-up', '',
                   CASE WHEN n %% 20 = 0 THEN 'Patient called' ELSE '' END
            FROM generate_series(0, %(last)s) AS n,
                 LATERAL (
                     SELECT %(first_day)s::timestamptz
                            + ((n / 10) / 32) * interval '1 day'
                            + ((n / 10) %% 32) * interval '15 minutes' AS slot_start
                 ) AS slot
            """,
            {
                "patients": [patient.pk for patient in patients],
                "providers": [provider.pk for provider in providers],
                "type": visit.pk,
                "first_day": first_day,
                "last": APPOINTMENTS - 1,
            },
        )
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(
            "ALTER TABLE scheduling_appointment ENABLE TRIGGER scheduling_appointment_no_overlap"
        )
        cursor.execute("ANALYZE scheduling_appointment")
    return providers, patients, visit


def _best_of(runs: int, action) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return min(timings)


def test_calendars_stay_fast_on_a_million_appointments(million_appointments, client_as):
    providers, patients, visit = million_appointments
    today = timezone.localdate()
    assert Appointment.objects.count() == APPOINTMENTS

    day = (local(today, 0), local(today + datetime.timedelta(days=1), 0))
    everyone = overlapping(
        Appointment.objects.filter(provider_id__in=[p.pk for p in providers]), *day
    ).explain()
    one_provider = overlapping(
        Appointment.objects.filter(provider_id=providers[0].pk), *day
    ).explain()
    # Postgres reads a short range of the (provider, start) or the start index, never the table.
    for plan in (everyone, one_provider):
        assert "Seq Scan on scheduling_appointment" not in plan, plan
        assert "using appointment_provider_start" in plan or "using appointment_start" in plan, plan

    selector_time = _best_of(
        5, lambda: selectors.schedule_grid_for_day(day=today, providers=providers)
    )
    grid = selectors.schedule_grid_for_day(day=today, providers=providers)
    drawn = sum(len(column.appointments) for column in grid.columns)
    assert drawn > 250

    client = client_as("front_desk")
    day_url = reverse("scheduling:day")
    client.get(day_url)  # warm caches
    day_view_time = _best_of(5, lambda: client.get(day_url, {"date": today.isoformat()}))
    week_view_time = _best_of(
        5,
        lambda: client.get(
            reverse("scheduling:week"), {"provider": providers[0].pk, "date": today.isoformat()}
        ),
    )
    today_list_time = _best_of(3, lambda: client.get(reverse("scheduling:today")))

    # Booking checks the trigger and the rules against the big table too.
    free_day = today + datetime.timedelta(days=4000)
    booking_time = _best_of(
        1,
        lambda: services.appointment_book(
            patient=patients[0],
            provider=providers[0],
            appointment_type=visit,
            start=local(free_day, 9),
            booked_by=None,
        ),
    )

    print(
        f"\n1,000,000 appointments: day view of {PROVIDERS} providers ({drawn} appointments drawn)"
        f" selector {selector_time * 1000:.0f} ms, whole view {day_view_time * 1000:.0f} ms;"
        f" week view {week_view_time * 1000:.0f} ms; today list {today_list_time * 1000:.0f} ms;"
        f" booking {booking_time * 1000:.0f} ms"
    )
    assert selector_time < 0.3
    assert day_view_time < 1.0
    assert week_view_time < 1.0
    assert today_list_time < 1.0
    assert booking_time < 0.3
