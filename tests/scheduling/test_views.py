import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from scheduling.models import Appointment, AppointmentStatus
from tests.factories import CoverageFactory, PatientFactory, ProviderFactory
from tests.scheduling.factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    TimeOffFactory,
    local,
    working_week,
)

pytestmark = pytest.mark.django_db

EVERY_DAY = range(7)


@pytest.fixture
def tomorrow():
    return timezone.localdate() + datetime.timedelta(days=1)


@pytest.fixture
def desk(client_as):
    return client_as("front_desk")


@pytest.fixture
def open_provider(roles):
    """Works every day 7:00-19:00, so that tomorrow always has free slots."""
    provider = ProviderFactory(user__first_name="Priya", user__last_name="Raman")
    working_week(provider, start=datetime.time(7), end=datetime.time(19), days=EVERY_DAY)
    return provider


def booking(patient, provider, visit_type, day, time="10:00", **extra):
    return {
        "patient": patient.pk,
        "provider": provider.pk,
        "appointment_type": visit_type.pk,
        "date": day.isoformat(),
        "time": time,
        "reason": "Cough for two weeks",
        "notes": "",
        **extra,
    }


def now_on_the_quarter() -> datetime.datetime:
    now = timezone.localtime().replace(second=0, microsecond=0)
    return now - datetime.timedelta(minutes=now.minute % 15)


class TestBooking:
    def test_front_desk_books_and_lands_on_that_day(
        self, desk, patient, open_provider, visit_type, tomorrow
    ):
        response = desk.post(
            reverse("scheduling:book"), booking(patient, open_provider, visit_type, tomorrow)
        )

        appointment = Appointment.objects.get()
        assert response.status_code == 302
        assert response.url == f"{reverse('scheduling:day')}?date={tomorrow.isoformat()}"
        assert appointment.start == local(tomorrow, 10)
        assert appointment.end == local(tomorrow, 10, 30)
        assert appointment.booked_by == response.wsgi_request.user
        page = desk.get(response.url).content.decode()
        assert "Booked Maria Gonzalez with Priya Raman, MD" in page
        assert "Gonzalez, Maria" in page

    def test_second_booking_into_the_same_slot_is_refused_with_a_message(
        self, desk, patient, open_provider, visit_type, tomorrow
    ):
        desk.post(reverse("scheduling:book"), booking(patient, open_provider, visit_type, tomorrow))

        response = desk.post(
            reverse("scheduling:book"),
            booking(PatientFactory(), open_provider, visit_type, tomorrow, time="10:15"),
        )

        assert response.status_code == 200
        assert "already has an appointment from 10:00 to 10:30" in response.content.decode()
        assert Appointment.objects.count() == 1

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"patient": ""}, "Search for the patient and pick them from the list."),
            ({"patient": "999999"}, "That patient cannot be booked"),
            ({"date": "31/31/2026"}, "Enter a valid date."),
            ({"time": "25:99"}, "Enter a valid time."),
            ({"appointment_type": ""}, "This field is required."),
            ({"provider": "abc"}, "Select a valid choice."),
            ({"time": "20:00"}, "does not work 20:00-20:30"),
            ({"date": "2020-01-06"}, "That time has already passed."),
        ],
    )
    def test_bad_input_shows_a_message_and_saves_nothing(
        self, desk, patient, open_provider, visit_type, tomorrow, change, message
    ):
        response = desk.post(
            reverse("scheduling:book"),
            {**booking(patient, open_provider, visit_type, tomorrow), **change},
        )

        assert response.status_code == 200
        assert message in response.content.decode()
        assert not Appointment.objects.exists()

    def test_booking_during_time_off_names_the_reason(
        self, desk, patient, open_provider, visit_type, tomorrow
    ):
        TimeOffFactory(
            provider=open_provider,
            start=local(tomorrow, 9),
            end=local(tomorrow, 12),
            reason="Conference",
        )

        response = desk.post(
            reverse("scheduling:book"), booking(patient, open_provider, visit_type, tomorrow)
        )

        assert "is away then (Conference" in response.content.decode()

    def test_a_clicked_slot_prefills_the_form(self, desk, open_provider, patient, tomorrow):
        start = local(tomorrow, 10, 15)

        response = desk.get(
            reverse("scheduling:book"),
            {"provider": open_provider.pk, "start": start.isoformat(), "patient": patient.pk},
        )

        form = response.context["form"]
        assert form.initial["provider"] == open_provider.pk
        assert (form.initial["date"], form.initial["time"]) == (tomorrow, datetime.time(10, 15))
        assert 'value="10:15"' in response.content.decode()
        assert f'id="patient-choice-{patient.pk}" value="{patient.pk}" checked' in (
            response.content.decode()
        )

    def test_patient_search_as_you_type_offers_radio_choices(self, desk):
        match = PatientFactory(first_name="Ingrid", last_name="Featherstone")
        PatientFactory(first_name="Bob", last_name="Smith")

        response = desk.get(reverse("scheduling:patient_search"), {"q": "feath"})

        assert list(response.context["patients"]) == [match]
        assert f'name="patient" id="patient-choice-{match.pk}" value="{match.pk}"' in (
            response.content.decode()
        )

    def test_patient_search_keeps_the_chosen_patient_and_escapes_names(self, desk):
        chosen = PatientFactory(first_name="<b>Bold</b>", last_name="Zed")

        response = desk.get(
            reverse("scheduling:patient_search"), {"q": "nobody", "patient": chosen.pk}
        )

        html = response.content.decode()
        assert "checked" in html
        assert "<b>Bold</b>" not in html
        assert "&lt;b&gt;Bold&lt;/b&gt;" in html


