"""837P batches built from claims in the database, validated with pyx12."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from billing import services, x12
from billing.models import ClaimBatch, ClaimStatus, FrequencyCode
from emr.models import DocumentKind, DocumentStatus
from tests.billing.factories import built_claim
from tests.factories import CoverageFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("billing_clinic")]

TWELVE = [
    "E11.9",
    "I10",
    "E78.5",
    "J45.909",
    "M54.50",
    "F41.1",
    "K21.9",
    "G43.909",
    "N39.0",
    "R51.9",
    "Z00.00",
    "E66.9",
]


def ready_claim(by=None, **kwargs):
    claim = built_claim(by=by, **kwargs)
    services.claim_mark_ready(claim=claim, by=by)
    return claim


def file_text(batch: ClaimBatch) -> str:
    batch.document.file.open("rb")
    try:
        return batch.document.file.read().decode("ascii")
    finally:
        batch.document.file.close()


def test_batch_of_several_claim_shapes_passes_pyx12_and_marks_claims_submitted(billing_user):
    dependent = CoverageFactory(
        relationship="19",
        subscriber_first_name="Luis",
        subscriber_last_name="Gonzalez",
        subscriber_date_of_birth=datetime.date(1978, 2, 1),
        subscriber_sex="M",
    )
    claims = [
        ready_claim(billing_user),
        ready_claim(billing_user, coverage=dependent),
        ready_claim(
            billing_user,
            diagnoses=["M17.11", "E11.9", "I10"],
            procedures=[
                ("99214", 1, ["25"], [1, 2]),
                ("20610", 1, ["RT", "59"], [1]),
                ("96372", 2, ["59", "XU", "76", "GA"], [1, 2, 3]),
            ],
        ),
        ready_claim(billing_user, diagnoses=TWELVE, procedures=[("99213", 1, [], [1, 5, 9, 12])]),
    ]

    batch = services.batch_create_837p(by=billing_user)

    text = file_text(batch)
    assert x12.validate(text) == []
    assert text.count("CLM*") == 4
    assert "PAT*19" in text
    assert "SV1*HC:96372:59:XU:76:GA*80*UN*2***1:2:3" in text
    for claim in claims:
        claim.refresh_from_db()
        assert claim.status == ClaimStatus.SUBMITTED
        assert claim.batch == batch
        assert claim.submitted_at is not None
    assert batch.document.kind == DocumentKind.X12_837P
    assert batch.document.status == DocumentStatus.READY
    assert f"CLM*{claims[0].number}*" in text


def test_control_numbers_never_repeat(billing_user):
    numbers = []
    for _ in range(3):
        ready_claim(billing_user)
        numbers.append(services.batch_create_837p(by=billing_user).interchange_control_number)

    assert len(set(numbers)) == 3
    assert numbers == sorted(numbers)


def test_a_refused_batch_still_uses_up_its_control_number(billing_user):
    ready_claim(billing_user)
    first = services.batch_create_837p(by=billing_user).interchange_control_number
    with pytest.raises(ValidationError, match="no ready claims"):
        services.batch_create_837p(by=billing_user)
    ready_claim(billing_user)

    second = services.batch_create_837p(by=billing_user).interchange_control_number

    assert second > first


def test_only_ready_claims_go_into_a_batch(billing_user):
    draft = built_claim(by=billing_user)
    ready = ready_claim(billing_user)

    services.batch_create_837p(by=billing_user)

    draft.refresh_from_db()
    ready.refresh_from_db()
    assert draft.status == ClaimStatus.DRAFT
    assert ready.status == ClaimStatus.SUBMITTED


def test_chosen_claims_that_are_no_longer_ready_refuse_the_batch(billing_user):
    ready = ready_claim(billing_user)
    draft = built_claim(by=billing_user)

    with pytest.raises(ValidationError, match="no longer ready"):
        services.batch_create_837p(claim_ids=[ready.pk, draft.pk], by=billing_user)

    ready.refresh_from_db()
    assert ready.status == ClaimStatus.READY
    assert not ClaimBatch.objects.exists()


def test_replacement_and_void_requests_are_sent_with_the_original_reference(billing_user):
    first = ready_claim(billing_user)
    second = ready_claim(billing_user)
    services.batch_create_837p(by=billing_user)
    services.claim_deny(
        claim=first,
        reason="Missing modifier",
        code="4",
        payer_claim_number="ICN-1001",
        by=billing_user,
    )
    replacement = services.claim_resubmit(claim=first, by=billing_user)
    services.claim_mark_ready(claim=replacement, by=billing_user)
    void_request = services.claim_void(claim=second, reason="Billed in error", by=billing_user)

    batch = services.batch_create_837p(by=billing_user)

    text = file_text(batch)
    assert x12.validate(text) == []
    assert f"CLM*{replacement.number}*125***11:B:7" in text
    assert "REF*F8*ICN-1001" in text
    assert void_request.frequency_code == FrequencyCode.VOID
    assert f"CLM*{void_request.number}*125***11:B:8" in text
    assert f"REF*F8*{second.number}" in text


def test_the_stored_file_can_be_written_again_identically(billing_user):
    ready_claim(billing_user)
    batch = services.batch_create_837p(by=billing_user)

    assert services.batch_render_text(batch=batch) == file_text(batch)
