import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from charting.models import (
    CodeSystem,
    DiagnosisCode,
    Encounter,
    FeeScheduleEntry,
    NoteTemplate,
)
from scheduling.models import Appointment, AppointmentStatus, AppointmentType
from tests.factories import PatientFactory, ProviderFactory

# A few real ICD-10-CM codes, for tests that do not need the whole release.
SAMPLE_CODES = [
    ("I10", "Essential (primary) hypertension", True),
    ("I11", "Hypertensive heart disease", False),
    ("I11.9", "Hypertensive heart disease without heart failure", True),
    ("K76.6", "Portal hypertension", True),
    ("E11", "Type 2 diabetes mellitus", False),
    ("E11.9", "Type 2 diabetes mellitus without complications", True),
    ("E78.5", "Hyperlipidemia, unspecified", True),
    ("J06.9", "Acute upper respiratory infection, unspecified", True),
    ("J02.9", "Acute pharyngitis, unspecified", True),
    ("R05.9", "Cough, unspecified", True),
    ("Z00.00", "Encounter for general adult medical examination without abnormal findings", True),
    ("Z23", "Encounter for immunization", True),
    ("M54.50", "Low back pain, unspecified", True),
]


def sample_codes() -> None:
    DiagnosisCode.objects.bulk_create(
        [
            DiagnosisCode(code=code, description=description, billable=billable)
            for code, description, billable in SAMPLE_CODES
        ],
        ignore_conflicts=True,
    )


class AppointmentTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AppointmentType
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Visit type {n}")
    duration_minutes = 20


def _slot(n: int) -> datetime.datetime:
    # Each appointment in a slot of its own, so that the provider-overlap trigger never fires.
    now = timezone.now().replace(second=0, microsecond=0)
    return now - datetime.timedelta(minutes=30 * (n % 10_000))


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment

    patient = factory.SubFactory(PatientFactory)
    provider = factory.SubFactory(ProviderFactory)
    appointment_type = factory.SubFactory(AppointmentTypeFactory, name="Follow-up")
    start = factory.Sequence(_slot)
    end = factory.LazyAttribute(
        lambda appointment: appointment.start + datetime.timedelta(minutes=20)
    )
    status = AppointmentStatus.ARRIVED
    reason = "Blood pressure check"
    arrived_at = factory.LazyAttribute(lambda appointment: appointment.start)


class EncounterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Encounter

    patient = factory.SubFactory(PatientFactory)
    provider = factory.SubFactory(ProviderFactory)
    date_of_service = factory.LazyFunction(timezone.localdate)
    chief_complaint = "Follow-up"


class NoteTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NoteTemplate
        django_get_or_create = ["name"]

    name = "Hypertension follow-up"
    subjective = "Here for blood pressure follow-up. Home readings: "
    objective = "Heart regular, lungs clear."
    assessment = "Essential hypertension."
    plan = "Continue current medication. Recheck in 3 months."


class FeeScheduleEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeeScheduleEntry
        django_get_or_create = ["code_system", "code"]

    code_system = CodeSystem.CPT
    code = "99213"
    description = "Office visit, established patient, low"
    price = Decimal("110.00")