class TestDayView:
    def test_draws_each_appointment_in_its_providers_column_at_its_length(
        self, client_as, open_provider, tomorrow
    ):
        other = ProviderFactory(user__last_name="Walsh")
        working_week(other, days=EVERY_DAY)
        physical = AppointmentTypeFactory(name="Physical", duration_minutes=45, color="#d63384")
        appointment = AppointmentFactory(
            provider=open_provider,
            appointment_type=physical,
            start=local(tomorrow, 9),
            patient=PatientFactory(first_name="Ann", last_name="Lee"),
        )

        response = client_as("billing").get(
            reverse("scheduling:day"), {"date": tomorrow.isoformat()}
        )

        grid = response.context["grid"]
        assert [column.provider for column in grid.columns] == [open_provider, other]
        [drawn] = grid.columns[0].appointments
        assert drawn.appointment == appointment
        # 7:00 is the first row (row 2, under the headings); 9:00 is eight rows later.
        assert (drawn.row, drawn.span) == (10, 3)
        assert grid.columns[1].appointments == []
        html = response.content.decode()
        assert "Lee, Ann" in html
        assert "border-left-color: #d63384" in html
        assert "Booked" in html

    def test_free_slots_link_to_booking_only_for_those_who_book(
        self, client_as, open_provider, tomorrow
    ):
        query = {"date": tomorrow.isoformat()}

        desk_html = client_as("front_desk").get(reverse("scheduling:day"), query).content.decode()
        billing_html = client_as("billing").get(reverse("scheduling:day"), query).content.decode()

        assert 'class="sg-cell sg-free' in desk_html
        assert f"{reverse('scheduling:book')}?provider={open_provider.pk}" in desk_html
        assert reverse("scheduling:book") + "?provider=" not in billing_html

    def test_time_off_and_closed_hours_are_not_free(self, client_as, roles, tomorrow):
        provider = ProviderFactory()
        working_week(provider, days=EVERY_DAY)  # 8:00-17:00
        TimeOffFactory(
            provider=provider, start=local(tomorrow, 12), end=local(tomorrow, 13), reason="Lunch"
        )
        AppointmentFactory(provider=provider, start=local(tomorrow, 18))  # booked after hours

        response = client_as("front_desk").get(
            reverse("scheduling:day"), {"date": tomorrow.isoformat()}
        )

        cells = {
            timezone.localtime(cell.start).time(): cell.state
            for cell in response.context["grid"].columns[0].cells
        }
        assert cells[datetime.time(8)] == "free"
        assert cells[datetime.time(12, 15)] == "off"
        assert cells[datetime.time(17, 15)] == "closed"
        assert cells[datetime.time(18)] == "busy"
        assert "Away: Lunch" in response.content.decode()

    def test_cancelled_appointments_are_listed_not_drawn(self, client_as, open_provider, tomorrow):
        AppointmentFactory(
            provider=open_provider,
            start=local(tomorrow, 9),
            status=AppointmentStatus.CANCELLED,
            cancel_reason="Called",
            patient=PatientFactory(last_name="Gone"),
        )

        response = client_as("front_desk").get(
            reverse("scheduling:day"), {"date": tomorrow.isoformat()}
        )

        column = response.context["grid"].columns[0]
        assert column.appointments == []
        assert [appointment.patient.last_name for appointment in column.inactive] == ["Gone"]
        assert "slot freed" in response.content.decode()

    def test_filter_by_provider(self, client_as, open_provider, tomorrow):
        other = ProviderFactory()

        response = client_as("front_desk").get(
            reverse("scheduling:day"), {"date": tomorrow.isoformat(), "provider": other.pk}
        )

        assert [column.provider for column in response.context["grid"].columns] == [other]

    def test_htmx_navigation_gets_only_the_calendar(self, client_as, open_provider, tomorrow):
        response = client_as("front_desk").get(
            reverse("scheduling:day"), {"date": tomorrow.isoformat()}, HTTP_HX_REQUEST="true"
        )

        html = response.content.decode()
        assert "<html" not in html
        assert 'id="schedule-grid"' in html
        assert f'hx-get="{reverse("scheduling:day")}?date=' in html

    def test_unreadable_date_falls_back_to_today_with_a_note(self, client_as, open_provider):
        response = client_as("front_desk").get(reverse("scheduling:day"), {"date": "yesterday"})

        assert response.status_code == 200
        assert response.context["day"] == timezone.localdate()
        assert "could not be read" in response.content.decode()

    def test_patient_names_are_escaped(self, client_as, open_provider, tomorrow):
        AppointmentFactory(
            provider=open_provider,
            start=local(tomorrow, 9),
            patient=PatientFactory(first_name="<script>alert(1)</script>"),
            reason="<img src=x onerror=alert(2)>",
        )

        html = (
            client_as("front_desk")
            .get(reverse("scheduling:day"), {"date": tomorrow.isoformat()})
            .content.decode()
        )

        assert "<script>alert(1)</script>" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def _fill_day(providers, day, per_provider):
    for provider in providers:
        for index in range(per_provider):
            start = local(day, 7) + datetime.timedelta(minutes=30 * index)
            AppointmentFactory(provider=provider, start=start)


