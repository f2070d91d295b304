"""The clinic admin's settings screens (Django admin): types, working hours, time off."""

import datetime

import pytest
from django.urls import reverse

from scheduling.models import AppointmentType, TimeOff, WorkingHours
from tests.factories import ProviderFactory
from tests.scheduling.factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    WorkingHoursFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(client, clinic_admin):
    client.force_login(clinic_admin)
    return client


def test_clinic_admin_adds_an_appointment_type(admin_client_):
    response = admin_client_.post(
        reverse("admin:scheduling_appointmenttype_add"),
        {"name": "Wellness visit", "duration_minutes": 40, "color": "#123abc", "active": "on"},
    )

    assert response.status_code == 302
    created = AppointmentType.objects.get(name="Wellness visit")
    assert created.history.get().history_user.username == "clinicadmin-test"


def test_appointment_type_color_and_duration_are_checked(admin_client_):
    response = admin_client_.post(
        reverse("admin:scheduling_appointmenttype_add"),
        {"name": "Odd", "duration_minutes": 2, "color": "blue", "active": "on"},
    )

    html = response.content.decode()
    assert "Enter a color as # and six hex digits" in html
    assert "greater than or equal to 5" in html
    assert not AppointmentType.objects.filter(name="Odd").exists()


def test_overlapping_working_hours_are_refused_with_a_message(admin_client_, roles):
    provider = ProviderFactory()
    WorkingHoursFactory(provider=provider, weekday=0, start=datetime.time(8), end=datetime.time(12))

    response = admin_client_.post(
        reverse("admin:scheduling_workinghours_add"),
        {"provider": provider.pk, "weekday": 0, "start": "11:00", "end": "15:00"},
    )

    assert "These hours overlap 08:00-12:00 on the same day" in response.content.decode()
    assert WorkingHours.objects.count() == 1


def test_time_off_must_end_after_it_starts(admin_client_, roles):
    provider = ProviderFactory()

    response = admin_client_.post(
        reverse("admin:scheduling_timeoff_add"),
        {
            "provider": provider.pk,
            "start_0": "2026-12-01",
            "start_1": "12:00",
            "end_0": "2026-12-01",
            "end_1": "09:00",
            "reason": "Meeting",
        },
    )

    assert "Time off must end after it starts." in response.content.decode()
    assert not TimeOff.objects.exists()


def test_settings_are_never_deleted_and_appointments_are_read_only(admin_client_, roles):
    visit_type = AppointmentTypeFactory()
    appointment = AppointmentFactory()

    delete = admin_client_.get(
        reverse("admin:scheduling_appointmenttype_delete", args=[visit_type.pk])
    )
    add = admin_client_.get(reverse("admin:scheduling_appointment_add"))
    listing = admin_client_.get(reverse("admin:scheduling_appointment_changelist"))
    change = admin_client_.post(
        reverse("admin:scheduling_appointment_change", args=[appointment.pk]),
        {"status": "completed"},
    )

    assert delete.status_code == 403
    assert add.status_code == 403
    assert listing.status_code == 200
    assert change.status_code == 403
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_front_desk_cannot_reach_the_settings(client_as):
    client = client_as("front_desk")

    response = client.get(reverse("admin:scheduling_workinghours_changelist"))

    assert response.status_code == 302
    assert "/login/" in response.url
