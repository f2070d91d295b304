"""After sending: accepted, denied, corrected and resubmitted (frequency 7), voided (8)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing import services
from billing.models import Claim, ClaimStatus, FrequencyCode
from tests.billing.factories import built_claim, submitted_claim

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("billing_clinic")]


def test_submitted_claim_is_accepted_with_the_payers_number(billing_user):
    claim = submitted_claim(by=billing_user)

    services.claim_accept(claim=claim, payer_claim_number="ICN778", by=billing_user)

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.ACCEPTED
    assert claim.payer_claim_number == "ICN778"


def test_denial_needs_a_reason(billing_user):
    claim = submitted_claim(by=billing_user)

    with pytest.raises(ValidationError, match="Say why"):
        services.claim_deny(claim=claim, reason="  ", by=billing_user)

    services.claim_deny(claim=claim, reason="Invalid member ID", code="31", by=billing_user)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.DENIED
    assert (claim.denial_reason, claim.denial_code) == ("Invalid member ID", "31")


def test_a_draft_cannot_be_denied(billing_user):
    with pytest.raises(ValidationError, match="submitted or accepted"):
        services.claim_deny(claim=built_claim(by=billing_user), reason="x", by=billing_user)


def test_corrected_claim_replaces_the_denied_one_and_can_be_edited(billing_user):
    claim = submitted_claim(by=billing_user)
    services.claim_deny(claim=claim, reason="Modifier 25 missing", by=billing_user)

    replacement = services.claim_resubmit(claim=claim, by=billing_user)
    line = replacement.lines.get()
    services.claim_line_update(line=line, data={"modifiers": "25"}, by=billing_user)

    claim.refresh_from_db()
    assert claim.superseded is True
    assert claim.status == ClaimStatus.DENIED  # kept as it was, for the record
    assert replacement.frequency_code == FrequencyCode.REPLACEMENT
    assert replacement.original_claim == claim
    assert replacement.status == ClaimStatus.DRAFT
    assert replacement.lines.get().modifiers == ["25"]
    assert claim.lines.get().modifiers == []
    assert [d.code_id for d in replacement.diagnoses.all()] == ["E11.9", "I10"]
    with pytest.raises(ValidationError, match="already been replaced"):
        services.claim_resubmit(claim=claim, by=billing_user)


def test_voiding_a_draft_simply_voids_it_and_nothing_is_deleted(billing_user):
    claim = built_claim(by=billing_user)

    services.claim_void(claim=claim, reason="Built by mistake", by=billing_user)

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.VOID
    assert claim.void_reason == "Built by mistake"
    assert Claim.objects.filter(encounter=claim.encounter).count() == 1
    # The visit can be billed again.
    again = services.claim_build(encounter=claim.encounter, by=billing_user)
    assert again.pk != claim.pk


def test_voiding_a_sent_claim_queues_a_void_request(billing_user):
    claim = submitted_claim(by=billing_user)

    void_request = services.claim_void(claim=claim, reason="Wrong patient", by=billing_user)

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.VOID
    assert void_request.frequency_code == FrequencyCode.VOID
    assert void_request.status == ClaimStatus.READY
    assert void_request.original_claim == claim
    assert void_request.total_charge == claim.total_charge == Decimal("125.00")
    with pytest.raises(ValidationError, match="already billed"):
        services.claim_build(encounter=claim.encounter, by=billing_user)


def test_discarding_a_correction_gives_the_original_its_place_back(billing_user):
    claim = submitted_claim(by=billing_user)
    services.claim_deny(claim=claim, reason="Typo", by=billing_user)
    replacement = services.claim_resubmit(claim=claim, by=billing_user)

    services.claim_void(claim=replacement, reason="Not needed", by=billing_user)

    claim.refresh_from_db()
    assert claim.superseded is False
    assert services.claim_resubmit(claim=claim, by=billing_user).frequency_code == "7"


def test_ready_claim_can_be_reopened_but_a_draft_only_edited(billing_user):
    claim = built_claim(by=billing_user)
    services.claim_mark_ready(claim=claim, by=billing_user)

    with pytest.raises(ValidationError, match="Only a draft"):
        services.claim_line_update(line=claim.lines.get(), data={"units": 2}, by=billing_user)
    services.claim_reopen(claim=claim, by=billing_user)
    line = services.claim_line_update(line=claim.lines.get(), data={"units": 2}, by=billing_user)

    assert line.charge == Decimal("250.00")


@pytest.mark.parametrize(
    "data, field",
    [
        ({"units": 0}, "units"),
        ({"unit_price": "-1"}, "unit_price"),
        ({"unit_price": "12.345"}, "unit_price"),
        ({"unit_price": "abc"}, "unit_price"),
        ({"modifiers": "25 LTX"}, "modifiers"),
        ({"modifiers": "25 59 76 77 XU"}, "modifiers"),
        ({"diagnosis_pointers": "A B C D E"}, "diagnosis_pointers"),
        ({"diagnosis_pointers": "M"}, "diagnosis_pointers"),
    ],
)
def test_bad_line_corrections_are_refused_with_a_message(billing_user, data, field):
    claim = built_claim(by=billing_user)

    with pytest.raises(ValidationError) as raised:
        services.claim_line_update(line=claim.lines.get(), data=data, by=billing_user)

    assert field in raised.value.message_dict
    assert claim.lines.get().units == 1


def test_pointers_are_entered_as_letters(billing_user):
    claim = built_claim(by=billing_user)

    line = services.claim_line_update(
        line=claim.lines.get(), data={"diagnosis_pointers": "b, a"}, by=billing_user
    )

    assert line.diagnosis_pointers == [2, 1]
    assert line.pointer_letters == "BA"