def test_day_view_of_ten_providers_takes_the_same_queries_however_full(
    client_as, roles, tomorrow, django_assert_max_num_queries
):
    providers = [ProviderFactory() for _ in range(10)]
    for provider in providers:
        working_week(provider, days=EVERY_DAY)
    client = client_as("front_desk")
    url = reverse("scheduling:day")
    query = {"date": tomorrow.isoformat()}
    _fill_day(providers, tomorrow, 2)
    client.get(url, query)  # warm the clinic-name cache of the page header

    with django_assert_max_num_queries(12) as few:
        client.get(url, query)
    for provider in providers:
        for index in range(2, 18):
            AppointmentFactory(
                provider=provider, start=local(tomorrow, 7) + datetime.timedelta(minutes=30 * index)
            )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url, query)

    assert sum(len(column.appointments) for column in response.context["grid"].columns) == 180


def test_week_view_takes_the_same_queries_however_full(
    client_as, open_provider, tomorrow, django_assert_max_num_queries
):
    client = client_as("clinician")
    url = reverse("scheduling:week")
    query = {"provider": open_provider.pk, "date": tomorrow.isoformat()}
    AppointmentFactory(provider=open_provider, start=local(tomorrow, 9))
    client.get(url, query)  # warm the clinic-name cache of the page header

    with django_assert_max_num_queries(12) as few:
        client.get(url, query)
    for offset in range(-6, 7):
        day = tomorrow + datetime.timedelta(days=offset)
        for hour in (10, 11, 12, 13, 14):
            AppointmentFactory(provider=open_provider, start=local(day, hour))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url, query)

    assert len(response.context["grid"].columns) == 7
    assert sum(len(column.appointments) for column in response.context["grid"].columns) >= 20


def test_week_view_shows_weekends_only_when_someone_works(client_as, roles, tomorrow):
    provider = ProviderFactory()
    working_week(provider)  # Monday to Friday

    response = client_as("front_desk").get(
        reverse("scheduling:week"), {"provider": provider.pk, "date": tomorrow.isoformat()}
    )

    assert [column.day.weekday() for column in response.context["grid"].columns] == [0, 1, 2, 3, 4]


