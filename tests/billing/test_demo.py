import datetime

import pytest
from django.utils import timezone

from billing import x12
from billing.demo import seed_billing
from billing.ledger import aging_report
from billing.models import Claim, ClaimBatch, ClaimStatus, Invoice, Payment
from tests.billing.factories import insured_visit, signed_visit
from tests.factories import PatientFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("billing_clinic")]


def test_demo_billing_covers_the_statuses_and_runs_once(billing_user):
    for days in range(40, 10, -2):
        insured_visit(date_of_service=timezone.localdate() - datetime.timedelta(days=days))
    signed_visit(
        patient=PatientFactory(), date_of_service=timezone.localdate() - datetime.timedelta(days=20)
    )

    result = seed_billing()

    statuses = set(Claim.objects.values_list("status", flat=True))
    assert {ClaimStatus.PAID, ClaimStatus.DENIED, ClaimStatus.SUBMITTED} <= statuses
    assert ClaimStatus.DRAFT in statuses or ClaimStatus.READY in statuses
    assert Invoice.objects.count() == result.invoices == 1
    assert result.left_to_bill == 4
    batch = ClaimBatch.objects.get()
    with batch.document.file.open("rb") as handle:
        assert x12.validate(handle.read().decode("ascii")) == []
    assert Payment.objects.filter(source="payer").count() == result.paid
    assert Payment.objects.filter(is_copay=True).exists()
    assert aging_report().total > 0

    again = seed_billing()

    assert again.claims == again.payments == 0
    assert Claim.objects.count() == result.claims
