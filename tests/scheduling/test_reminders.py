import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from scheduling import services
from scheduling.models import Appointment, AppointmentStatus
from scheduling.services import reminders
from scheduling.tasks import send_appointment_reminders
from tests.factories import PatientFactory, ProviderFactory
from tests.scheduling.factories import AppointmentFactory, local


@pytest.fixture
def tomorrow_setup(roles, clinic, monday):
    """Monday's appointments seen from Sunday 9:00: who is due a reminder and who is not."""
    provider = ProviderFactory(user__first_name="Priya", user__last_name="Raman")
    due = AppointmentFactory(
        provider=provider,
        patient=PatientFactory(first_name="Maria", email="maria@example.com"),
        start=local(monday, 9),
    )
    AppointmentFactory(
        provider=provider,
        patient=PatientFactory(email="gone@example.com"),
        start=local(monday, 10),
        status=AppointmentStatus.CANCELLED,
        cancel_reason="Called",
    )
    AppointmentFactory(provider=provider, patient=PatientFactory(email=""), start=local(monday, 11))
    AppointmentFactory(
        provider=provider,
        patient=PatientFactory(email="later@example.com"),
        start=local(monday + datetime.timedelta(days=1), 9),
    )
    AppointmentFactory(
        provider=provider,
        patient=PatientFactory(email="today@example.com"),
        start=local(monday - datetime.timedelta(days=1), 15),
    )
    return due, local(monday - datetime.timedelta(days=1), 9)


@pytest.mark.django_db
def test_reminders_go_to_tomorrows_booked_patients_once(tomorrow_setup, mailoutbox):
    due, sunday_morning = tomorrow_setup

    first_run = services.appointment_reminders_send(now=sunday_morning)
    second_run = services.appointment_reminders_send(
        now=sunday_morning + datetime.timedelta(hours=1)
    )

    assert (first_run, second_run) == (1, 0)
    assert [message.to for message in mailoutbox] == [["maria@example.com"]]
    due.refresh_from_db()
    assert due.reminder_sent_at == sunday_morning


@pytest.mark.django_db
def test_reminder_email_says_when_where_and_with_whom(tomorrow_setup, mailoutbox):
    _due, sunday_morning = tomorrow_setup

    services.appointment_reminders_send(now=sunday_morning)

    message = mailoutbox[0]
    assert "Maple Street Family Medicine" in message.subject
    assert "09:00" in message.subject
    assert "Hello Maria" in message.body
    assert "9:00 AM, with Priya Raman, MD" in message.body
    assert "217-555-0100" in message.body


@pytest.mark.django_db
def test_a_failed_send_is_not_marked_and_is_retried_next_run(
    tomorrow_setup, mailoutbox, monkeypatch
):
    due, sunday_morning = tomorrow_setup

    def broken_send_mail(**kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(reminders, "send_mail", broken_send_mail)
    assert services.appointment_reminders_send(now=sunday_morning) == 0
    due.refresh_from_db()
    assert due.reminder_sent_at is None

    monkeypatch.undo()
    assert services.appointment_reminders_send(now=sunday_morning) == 1
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_a_cancelled_appointment_gets_no_reminder_even_if_it_was_due(tomorrow_setup, mailoutbox):
    due, sunday_morning = tomorrow_setup
    ids = services.appointment_ids_due_reminder(now=sunday_morning)
    services.appointment_cancel(appointment=due, reason="Called", by=None)

    sent = [services.appointment_send_reminder(appointment_id=pk, now=sunday_morning) for pk in ids]

    assert sent == [False]
    assert mailoutbox == []


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_the_same_moment_send_each_reminder_once(roles, monday, mailoutbox):
    clinic_provider = ProviderFactory()
    for hour in range(8, 16):
        AppointmentFactory(
            provider=clinic_provider,
            patient=PatientFactory(email=f"patient{hour}@example.com"),
            start=local(monday, hour),
        )
    sunday_morning = local(monday - datetime.timedelta(days=1), 9)
    barrier = threading.Barrier(4)
    counts = []

    def run():
        try:
            barrier.wait(timeout=30)
            counts.append(services.appointment_reminders_send(now=sunday_morning))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(counts) == 8
    assert sorted(message.to[0] for message in mailoutbox) == sorted(
        f"patient{hour}@example.com" for hour in range(8, 16)
    )
    assert not Appointment.objects.filter(reminder_sent_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_beat_task_sends_reminders_on_a_real_worker(roles, celery_worker, mailoutbox):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    appointment = AppointmentFactory(
        patient=PatientFactory(email="worker@example.com"), start=local(tomorrow, 10)
    )

    sent = send_appointment_reminders.delay().get(timeout=30)
    again = send_appointment_reminders.delay().get(timeout=30)

    assert (sent, again) == (1, 0)
    assert [message.to for message in mailoutbox] == [["worker@example.com"]]
    appointment.refresh_from_db()
    assert appointment.reminder_sent_at is not None


def test_beat_schedules_the_reminder_task_hourly_in_the_daytime():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["send-appointment-reminders"]

    assert entry["task"] == send_appointment_reminders.name
    assert entry["schedule"].hour == set(range(8, 20))
