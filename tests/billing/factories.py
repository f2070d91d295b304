"""Billing test data: signed visits with coded diagnoses and procedures, and claims built
from them through the service."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from billing import services
from charting.models import (
    DiagnosisCode,
    Encounter,
    EncounterDiagnosis,
    EncounterStatus,
    FeeScheduleEntry,
    ProcedureLine,
)
from tests.factories import CoverageFactory, PatientFactory, ProviderFactory

CODES = {
    "E11.9": ("Type 2 diabetes mellitus without complications", True),
    "I10": ("Essential (primary) hypertension", True),
    "E78.5": ("Hyperlipidemia, unspecified", True),
    "J45.909": ("Unspecified asthma, uncomplicated", True),
    "M54.50": ("Low back pain, unspecified", True),
    "F41.1": ("Generalized anxiety disorder", True),
    "K21.9": ("Gastro-esophageal reflux disease without esophagitis", True),
    "G43.909": ("Migraine, unspecified, not intractable", True),
    "N39.0": ("Urinary tract infection, site not specified", True),
    "R51.9": ("Headache, unspecified", True),
    "Z00.00": ("General adult medical examination without abnormal findings", True),
    "E66.9": ("Obesity, unspecified", True),
    "M17.11": ("Unilateral primary osteoarthritis, right knee", True),
    "E11": ("Type 2 diabetes mellitus", False),
}
FEES = {
    "99213": ("Office visit, established, low complexity", Decimal("125.00")),
    "99214": ("Office visit, established, moderate complexity", Decimal("180.00")),
    "81002": ("Urinalysis, dipstick, non-automated", Decimal("12.50")),
    "20610": ("Arthrocentesis, major joint", Decimal("210.00")),
    "96372": ("Injection, subcutaneous or intramuscular", Decimal("40.00")),
    "36415": ("Venipuncture", Decimal("15.00")),
}


def diagnosis_code(code: str) -> DiagnosisCode:
    description, billable = CODES.get(code, (f"Test code {code}", True))
    return DiagnosisCode.objects.get_or_create(
        code=code, defaults={"description": description, "billable": billable}
    )[0]


def fee(code: str, price: Decimal | None = None) -> FeeScheduleEntry:
    description, default_price = FEES.get(code, (f"Service {code}", Decimal("100.00")))
    entry, _ = FeeScheduleEntry.objects.get_or_create(
        code_system="CPT",
        code=code,
        defaults={"description": description, "price": default_price if price is None else price},
    )
    return entry


class EncounterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Encounter

    patient = factory.SubFactory(PatientFactory)
    provider = factory.SubFactory(ProviderFactory)
    date_of_service = factory.LazyFunction(
        lambda: timezone.localdate() - datetime.timedelta(days=3)
    )
    chief_complaint = "Follow-up"


def signed_visit(
    *,
    patient=None,
    provider=None,
    date_of_service: datetime.date | None = None,
    diagnoses=("E11.9", "I10"),
    procedures=(("99213", 1, (), (1, 2)),),
) -> Encounter:
    """A signed encounter: coded while open, then signed (Postgres refuses changes after)."""
    encounter = EncounterFactory(
        patient=patient or PatientFactory(),
        provider=provider or ProviderFactory(),
        date_of_service=date_of_service or timezone.localdate() - datetime.timedelta(days=3),
    )
    for rank, code in enumerate(diagnoses, start=1):
        EncounterDiagnosis.objects.create(encounter=encounter, code=diagnosis_code(code), rank=rank)
    for code, units, modifiers, pointers in procedures:
        ProcedureLine.objects.create(
            encounter=encounter,
            fee_schedule_entry=fee(code),
            units=units,
            modifiers=list(modifiers),
            diagnosis_pointers=list(pointers),
        )
    Encounter.objects.filter(pk=encounter.pk).update(
        status=EncounterStatus.SIGNED,
        signed_at=timezone.now(),
        signed_by=encounter.provider.user,
    )
    encounter.refresh_from_db()
    return encounter


def insured_visit(*, coverage=None, **kwargs) -> Encounter:
    coverage = coverage or CoverageFactory()
    return signed_visit(patient=coverage.patient, **kwargs)


def built_claim(*, by=None, **kwargs):
    """A draft claim built by the service from a new signed, insured visit."""
    return services.claim_build(encounter=insured_visit(**kwargs), by=by)


def submitted_claim(*, by=None, **kwargs):
    claim = built_claim(by=by, **kwargs)
    services.claim_mark_ready(claim=claim, by=by)
    services.batch_create_837p(claim_ids=[claim.pk], by=by)
    claim.refresh_from_db()
    return claim