class TestToday:
    def test_lists_todays_appointments_with_status_and_check_in(self, client_as, open_provider):
        booked = AppointmentFactory(provider=open_provider, start=now_on_the_quarter())
        CoverageFactory(patient=booked.patient, effective_from=datetime.date(2020, 1, 1))
        self_pay = AppointmentFactory(
            start=now_on_the_quarter(), patient=PatientFactory(last_name="Selfpay")
        )

        response = client_as("front_desk").get(reverse("scheduling:today"))

        html = response.content.decode()
        assert {appointment.pk for appointment in response.context["page"]} == {
            booked.pk,
            self_pay.pk,
        }
        assert reverse("scheduling:appointment_check_in", args=[booked.pk]) in html
        assert "No coverage on file" in html

    def test_query_count_does_not_grow_with_rows(
        self, client_as, roles, django_assert_max_num_queries
    ):
        client = client_as("front_desk")
        start = now_on_the_quarter()
        for _ in range(3):
            CoverageFactory(patient=AppointmentFactory(start=start).patient)
        client.get(reverse("scheduling:today"))  # warm the clinic-name cache of the page header

        with django_assert_max_num_queries(14) as few:
            client.get(reverse("scheduling:today"))
        for _ in range(20):
            CoverageFactory(patient=AppointmentFactory(start=start).patient)
        with django_assert_max_num_queries(len(few.captured_queries)):
            response = client.get(reverse("scheduling:today"))

        assert len(response.context["page"]) == 23


class TestCheckIn:
    def test_flags_missing_coverage(self, desk, roles):
        appointment = AppointmentFactory(start=now_on_the_quarter())

        html = desk.get(
            reverse("scheduling:appointment_check_in", args=[appointment.pk])
        ).content.decode()

        assert "No coverage on file" in html

    def test_offers_the_copay_beside_the_check_in(self, desk, roles):
        appointment = AppointmentFactory(start=now_on_the_quarter())

        html = desk.get(
            reverse("scheduling:appointment_check_in", args=[appointment.pk])
        ).content.decode()

        assert f'href="{reverse("billing:copay", args=[appointment.patient_id])}"' in html

    def test_flags_expired_coverage(self, desk, roles):
        appointment = AppointmentFactory(start=now_on_the_quarter())
        CoverageFactory(
            patient=appointment.patient,
            effective_from=datetime.date(2020, 1, 1),
            effective_to=datetime.date(2024, 12, 31),
        )

        html = desk.get(
            reverse("scheduling:appointment_check_in", args=[appointment.pk])
        ).content.decode()

        assert "coverage expired on 12/31/2024" in html
        assert "No coverage in effect today" in html

    def test_confirming_marks_arrived_with_the_coverage(self, desk, roles):
        appointment = AppointmentFactory(start=now_on_the_quarter())
        coverage = CoverageFactory(
            patient=appointment.patient, effective_from=datetime.date(2020, 1, 1)
        )
        url = reverse("scheduling:appointment_check_in", args=[appointment.pk])

        response = desk.post(url, {"demographics_confirmed": "on", "coverage": coverage.pk})

        assert response.status_code == 302
        assert response.url == reverse("scheduling:today")
        appointment.refresh_from_db()
        assert appointment.status == AppointmentStatus.ARRIVED
        assert appointment.checked_in_coverage == coverage
        assert appointment.arrived_at is not None

    def test_without_confirmation_nothing_changes(self, desk, roles):
        appointment = AppointmentFactory(start=now_on_the_quarter())

        response = desk.post(reverse("scheduling:appointment_check_in", args=[appointment.pk]), {})

        assert response.status_code == 200
        assert "Confirm the patient&#x27;s name" in response.content.decode()
        appointment.refresh_from_db()
        assert appointment.status == AppointmentStatus.BOOKED

    def test_checking_in_twice_is_refused_with_a_message(self, desk, roles):
        appointment = AppointmentFactory(
            start=now_on_the_quarter(), status=AppointmentStatus.ARRIVED
        )

        response = desk.post(
            reverse("scheduling:appointment_check_in", args=[appointment.pk]),
            {"demographics_confirmed": "on"},
        )

        assert response.status_code == 200
        assert "it cannot be marked arrived" in response.content.decode()


