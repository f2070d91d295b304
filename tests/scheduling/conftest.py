import datetime

import pytest

from tests.factories import PatientFactory, ProviderFactory
from tests.scheduling.factories import AppointmentTypeFactory, local, next_weekday, working_week


@pytest.fixture
def monday():
    """A Monday in the future: the services are called "as of" 7:00 that morning."""
    return next_weekday(0)


@pytest.fixture
def early_monday(monday):
    return local(monday, 7)


@pytest.fixture
def provider(roles):
    provider = ProviderFactory(user__first_name="Priya", user__last_name="Raman")
    working_week(provider)
    return provider


@pytest.fixture
def other_provider(roles):
    provider = ProviderFactory(user__first_name="Thomas", user__last_name="Walsh", credentials="DO")
    working_week(provider)
    return provider


@pytest.fixture
def visit_type(db):
    return AppointmentTypeFactory(name="Follow-up", duration_minutes=30)


@pytest.fixture
def make_patient(db):
    def make(**kwargs):
        return PatientFactory(**kwargs)

    return make


@pytest.fixture
def book(provider, patient, visit_type, early_monday):
    """Book through the service, by default Monday 9:00 with `provider` for `patient`."""
    from scheduling import services

    def make(*, at: datetime.datetime | None = None, now=None, **kwargs):
        arguments = {
            "patient": patient,
            "provider": provider,
            "appointment_type": visit_type,
            "start": at or early_monday.replace(hour=9),
            "booked_by": None,
            "reason": "Knee pain",
            "now": now or early_monday,
        }
        arguments.update(kwargs)
        return services.appointment_book(**arguments)

    return make
