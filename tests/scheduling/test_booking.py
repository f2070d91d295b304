import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from scheduling import services
from scheduling.models import Appointment, AppointmentStatus
from scheduling.services import booking
from tests.factories import ProviderFactory
from tests.scheduling.factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    TimeOffFactory,
    WorkingHoursFactory,
    local,
)

pytestmark = pytest.mark.django_db


def messages_of(excinfo) -> str:
    return " ".join(excinfo.value.messages)


def test_booking_takes_its_end_from_the_type_duration(book, monday):
    appointment = book(
        appointment_type=AppointmentTypeFactory(name="Physical", duration_minutes=45)
    )

    assert appointment.start == local(monday, 9)
    assert appointment.end == local(monday, 9, 45)
    assert appointment.status == AppointmentStatus.BOOKED


def test_booking_records_who_booked_in_the_history(book, front_desk):
    appointment = book(booked_by=front_desk)

    assert appointment.booked_by == front_desk
    assert appointment.history.get().history_user == front_desk


def test_booking_refuses_overlap_for_same_provider(book, make_patient, monday):
    book()

    with pytest.raises(ValidationError) as excinfo:
        book(patient=make_patient(), at=local(monday, 9, 15))

    assert "already has an appointment from 09:00 to 09:30" in messages_of(excinfo)
    assert Appointment.objects.count() == 1


def test_booking_allows_back_to_back_appointments(book, make_patient, monday):
    book()
    book(patient=make_patient(), at=local(monday, 9, 30))
    book(patient=make_patient(), at=local(monday, 8, 30))

    assert Appointment.objects.count() == 3


def test_same_time_with_another_provider_is_fine(book, make_patient, other_provider):
    book()
    book(patient=make_patient(), provider=other_provider)

    assert Appointment.objects.count() == 2


@pytest.mark.parametrize(
    ("hour", "minute", "weekday_offset"),
    [
        (7, 45, 0),  # before 8:00
        (16, 45, 0),  # ends 17:15, after 17:00
        (10, 0, 5),  # Saturday
    ],
)
def test_booking_refuses_time_outside_working_hours(book, monday, hour, minute, weekday_offset):
    day = monday + datetime.timedelta(days=weekday_offset)

    with pytest.raises(ValidationError) as excinfo:
        book(at=local(day, hour, minute))

    assert "does not work" in messages_of(excinfo)
    assert not Appointment.objects.exists()


def test_saturday_refusal_says_there_are_no_hours_that_day(book, monday):
    with pytest.raises(ValidationError) as excinfo:
        book(at=local(monday + datetime.timedelta(days=5), 10))

    assert "no working hours on Saturdays" in messages_of(excinfo)


def test_touching_working_blocks_count_as_one(roles, patient, visit_type, early_monday, monday):
    provider = ProviderFactory()
    WorkingHoursFactory(provider=provider, weekday=0, start=datetime.time(8), end=datetime.time(12))
    WorkingHoursFactory(
        provider=provider, weekday=0, start=datetime.time(12), end=datetime.time(17)
    )

    appointment = services.appointment_book(
        patient=patient,
        provider=provider,
        appointment_type=visit_type,
        start=local(monday, 11, 45),
        booked_by=None,
        now=early_monday,
    )

    assert appointment.end == local(monday, 12, 15)


def test_booking_refuses_a_lunch_break_between_blocks(
    roles, patient, visit_type, early_monday, monday
):
    provider = ProviderFactory()
    WorkingHoursFactory(provider=provider, weekday=0, start=datetime.time(8), end=datetime.time(12))
    WorkingHoursFactory(
        provider=provider, weekday=0, start=datetime.time(13), end=datetime.time(17)
    )

    with pytest.raises(ValidationError) as excinfo:
        services.appointment_book(
            patient=patient,
            provider=provider,
            appointment_type=visit_type,
            start=local(monday, 11, 45),
            booked_by=None,
            now=early_monday,
        )

    assert "08:00-12:00, 13:00-17:00" in messages_of(excinfo)


def test_booking_refuses_time_off(book, provider, monday):
    TimeOffFactory(
        provider=provider, start=local(monday, 8), end=local(monday, 10), reason="Vacation"
    )

    with pytest.raises(ValidationError) as excinfo:
        book(at=local(monday, 9, 45))

    assert "is away then (Vacation" in messages_of(excinfo)
    assert not Appointment.objects.exists()


def test_time_off_of_another_provider_does_not_matter(book, other_provider, monday):
    TimeOffFactory(provider=other_provider, start=local(monday, 8), end=local(monday, 17))

    assert book().pk


def test_booking_refuses_the_past(book, monday):
    with pytest.raises(ValidationError) as excinfo:
        book(at=local(monday, 9), now=local(monday, 9, 1))

    assert "already passed" in messages_of(excinfo)
    assert excinfo.value.error_dict["start"]