class TestChanges:
    def test_cancel_needs_a_reason_then_frees_the_slot(self, desk, open_provider, tomorrow):
        appointment = AppointmentFactory(provider=open_provider, start=local(tomorrow, 10))
        url = reverse("scheduling:appointment_cancel", args=[appointment.pk])

        refused = desk.post(url, {"reason": ""})
        done = desk.post(url, {"reason": "Patient called"})

        assert "Say why the appointment is cancelled." in refused.content.decode()
        assert done.status_code == 302
        appointment.refresh_from_db()
        assert (appointment.status, appointment.cancel_reason) == ("cancelled", "Patient called")

    def test_reschedule_moves_or_explains_why_not(self, desk, open_provider, visit_type, tomorrow):
        appointment = AppointmentFactory(
            provider=open_provider, appointment_type=visit_type, start=local(tomorrow, 10)
        )
        AppointmentFactory(provider=open_provider, start=local(tomorrow, 14))
        url = reverse("scheduling:appointment_reschedule", args=[appointment.pk])
        data = {
            "provider": open_provider.pk,
            "appointment_type": visit_type.pk,
            "date": tomorrow.isoformat(),
        }

        refused = desk.post(url, {**data, "time": "14:15"})
        moved = desk.post(url, {**data, "time": "15:00"})

        assert "already has an appointment from 14:00" in refused.content.decode()
        assert moved.status_code == 302
        appointment.refresh_from_db()
        assert appointment.start == local(tomorrow, 15)

    def test_an_illegal_status_step_is_a_message_not_an_error(self, desk, roles):
        appointment = AppointmentFactory(start=now_on_the_quarter())

        response = desk.post(
            reverse("scheduling:appointment_status", args=[appointment.pk]),
            {"status": "completed"},
            follow=True,
        )

        assert response.status_code == 200
        assert "it cannot be marked completed" in response.content.decode()

    def test_an_unknown_status_is_a_message(self, desk, roles):
        appointment = AppointmentFactory(start=now_on_the_quarter())

        response = desk.post(
            reverse("scheduling:appointment_status", args=[appointment.pk]),
            {"status": "teleported"},
            follow=True,
        )

        assert "Choose a valid status." in response.content.decode()

    def test_status_change_returns_to_a_safe_next_page_only(self, desk, roles):
        appointment = AppointmentFactory(start=now_on_the_quarter() - datetime.timedelta(hours=1))
        url = reverse("scheduling:appointment_status", args=[appointment.pk])

        response = desk.post(url, {"status": "no_show", "next": "https://evil.example/"})

        assert response.url == appointment.get_absolute_url()

    def test_detail_shows_who_did_what(self, desk, front_desk, open_provider, tomorrow):
        from scheduling import services

        appointment = services.appointment_book(
            patient=PatientFactory(),
            provider=open_provider,
            appointment_type=AppointmentTypeFactory(name="Follow-up"),
            start=local(tomorrow, 10),
            booked_by=front_desk,
        )

        html = desk.get(appointment.get_absolute_url()).content.decode()

        assert f"{front_desk} · Booked for" in html


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("scheduling:book", {"start": "2026-13-45T10:00:00", "provider": "x", "patient": "-1"}),
        ("scheduling:find", {"appointment_type": "1", "cursor": "2026-02-30T10:00:00+00:00"}),
        ("scheduling:find", {"appointment_type": "nope", "after": "someday"}),
        ("scheduling:day", {"date": "2026-02-30", "provider": ["x", "999"]}),
        ("scheduling:week", {"date": "", "provider": "abc"}),
        ("scheduling:today", {"date": "31/31/2026", "page": "last"}),
    ],
)
def test_garbled_query_strings_never_fail(client_as, open_provider, visit_type, name, query):
    response = client_as("front_desk").get(reverse(name), query)

    assert response.status_code == 200


def test_find_next_available_lists_slots_that_link_to_booking(client_as, open_provider, visit_type):
    response = client_as("front_desk").get(
        reverse("scheduling:find"), {"appointment_type": visit_type.pk}
    )

    slots = response.context["slots"]
    assert len(slots) == 12
    assert slots == sorted(slots, key=lambda slot: slot.start)
    assert all(slot.start >= timezone.now() for slot in slots)
    html = response.content.decode()
    assert f"appointment_type={visit_type.pk}" in html
    assert "Later slots" in html


def test_find_without_a_type_asks_for_one(client_as, open_provider):
    response = client_as("front_desk").get(reverse("scheduling:find"), {"provider": ""})

    assert "Choose the type of appointment." in response.content.decode()
    assert response.context["slots"] is None
