"""Races for one slot, with real threads and real Postgres transactions."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from scheduling import services
from scheduling.models import Appointment
from tests.factories import PatientFactory, ProviderFactory
from tests.scheduling.factories import AppointmentTypeFactory, local, next_weekday, working_week

pytestmark = pytest.mark.django_db(transaction=True)


def _race(requests: list[dict]) -> tuple[list[Appointment], list[ValidationError], list[Exception]]:
    """Run every booking at the same instant, one thread (and connection) each."""
    barrier = threading.Barrier(len(requests))
    booked, refused, crashed = [], [], []
    lock = threading.Lock()

    def attempt(arguments: dict) -> None:
        try:
            barrier.wait(timeout=30)
            appointment = services.appointment_book(**arguments)
        except ValidationError as error:
            with lock:
                refused.append(error)
        except Exception as error:  # anything else is a bug the test must show
            with lock:
                crashed.append(error)
        else:
            with lock:
                booked.append(appointment)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(arguments,)) for arguments in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return booked, refused, crashed


def test_fifty_simultaneous_bookings_of_one_slot_yield_exactly_one(roles):
    provider = ProviderFactory()
    working_week(provider)
    visit_type = AppointmentTypeFactory(name="Follow-up", duration_minutes=30)
    monday = next_weekday(0)
    patients = [PatientFactory() for _ in range(50)]
    requests = [
        {
            "patient": patient,
            "provider": provider,
            "appointment_type": visit_type,
            "start": local(monday, 10),
            "booked_by": None,
            "now": local(monday, 7),
        }
        for patient in patients
    ]

    booked, refused, crashed = _race(requests)

    assert crashed == []
    assert len(booked) == 1
    assert len(refused) == 49
    assert all("already" in " ".join(error.messages) for error in refused)
    assert Appointment.objects.count() == 1
    assert Appointment.objects.get().patient == booked[0].patient


def test_one_patient_booked_with_ten_providers_at_once_gets_one_appointment(roles):
    providers = [ProviderFactory() for _ in range(10)]
    for provider in providers:
        working_week(provider)
    visit_type = AppointmentTypeFactory(name="Follow-up", duration_minutes=30)
    monday = next_weekday(0)
    patient = PatientFactory()
    requests = [
        {
            "patient": patient,
            "provider": provider,
            "appointment_type": visit_type,
            "start": local(monday, 10),
            "booked_by": None,
            "now": local(monday, 7),
        }
        for provider in providers
    ]

    booked, refused, crashed = _race(requests)

    assert crashed == []
    assert (len(booked), len(refused)) == (1, 9)
    assert Appointment.objects.filter(patient=patient).count() == 1