def test_one_patient_cannot_hold_two_overlapping_appointments(book, other_provider, monday):
    book()

    with pytest.raises(ValidationError) as excinfo:
        book(provider=other_provider, at=local(monday, 9, 15))

    assert "already has an appointment at" in messages_of(excinfo)
    assert list(excinfo.value.error_dict) == ["patient"]


@pytest.mark.parametrize("freed_by", ["cancel", "no_show"])
def test_cancelled_and_no_show_appointments_stay_on_record_and_free_the_slot(
    book, make_patient, monday, freed_by
):
    first = book()
    if freed_by == "cancel":
        services.appointment_cancel(appointment=first, reason="Patient called", by=None)
    else:
        services.appointment_set_status(
            appointment=first, status=AppointmentStatus.NO_SHOW, by=None, now=local(monday, 9, 20)
        )

    second = book(patient=make_patient(), now=local(monday, 7))

    assert second.start == first.start
    assert Appointment.objects.count() == 2


def test_inactive_patient_type_and_provider_are_refused(book, patient, provider, visit_type):
    patient.active = False
    patient.save()
    with pytest.raises(ValidationError, match="inactive"):
        book()

    patient.active = True
    patient.save()
    visit_type.active = False
    visit_type.save()
    with pytest.raises(ValidationError, match="no longer offered"):
        book()

    visit_type.active = True
    visit_type.save()
    provider.active = False
    provider.save()
    with pytest.raises(ValidationError, match="no longer taking appointments"):
        book()
    assert not Appointment.objects.exists()


def test_database_refuses_an_overlap_that_skips_the_service(book, make_patient, monday):
    first = book()

    with (
        pytest.raises(IntegrityError, match="scheduling_appointment_overlap"),
        transaction.atomic(),
    ):
        AppointmentFactory(
            provider=first.provider,
            appointment_type=first.appointment_type,
            start=local(monday, 9, 10),
        )
    assert Appointment.objects.count() == 1


def test_database_refuses_moving_a_row_onto_a_booked_slot(book, make_patient, monday):
    book()
    later = book(patient=make_patient(), at=local(monday, 10))

    with (
        pytest.raises(IntegrityError, match="scheduling_appointment_overlap"),
        transaction.atomic(),
    ):
        Appointment.objects.filter(pk=later.pk).update(
            start=local(monday, 9), end=local(monday, 9, 30)
        )


def test_database_refuses_reviving_a_cancelled_appointment_over_a_new_booking(book, make_patient):
    first = book()
    services.appointment_cancel(appointment=first, reason="Called", by=None)
    book(patient=make_patient())

    with (
        pytest.raises(IntegrityError, match="scheduling_appointment_overlap"),
        transaction.atomic(),
    ):
        Appointment.objects.filter(pk=first.pk).update(status=AppointmentStatus.BOOKED)


def test_database_allows_cancelled_rows_to_overlap(book, make_patient, monday):
    first = book()

    AppointmentFactory(
        provider=first.provider,
        start=local(monday, 9),
        status=AppointmentStatus.CANCELLED,
        cancel_reason="Booked in error",
    )

    assert Appointment.objects.count() == 2


def test_database_keeps_a_cancel_reason_and_a_sane_length(book, monday):
    appointment = book()

    with pytest.raises(IntegrityError, match="appointment_cancel_has_reason"), transaction.atomic():
        Appointment.objects.filter(pk=appointment.pk).update(status=AppointmentStatus.CANCELLED)
    with pytest.raises(IntegrityError, match="appointment_ends_after_start"), transaction.atomic():
        Appointment.objects.filter(pk=appointment.pk).update(end=local(monday, 8))
    with pytest.raises(IntegrityError, match="appointment_at_most_12_hours"), transaction.atomic():
        Appointment.objects.filter(pk=appointment.pk).update(
            end=local(monday, 9) + datetime.timedelta(hours=13)
        )


def test_the_database_refusal_reaches_the_clerk_as_a_message(book, make_patient, monkeypatch):
    # As if another request had committed between our checks and our insert.
    book()
    monkeypatch.setattr(booking, "_check_bookable", lambda **kwargs: None)

    with pytest.raises(ValidationError) as excinfo:
        book(patient=make_patient())

    assert "is already booked at that time" in messages_of(excinfo)
    assert Appointment.objects.count() == 1


def test_provider_without_working_hours_cannot_be_booked(roles, patient, visit_type, early_monday):
    with pytest.raises(ValidationError, match="no working hours on Mondays"):
        services.appointment_book(
            patient=patient,
            provider=ProviderFactory(),
            appointment_type=visit_type,
            start=early_monday.replace(hour=9),
            booked_by=None,
            now=early_monday,
        )
