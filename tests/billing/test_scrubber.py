"""The claim scrubber: every rule, in words a biller understands."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from billing import services
from billing.models import ClaimStatus
from emr.models import Clinic, Coverage, Provider
from tests.billing.factories import built_claim
from tests.factories import CoverageFactory, PatientFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("billing_clinic")]


def blocking(claim, **kwargs) -> list[str]:
    return [p.message for p in services.claim_scrub(claim=claim, **kwargs) if p.blocking]


def test_a_complete_claim_has_no_problems_and_becomes_ready(billing_user):
    claim = built_claim(by=billing_user)

    assert services.claim_scrub(claim=claim) == []
    services.claim_mark_ready(claim=claim, by=billing_user)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.READY


def test_expired_coverage_is_reported_with_its_end_date():
    coverage = CoverageFactory(effective_to=timezone.localdate() - datetime.timedelta(days=30))
    claim = built_claim(coverage=coverage)
    # Billed to the only active primary, which ended before the visit.
    day = claim.encounter.date_of_service
    expected = (
        f"expired {coverage.effective_to:%m/%d/%Y}, before the date of service {day:%m/%d/%Y}"
    )

    assert any(expected in message for message in blocking(claim))


def test_coverage_that_starts_after_the_visit_is_reported():
    coverage = CoverageFactory(effective_from=timezone.localdate() + datetime.timedelta(days=1))
    claim = built_claim(coverage=coverage)

    assert any(
        "starts" in message and "after the date of service" in message
        for message in blocking(claim)
    )


def test_ended_coverage_is_reported():
    claim = built_claim()
    Coverage.objects.filter(pk=claim.coverage_id).update(active=False)

    assert any("has been ended" in message for message in blocking(claim))


def test_missing_member_id_is_reported():
    claim = built_claim()
    Coverage.objects.filter(pk=claim.coverage_id).update(member_id="  ")

    assert any("member ID is missing" in message for message in blocking(claim))


def test_invalid_rendering_npi_is_reported():
    claim = built_claim()
    provider = claim.rendering_provider
    bad = provider.npi[:9] + str((int(provider.npi[9]) + 1) % 10)
    Provider.objects.filter(pk=provider.pk).update(npi=bad)

    assert any(f"NPI {bad} is not valid" in message for message in blocking(claim))


def test_invalid_clinic_group_npi_is_reported():
    claim = built_claim()
    Clinic.objects.update(group_npi="1234567890")

    assert any(
        "The clinic (billing provider): NPI 1234567890 is not valid" in m for m in blocking(claim)
    )


def test_pointer_to_no_diagnosis_is_reported():
    claim = built_claim(diagnoses=["E11.9"], procedures=[("99213", 1, [], [1])])
    line = claim.lines.get()
    line.diagnosis_pointers = [1, 3]
    line.save()

    assert "Line 1 (99213) points to diagnosis C, but the claim has no diagnosis C." in blocking(
        claim
    )


def test_line_without_pointer_is_reported():
    claim = built_claim()
    claim.lines.update(diagnosis_pointers=[])

    assert "Line 1 (99213) does not point to any diagnosis." in blocking(claim)


def test_non_billable_icd10_code_is_reported():
    claim = built_claim(diagnoses=["E11", "I10"])

    assert (
        "Diagnosis A (E11) is not a billable ICD-10-CM code: use a more specific code."
        in blocking(claim)
    )


def test_line_without_charge_is_reported():
    claim = built_claim()
    claim.lines.update(unit_price=0)

    assert "Line 1 (99213) has no charge." in blocking(claim)


def test_future_date_of_service_is_reported():
    claim = built_claim()
    day = claim.encounter.date_of_service

    problems = blocking(claim, today=day - datetime.timedelta(days=1))

    assert f"The date of service {day:%m/%d/%Y} is in the future." in problems


def test_missing_subscriber_data_is_reported_when_the_patient_is_a_dependent():
    coverage = CoverageFactory(
        relationship="19",
        subscriber_first_name="Luis",
        subscriber_last_name="Gonzalez",
        subscriber_date_of_birth=datetime.date(1978, 2, 1),
    )
    claim = built_claim(coverage=coverage)
    assert blocking(claim) == []
    # The database requires a non-empty name; a blank one (say, from an import) is caught here.
    Coverage.objects.filter(pk=coverage.pk).update(subscriber_first_name="  ")

    assert any("not the subscriber" in m and "first name" in m for m in blocking(claim))


def test_patient_address_is_required():
    claim = built_claim(coverage=CoverageFactory(patient=PatientFactory(address_line1="")))

    assert any("address is incomplete" in message for message in blocking(claim))


def test_five_digit_clinic_zip_is_a_warning_only(billing_user):
    Clinic.objects.update(postal_code="62701")
    claim = built_claim()

    problems = services.claim_scrub(claim=claim)

    assert [p.blocking for p in problems] == [False]
    assert "ZIP+4" in problems[0].message
    services.claim_mark_ready(claim=claim, by=billing_user)


def test_every_problem_is_listed_at_once_and_the_claim_stays_draft(billing_user):
    claim = built_claim(diagnoses=["E11"], procedures=[("99213", 1, [], [2])])
    claim.lines.update(unit_price=0)
    Coverage.objects.filter(pk=claim.coverage_id).update(member_id="")

    with pytest.raises(ValidationError) as raised:
        services.claim_mark_ready(claim=claim, by=billing_user)

    messages = raised.value.messages
    assert len(messages) == 4
    assert any("member ID" in m for m in messages)
    assert any("not a billable" in m for m in messages)
    assert any("points to diagnosis B" in m for m in messages)
    assert any("has no charge" in m for m in messages)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.DRAFT
