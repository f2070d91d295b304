import datetime

import factory
from django.utils import timezone

from scheduling.models import Appointment, AppointmentType, TimeOff, WorkingHours
from tests.factories import PatientFactory, ProviderFactory


def local(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    """An aware moment in the clinic's zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def next_weekday(weekday: int, after: datetime.date | None = None) -> datetime.date:
    """The first date after `after` (default today) falling on `weekday` (Monday = 0)."""
    day = (after or timezone.localdate()) + datetime.timedelta(days=1)
    while day.weekday() != weekday:
        day += datetime.timedelta(days=1)
    return day


class AppointmentTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AppointmentType
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Visit type {n}")
    duration_minutes = 30
    color = "#0d6efd"


class WorkingHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkingHours

    provider = factory.SubFactory(ProviderFactory)
    weekday = 0
    start = datetime.time(8, 0)
    end = datetime.time(17, 0)


def working_week(provider, *, start=datetime.time(8, 0), end=datetime.time(17, 0), days=range(5)):
    return [
        WorkingHoursFactory(provider=provider, weekday=day, start=start, end=end) for day in days
    ]


class TimeOffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimeOff

    provider = factory.SubFactory(ProviderFactory)
    start = factory.LazyFunction(lambda: local(next_weekday(0), 12))
    end = factory.LazyAttribute(lambda off: off.start + datetime.timedelta(hours=1))
    reason = "Staff meeting"


class AppointmentFactory(factory.django.DjangoModelFactory):
    """Writes the row directly, for test data; the rules are tested through the services."""

    class Meta:
        model = Appointment

    patient = factory.SubFactory(PatientFactory)
    provider = factory.SubFactory(ProviderFactory)
    appointment_type = factory.SubFactory(AppointmentTypeFactory, name="Follow-up")
    start = factory.LazyFunction(lambda: local(next_weekday(0), 9))
    end = factory.LazyAttribute(
        lambda appointment: (
            appointment.start
            + datetime.timedelta(minutes=appointment.appointment_type.duration_minutes)
        )
    )
    reason = "Follow-up visit"
