"""Building a claim (or a self-pay invoice) from a signed visit."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from billing import services
from billing.models import Claim, ClaimStatus, Invoice, InvoiceStatus
from charting.models import Encounter, EncounterStatus
from tests.billing.factories import EncounterFactory, built_claim, insured_visit, signed_visit
from tests.factories import CoverageFactory, PatientFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("billing_clinic")]


def test_claim_copies_patient_coverage_providers_diagnoses_and_lines(billing_user):
    coverage = CoverageFactory()
    encounter = signed_visit(
        patient=coverage.patient,
        diagnoses=["E11.9", "I10", "E78.5"],
        procedures=[("99214", 1, ["25"], [1, 2]), ("81002", 2, [], [3]), ("36415", 1, [], [1])],
    )

    claim = services.claim_build(encounter=encounter, by=billing_user)

    assert isinstance(claim, Claim)
    assert claim.status == ClaimStatus.DRAFT
    assert claim.patient == coverage.patient
    assert claim.coverage == coverage
    assert claim.payer == coverage.payer
    assert claim.rendering_provider == encounter.provider
    assert [(d.rank, d.code_id) for d in claim.diagnoses.all()] == [
        (1, "E11.9"),
        (2, "I10"),
        (3, "E78.5"),
    ]
    lines = list(claim.lines.all())
    assert [(line.code, line.units, line.modifiers, line.diagnosis_pointers) for line in lines] == [
        ("99214", 1, ["25"], [1, 2]),
        ("81002", 2, [], [3]),
        ("36415", 1, [], [1]),
    ]
    # The fee-schedule charge times units, computed by Postgres.
    assert [line.charge for line in Claim.objects.get(pk=claim.pk).lines.all()] == [
        Decimal("180.00"),
        Decimal("25.00"),
        Decimal("15.00"),
    ]
    assert claim.total_charge == Decimal("220.00")
    assert all(line.date_of_service == encounter.date_of_service for line in lines)


def test_self_pay_patient_gets_an_invoice_instead_of_a_claim(billing_user):
    encounter = signed_visit(
        patient=PatientFactory(), procedures=[("99213", 1, [], [1]), ("81002", 1, [], [2])]
    )

    invoice = services.claim_build(encounter=encounter, by=billing_user)

    assert isinstance(invoice, Invoice)
    assert invoice.status == InvoiceStatus.ISSUED
    assert invoice.total_charge == Decimal("137.50")
    assert not Claim.objects.filter(encounter=encounter).exists()


def test_expired_coverage_alone_makes_the_visit_self_pay(billing_user):
    coverage = CoverageFactory(
        effective_from=datetime.date(2020, 1, 1),
        effective_to=datetime.date(2021, 12, 31),
        active=False,
    )

    billed = services.claim_build(encounter=signed_visit(patient=coverage.patient), by=billing_user)

    assert isinstance(billed, Invoice)


def test_coverage_in_effect_on_the_date_of_service_is_billed_even_if_ended_since(billing_user):
    coverage = CoverageFactory(
        effective_from=datetime.date(2024, 1, 1),
        effective_to=datetime.date(2025, 6, 30),
        active=False,
    )
    encounter = signed_visit(patient=coverage.patient, date_of_service=datetime.date(2025, 3, 3))

    claim = services.claim_build(encounter=encounter, by=billing_user)

    assert claim.coverage == coverage


def test_open_visit_cannot_be_billed(billing_user):
    encounter = EncounterFactory(patient=CoverageFactory().patient)

    with pytest.raises(ValidationError, match="still open"):
        services.claim_build(encounter=encounter, by=billing_user)


def test_visit_is_billed_once(billing_user):
    encounter = insured_visit()
    claim = services.claim_build(encounter=encounter, by=billing_user)

    with pytest.raises(ValidationError, match=f"already billed on claim {claim.number}"):
        services.claim_build(encounter=encounter, by=billing_user)
    assert Claim.objects.filter(encounter=encounter).count() == 1


def test_database_refuses_a_second_live_claim_for_a_visit(billing_user):
    claim = built_claim(by=billing_user)

    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(
            patient=claim.patient,
            encounter=claim.encounter,
            coverage=claim.coverage,
            payer=claim.payer,
            rendering_provider=claim.rendering_provider,
        )


def test_visit_without_procedures_has_nothing_to_bill(billing_user):
    encounter = insured_visit(procedures=[])

    with pytest.raises(ValidationError, match="no coded procedures"):
        services.claim_build(encounter=encounter, by=billing_user)


def test_building_records_who_built_it_in_the_history(billing_user):
    claim = built_claim(by=billing_user)

    assert claim.history.first().history_user == billing_user
    assert Encounter.objects.get(pk=claim.encounter_id).status == EncounterStatus.SIGNED
