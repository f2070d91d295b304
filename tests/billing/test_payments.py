"""Payer payments allocated to claim lines, adjustments, patient payments and copays."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from billing import services
from billing.ledger import patient_balance, patient_ledger
from billing.models import Adjustment, ClaimStatus, Payment, PaymentAllocation
from billing.services.payments import AdjustmentInput, LineAllocation
from tests.billing.factories import built_claim, submitted_claim

D = Decimal


def today():
    return timezone.localdate()


def eob_line(claim, number=1, allowed="100.00", paid="80.00", adjustments=()):
    line = claim.lines.get(line_number=number)
    return LineAllocation(
        claim_line_id=line.pk,
        allowed=D(allowed),
        paid=D(paid),
        adjustments=[
            AdjustmentInput(group, code, D(amount)) for group, code, amount in adjustments
        ],
    )


def post(payer, reference="CHK1001", amount="80.00", by=None):
    return services.payment_post(
        payer=payer,
        method="check",
        reference=reference,
        amount=D(amount),
        received_on=today(),
        by=by,
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("billing_clinic")
class TestAllocation:
    def test_payment_with_contractual_and_patient_adjustments_settles_the_claim(self, billing_user):
        claim = submitted_claim(by=billing_user)  # one line of $125
        payment = post(claim.payer, amount="80.00", by=billing_user)

        services.payment_allocate(
            payment=payment,
            claim=claim,
            lines=[
                eob_line(
                    claim,
                    allowed="100.00",
                    paid="80.00",
                    adjustments=[("CO", "45", "25.00"), ("PR", "2", "20.00")],
                )
            ],
            by=billing_user,
        )

        claim.refresh_from_db()
        assert claim.status == ClaimStatus.PAID
        ledger = patient_ledger(patient_id=claim.patient_id)
        assert ledger.insurance_balance == D("0.00")
        assert ledger.patient_balance == D("20.00")  # coinsurance moved to the patient
        assert ledger.balance == D("20.00")
        assert patient_balance(patient_id=claim.patient_id) == D("20.00")

    def test_partial_payment_leaves_the_claim_open(self, billing_user):
        claim = submitted_claim(by=billing_user)
        payment = post(claim.payer, amount="50.00", by=billing_user)

        services.payment_allocate(
            payment=payment,
            claim=claim,
            lines=[eob_line(claim, allowed="100", paid="50")],
            by=billing_user,
        )

        claim.refresh_from_db()
        assert claim.status == ClaimStatus.SUBMITTED
        assert patient_ledger(patient_id=claim.patient_id).insurance_balance == D("75.00")

    def test_over_allocation_of_the_payment_is_refused_and_nothing_is_saved(self, billing_user):
        claim = submitted_claim(by=billing_user)
        payment = post(claim.payer, amount="50.00", by=billing_user)

        with pytest.raises(
            ValidationError, match=r"Over-allocation: \$80.00 is more than the \$50.00"
        ):
            services.payment_allocate(
                payment=payment,
                claim=claim,
                lines=[eob_line(claim, paid="80.00", adjustments=[("CO", "45", "25.00")])],
                by=billing_user,
            )

        assert not PaymentAllocation.objects.exists()
        assert not Adjustment.objects.exists()

    def test_crediting_more_than_the_line_charge_is_refused(self, billing_user):
        claim = submitted_claim(by=billing_user)
        payment = post(claim.payer, amount="125.00", by=billing_user)

        with pytest.raises(ValidationError, match=r"more than the \$125.00 still open"):
            services.payment_allocate(
                payment=payment,
                claim=claim,
                lines=[
                    eob_line(claim, allowed="125", paid="110", adjustments=[("CO", "45", "20")])
                ],
                by=billing_user,
            )

    def test_paid_above_allowed_is_refused(self, billing_user):
        claim = submitted_claim(by=billing_user)
        payment = post(claim.payer, amount="90.00", by=billing_user)

        with pytest.raises(ValidationError, match="more than the allowed"):
            services.payment_allocate(
                payment=payment,
                claim=claim,
                lines=[eob_line(claim, allowed="80", paid="90")],
                by=billing_user,
            )

    def test_the_same_payment_cannot_be_applied_to_a_claim_twice(self, billing_user):
        claim = submitted_claim(by=billing_user)
        payment = post(claim.payer, amount="100.00", by=billing_user)
        services.payment_allocate(
            payment=payment,
            claim=claim,
            lines=[eob_line(claim, allowed="100", paid="40")],
            by=billing_user,
        )

        with pytest.raises(ValidationError, match="cannot be posted twice"):
            services.payment_allocate(
                payment=payment,
                claim=claim,
                lines=[eob_line(claim, allowed="100", paid="40")],
                by=billing_user,
            )

    def test_bad_adjustment_group_or_code_is_refused(self, billing_user):
        claim = submitted_claim(by=billing_user)
        payment = post(claim.payer, amount="80.00", by=billing_user)

        with pytest.raises(ValidationError) as raised:
            services.payment_allocate(
                payment=payment,
                claim=claim,
                lines=[eob_line(claim, adjustments=[("XX", "45", "5"), ("CO", "", "5")])],
                by=billing_user,
            )
        assert any("CO, PR or OA" in m for m in raised.value.messages)
        assert any("reason code" in m for m in raised.value.messages)

    def test_a_claim_of_another_payer_or_not_yet_sent_is_refused(self, billing_user):
        claim = submitted_claim(by=billing_user)
        other = submitted_claim(by=billing_user)
        draft = built_claim(by=billing_user)
        payment = post(claim.payer, amount="80.00", by=billing_user)

        with pytest.raises(ValidationError, match="another payer"):
            services.payment_allocate(
                payment=payment, claim=other, lines=[eob_line(other)], by=billing_user
            )
        draft_payment = post(draft.payer, reference="X2", by=billing_user)
        with pytest.raises(ValidationError, match="sent claims"):
            services.payment_allocate(
                payment=draft_payment, claim=draft, lines=[eob_line(draft)], by=billing_user
            )

    def test_money_is_decimal_only(self, billing_user):
        claim = submitted_claim(by=billing_user)
        with pytest.raises(ValidationError, match="dollars and cents"):
            services.payment_post(
                payer=claim.payer,
                method="check",
                reference="F1",
                amount=80.5,
                received_on=today(),
                by=billing_user,
            )


@pytest.mark.django_db
@pytest.mark.usefixtures("billing_clinic")
class TestPosting:
    def test_double_posting_of_a_payer_check_is_refused(self, billing_user):
        claim = submitted_claim(by=billing_user)
        post(claim.payer, reference="CHK77", by=billing_user)

        with pytest.raises(ValidationError, match="already been posted"):
            post(claim.payer, reference="CHK77", by=billing_user)
        assert Payment.objects.count() == 1

    def test_payer_payment_needs_a_reference_a_positive_amount_and_a_past_date(self, billing_user):
        claim = submitted_claim(by=billing_user)
        with pytest.raises(ValidationError, match="check or EFT number"):
            post(claim.payer, reference=" ", by=billing_user)
        with pytest.raises(ValidationError, match="more than zero"):
            post(claim.payer, amount="0.00", by=billing_user)
        with pytest.raises(ValidationError, match="future"):
            services.payment_post(
                payer=claim.payer,
                method="eft",
                reference="E1",
                amount=D("1.00"),
                received_on=today() + datetime.timedelta(days=1),
                by=billing_user,
            )

    def test_copay_at_check_in_leaves_a_credit_until_the_visit_is_billed(
        self, front_desk, billing_user
    ):
        claim = submitted_claim(by=billing_user)
        patient = claim.patient

        services.patient_payment_post(
            patient=patient, method="card", amount=D("25.00"), is_copay=True, by=front_desk
        )

        assert patient_balance(patient_id=patient.pk) == D("-25.00")
        payment = post(claim.payer, amount="75.00", by=billing_user)
        services.payment_allocate(
            payment=payment,
            claim=claim,
            lines=[
                eob_line(
                    claim,
                    allowed="100",
                    paid="75",
                    adjustments=[("CO", "45", "25"), ("PR", "3", "25")],
                )
            ],
            by=billing_user,
        )
        assert patient_balance(patient_id=patient.pk) == D("0.00")

    def test_patient_check_is_posted_once(self, billing_user):
        claim = submitted_claim(by=billing_user)
        services.patient_payment_post(
            patient=claim.patient, method="check", reference="204", amount=D("10"), by=billing_user
        )
        with pytest.raises(ValidationError, match="already been posted"):
            services.patient_payment_post(
                patient=claim.patient,
                method="check",
                reference="204",
                amount=D("10"),
                by=billing_user,
            )

    def test_patient_cannot_pay_by_eft_here(self, billing_user, patient):
        with pytest.raises(ValidationError, match="cash, card or check"):
            services.patient_payment_post(
                patient=patient, method="eft", amount=D("5"), by=billing_user
            )


def _race(target, count=2):
    """Run `target` in `count` threads released together; return what each returned or raised."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index):
        try:
            barrier.wait(timeout=10)
            results[index] = target()
        except Exception as error:  # collected and asserted on by the test
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_people_posting_the_same_check_at_once_cannot_both_succeed(roles, billing_user):
    from tests.factories import ClinicFactory

    ClinicFactory(postal_code="62701-1234")
    claim = submitted_claim(by=billing_user)

    results = _race(lambda: post(claim.payer, reference="RACE-1", amount="125.00", by=billing_user))

    succeeded = [r for r in results if isinstance(r, Payment)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(succeeded) == 1, results
    assert len(refused) == 1, results
    assert "already been posted" in refused[0].messages[0]
    assert Payment.objects.filter(reference="RACE-1").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_people_allocating_one_payment_at_once_cannot_over_allocate_it(roles, billing_user):
    from tests.factories import ClinicFactory

    ClinicFactory(postal_code="62701-1234")
    first = submitted_claim(by=billing_user)
    second = submitted_claim(by=billing_user, coverage=None)
    # Both claims to the same payer: the second visit's coverage is with the first's payer.
    from emr.models import Coverage

    Coverage.objects.filter(pk=second.coverage_id).update(payer=first.payer)
    type(second).objects.filter(pk=second.pk).update(payer=first.payer)
    payment = post(first.payer, reference="EFT-9", amount="100.00", by=billing_user)

    def allocate(claim):
        return lambda: services.payment_allocate(
            payment=payment,
            claim=claim,
            lines=[eob_line(claim, allowed="100", paid="80")],
            by=billing_user,
        )

    barrier_targets = [allocate(first), allocate(second)]
    results = _race(lambda: barrier_targets.pop()())

    errors = [r for r in results if isinstance(r, ValidationError)]
    assert len(errors) == 1, results
    assert "Over-allocation" in errors[0].messages[0]
    assert sum(a.paid for a in PaymentAllocation.objects.filter(payment=payment)) == D("80.00")
