import datetime

import pytest
from django.core.exceptions import ValidationError

from scheduling import services
from scheduling.models import Appointment, AppointmentStatus
from tests.factories import CoverageFactory
from tests.scheduling.factories import AppointmentTypeFactory, TimeOffFactory, local

pytestmark = pytest.mark.django_db

S = AppointmentStatus


def move(appointment, status, *, by=None, now):
    """Drive an appointment to `status` through the service meant for it."""
    if status == S.ARRIVED:
        return services.appointment_check_in(
            appointment=appointment, by=by, demographics_confirmed=True, now=now
        )
    if status == S.CANCELLED:
        return services.appointment_cancel(appointment=appointment, reason="Called", by=by, now=now)
    return services.appointment_set_status(appointment=appointment, status=status, by=by, now=now)


PATHS = {
    S.BOOKED: [],
    S.ARRIVED: [S.ARRIVED],
    S.IN_ROOM: [S.ARRIVED, S.IN_ROOM],
    S.COMPLETED: [S.ARRIVED, S.IN_ROOM, S.COMPLETED],
    S.CANCELLED: [S.CANCELLED],
    S.NO_SHOW: [S.NO_SHOW],
}

LEGAL = {
    (S.BOOKED, S.ARRIVED),
    (S.BOOKED, S.CANCELLED),
    (S.BOOKED, S.NO_SHOW),
    (S.ARRIVED, S.IN_ROOM),
    (S.ARRIVED, S.CANCELLED),
    (S.IN_ROOM, S.COMPLETED),
}


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("target", [s for s in S if s != S.BOOKED])
def test_only_legal_transitions_are_allowed(book, monday, current, target):
    during_visit = local(monday, 9, 10)
    appointment = book()
    for step in PATHS[current]:
        appointment = move(appointment, step, now=during_visit)

    if (current, target) in LEGAL:
        assert move(appointment, target, now=during_visit).status == target
    else:
        with pytest.raises(ValidationError):
            move(appointment, target, now=during_visit)
        appointment.refresh_from_db()
        assert appointment.status == current


def test_each_step_is_stamped_with_who_and_when(book, monday, front_desk, clinician):
    appointment = book(booked_by=front_desk)

    move(appointment, S.ARRIVED, by=front_desk, now=local(monday, 8, 50))
    move(appointment, S.IN_ROOM, by=clinician, now=local(monday, 9, 2))
    move(appointment, S.COMPLETED, by=clinician, now=local(monday, 9, 31))

    appointment.refresh_from_db()
    assert (appointment.arrived_at, appointment.checked_in_by) == (local(monday, 8, 50), front_desk)
    assert (appointment.roomed_at, appointment.roomed_by) == (local(monday, 9, 2), clinician)
    assert (appointment.completed_at, appointment.completed_by) == (local(monday, 9, 31), clinician)
    history = list(
        appointment.history.order_by("history_date").values_list("status", "history_user")
    )
    assert history == [
        (S.BOOKED, front_desk.pk),
        (S.ARRIVED, front_desk.pk),
        (S.IN_ROOM, clinician.pk),
        (S.COMPLETED, clinician.pk),
    ]


def test_set_status_points_to_check_in_and_cancel(book, monday):
    appointment = book()

    with pytest.raises(ValidationError, match="Use check-in"):
        services.appointment_set_status(appointment=appointment, status=S.ARRIVED, by=None)
    with pytest.raises(ValidationError, match="Use cancel"):
        services.appointment_set_status(appointment=appointment, status=S.CANCELLED, by=None)
    with pytest.raises(ValidationError, match="Unknown"):
        services.appointment_set_status(appointment=appointment, status="lost", by=None)


def test_no_show_only_after_the_start_time(book, monday):
    appointment = book()

    with pytest.raises(ValidationError, match="only after that"):
        move(appointment, S.NO_SHOW, now=local(monday, 8, 59))

    assert move(appointment, S.NO_SHOW, now=local(monday, 9, 15)).no_show_at == local(monday, 9, 15)


def test_cancel_needs_a_reason_and_keeps_the_record(book, front_desk, monday):
    appointment = book()

    with pytest.raises(ValidationError, match="Say why"):
        services.appointment_cancel(appointment=appointment, reason="  ", by=front_desk)
    cancelled = services.appointment_cancel(
        appointment=appointment, reason="Patient has the flu", by=front_desk, now=local(monday, 7)
    )

    assert cancelled.status == S.CANCELLED
    assert cancelled.cancel_reason == "Patient has the flu"
    assert (cancelled.cancelled_at, cancelled.cancelled_by) == (local(monday, 7), front_desk)
    assert Appointment.objects.filter(pk=appointment.pk).exists()


