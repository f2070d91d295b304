"""Balances, the ledger and aging: computed from lines, allocations, adjustments, payments."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from billing import services
from billing.ledger import aging_report, bucket_for, patient_balances, patient_ledger
from billing.services.payments import AdjustmentInput, LineAllocation
from tests.billing.factories import signed_visit, submitted_claim
from tests.factories import CoverageFactory, PatientFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("billing_clinic")]
D = Decimal


def days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def pay(claim, *, paid, allowed=None, adjustments=(), by=None, reference=None):
    payment = services.payment_post(
        payer=claim.payer,
        method="eft",
        reference=reference or f"EFT-{claim.pk}",
        amount=D(paid) if D(paid) > 0 else D("0.01"),
        received_on=timezone.localdate(),
        by=by,
    )
    services.payment_allocate(
        payment=payment,
        claim=claim,
        lines=[
            LineAllocation(
                claim.lines.get().pk,
                D(allowed or paid),
                D(paid),
                [AdjustmentInput(g, c, D(a)) for g, c, a in adjustments],
            )
        ],
        by=by,
    )


@pytest.mark.parametrize(
    "age, bucket",
    [
        (0, "0-30"),
        (30, "0-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "91-120"),
        (120, "91-120"),
        (121, "120+"),
        (900, "120+"),
    ],
)
def test_aging_bucket_edges(age, bucket):
    assert bucket_for(age) == bucket


def test_insurance_balances_age_by_payer_from_the_date_of_service(billing_user):
    coverage = CoverageFactory()
    recent = submitted_claim(coverage=coverage, date_of_service=days_ago(10), by=billing_user)
    older = submitted_claim(
        coverage=CoverageFactory(payer=coverage.payer),
        date_of_service=days_ago(45),
        by=billing_user,
    )
    oldest = submitted_claim(date_of_service=days_ago(130), by=billing_user)
    pay(older, paid="25.00", allowed="100.00", by=billing_user)

    report = aging_report()

    rows = {row.label: row for row in report.by_payer}
    first = rows[coverage.payer.name]
    assert first.buckets["0-30"] == D("125.00")
    assert first.buckets["31-60"] == D("100.00")
    assert rows[oldest.payer.name].buckets["120+"] == D("125.00")
    assert report.totals["0-30"] == D("125.00")
    assert report.total == D("350.00")
    assert recent.patient_id not in [row.key for row in report.by_patient]


def test_patient_payments_settle_the_oldest_balance_first(billing_user):
    patient = PatientFactory()
    for age in (100, 40, 5):
        services.claim_build(
            encounter=signed_visit(
                patient=patient, date_of_service=days_ago(age), procedures=[("99213", 1, [], [1])]
            ),
            by=billing_user,
        )  # self-pay: three invoices of $125
    services.patient_payment_post(
        patient=patient, method="cash", amount=D("150.00"), by=billing_user
    )

    row = next(row for row in aging_report().by_patient if row.key == patient.pk)

    assert row.buckets == {
        "0-30": D("125.00"),
        "31-60": D("100.00"),
        "61-90": D("0.00"),
        "91-120": D("0.00"),
        "120+": D("0.00"),
    }
    assert row.total == D("225.00")
    assert row.credit == D("0.00")


def test_overpayment_is_shown_as_a_credit(billing_user, patient):
    services.patient_payment_post(
        patient=patient, method="card", amount=D("30.00"), by=billing_user
    )

    row = next(row for row in aging_report().by_patient if row.key == patient.pk)

    assert row.total == D("0.00")
    assert row.credit == D("30.00")
    assert patient_balances()[patient.pk] == D("-30.00")


def test_ledger_runs_a_balance_through_charge_payment_adjustment_and_patient_payment(billing_user):
    claim = submitted_claim(date_of_service=days_ago(20), by=billing_user)
    pay(
        claim,
        paid="70.00",
        allowed="100.00",
        adjustments=[("CO", "45", "25.00"), ("PR", "2", "30.00")],
        by=billing_user,
    )
    services.patient_payment_post(
        patient=claim.patient, method="card", amount=D("10.00"), by=billing_user
    )

    ledger = patient_ledger(patient_id=claim.patient_id)

    assert [(e.kind, e.amount, e.patient_amount) for e in ledger.entries] == [
        ("charge", D("125.00"), D("0")),
        ("payment", D("-70.00"), D("0")),
        ("adjustment", D("-25.00"), D("0")),
        ("transfer", D("0"), D("30.00")),
        ("payment", D("-10.00"), D("-10.00")),
    ]
    assert [e.balance for e in ledger.entries] == [
        D("125.00"),
        D("55.00"),
        D("30.00"),
        D("30.00"),
        D("20.00"),
    ]
    assert ledger.insurance_balance == D("0.00")
    assert ledger.patient_balance == D("20.00")


def test_a_replaced_claim_charges_once_and_keeps_its_payments(billing_user):
    claim = submitted_claim(by=billing_user)
    pay(claim, paid="50.00", allowed="100.00", by=billing_user)
    services.claim_deny(claim=claim, reason="Partial, send a corrected claim", by=billing_user)
    services.claim_resubmit(claim=claim, by=billing_user)

    ledger = patient_ledger(patient_id=claim.patient_id)

    assert ledger.charges == D("125.00")
    assert ledger.insurance_balance == D("75.00")
    payer_row = next(row for row in aging_report().by_payer if row.key == claim.payer_id)
    assert payer_row.total == D("75.00")


def test_voided_claims_and_invoices_owe_nothing(billing_user):
    claim = submitted_claim(by=billing_user)
    services.claim_void(claim=claim, reason="Wrong patient", by=billing_user)
    invoice = services.claim_build(
        encounter=signed_visit(patient=PatientFactory()), by=billing_user
    )
    services.invoice_void(invoice=invoice, reason="Courtesy", by=billing_user)

    assert patient_ledger(patient_id=claim.patient_id).balance == D("0")
    assert patient_ledger(patient_id=invoice.patient_id).balance == D("0")
    assert aging_report().total == D("0")


def test_balances_as_of_a_date_ignore_later_activity(billing_user):
    claim = submitted_claim(date_of_service=days_ago(40), by=billing_user)
    pay(claim, paid="100.00", adjustments=[("PR", "3", "25.00")], by=billing_user)

    before = patient_ledger(patient_id=claim.patient_id, as_of=days_ago(1))
    now = patient_ledger(patient_id=claim.patient_id)

    assert (before.insurance_balance, before.patient_balance) == (D("125.00"), D("0"))
    assert (now.insurance_balance, now.patient_balance) == (D("0.00"), D("25.00"))