class TestCheckIn:
    def test_check_in_marks_arrived_with_the_confirmed_coverage(self, book, patient, monday):
        coverage = CoverageFactory(patient=patient, effective_from=datetime.date(2020, 1, 1))
        appointment = book()

        services.appointment_check_in(
            appointment=appointment,
            by=None,
            demographics_confirmed=True,
            coverage=coverage,
            now=local(monday, 8, 55),
        )

        appointment.refresh_from_db()
        assert appointment.status == S.ARRIVED
        assert appointment.checked_in_coverage == coverage

    def test_demographics_must_be_confirmed(self, book, monday):
        appointment = book()

        with pytest.raises(ValidationError) as excinfo:
            services.appointment_check_in(
                appointment=appointment, by=None, demographics_confirmed=False, now=local(monday, 9)
            )

        assert list(excinfo.value.error_dict) == ["demographics_confirmed"]
        appointment.refresh_from_db()
        assert appointment.status == S.BOOKED

    def test_expired_coverage_is_refused(self, book, patient, monday):
        expired = CoverageFactory(
            patient=patient,
            effective_from=datetime.date(2020, 1, 1),
            effective_to=monday - datetime.timedelta(days=1),
        )

        with pytest.raises(ValidationError, match="not in effect today"):
            services.appointment_check_in(
                appointment=book(),
                by=None,
                demographics_confirmed=True,
                coverage=expired,
                now=local(monday, 9),
            )

    def test_coverage_of_another_patient_is_refused(self, book, monday):
        with pytest.raises(ValidationError, match="another patient"):
            services.appointment_check_in(
                appointment=book(),
                by=None,
                demographics_confirmed=True,
                coverage=CoverageFactory(),
                now=local(monday, 9),
            )

    def test_check_in_only_on_the_day(self, book, monday):
        with pytest.raises(ValidationError, match="on the day of their appointment"):
            services.appointment_check_in(
                appointment=book(),
                by=None,
                demographics_confirmed=True,
                now=local(monday - datetime.timedelta(days=1), 9),
            )


class TestReschedule:
    def test_moves_the_appointment_and_frees_the_old_slot(self, book, make_patient, monday):
        appointment = book()

        moved = services.appointment_reschedule(
            appointment=appointment, start=local(monday, 14), by=None, now=local(monday, 7)
        )
        other = book(patient=make_patient())

        assert (moved.pk, moved.start, moved.end) == (
            appointment.pk,
            local(monday, 14),
            local(monday, 14, 30),
        )
        assert other.start == local(monday, 9)

    def test_can_change_provider_and_type(self, book, other_provider, monday):
        physical = AppointmentTypeFactory(name="Physical", duration_minutes=60)

        moved = services.appointment_reschedule(
            appointment=book(),
            start=local(monday, 10),
            provider=other_provider,
            appointment_type=physical,
            by=None,
            now=local(monday, 7),
        )

        assert moved.provider == other_provider
        assert moved.end == local(monday, 11)

    def test_same_rules_as_booking(self, book, make_patient, provider, monday):
        appointment = book()
        book(patient=make_patient(), at=local(monday, 11))
        TimeOffFactory(provider=provider, start=local(monday, 13), end=local(monday, 14))

        for start, message in [
            (local(monday, 11, 15), "already has an appointment"),
            (local(monday, 13, 30), "is away then"),
            (local(monday, 18), "does not work"),
            (local(monday, 6), "already passed"),
        ]:
            with pytest.raises(ValidationError, match=message):
                services.appointment_reschedule(
                    appointment=appointment, start=start, by=None, now=local(monday, 7)
                )
        appointment.refresh_from_db()
        assert appointment.start == local(monday, 9)

    def test_a_small_shift_may_overlap_its_own_old_time(self, book, monday):
        moved = services.appointment_reschedule(
            appointment=book(), start=local(monday, 9, 15), by=None, now=local(monday, 7)
        )

        assert moved.start == local(monday, 9, 15)

    def test_only_booked_appointments_move(self, book, monday):
        appointment = move(book(), S.ARRIVED, now=local(monday, 8, 50))

        with pytest.raises(ValidationError, match="Only a booked appointment"):
            services.appointment_reschedule(
                appointment=appointment, start=local(monday, 14), by=None, now=local(monday, 8, 55)
            )

    def test_moving_resets_the_reminder(self, book, monday):
        appointment = book()
        Appointment.objects.filter(pk=appointment.pk).update(reminder_sent_at=local(monday, 7))

        moved = services.appointment_reschedule(
            appointment=appointment,
            start=local(monday + datetime.timedelta(days=1), 9),
            by=None,
            now=local(monday, 7),
        )

        assert moved.reminder_sent_at is None
