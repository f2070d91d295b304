"""Billing pages: who may open them, what they show, bad input, query counts."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from billing import services
from billing.models import Claim, ClaimStatus, Payment, PaymentAllocation
from emr.models import AccessLog, Document, DocumentKind
from tests.billing.factories import built_claim, insured_visit, signed_visit, submitted_claim
from tests.factories import CoverageFactory, PatientFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("billing_clinic")]

NOT_BILLING = ["front_desk", "clinician"]


@pytest.fixture
def claim(billing_user):
    return built_claim(by=billing_user)


def pages(claim):
    patient = claim.patient
    return [
        reverse("billing:queue"),
        reverse("billing:queue") + "?tab=claims",
        reverse("billing:claim_detail", args=[claim.pk]),
        reverse("billing:claim_edit", args=[claim.pk]),
        reverse("billing:claim_scrub", args=[claim.pk]),
        reverse("billing:claim_history", args=[claim.pk]),
        reverse("billing:claim_deny", args=[claim.pk]),
        reverse("billing:claim_void", args=[claim.pk]),
        reverse("billing:batches"),
        reverse("billing:payments"),
        reverse("billing:payment_new"),
        reverse("billing:patient_payment", args=[patient.pk]),
        reverse("billing:aging"),
        reverse("billing:statements"),
    ]


@pytest.mark.parametrize("role", NOT_BILLING)
def test_clinicians_and_front_desk_cannot_reach_billing_pages(client_as, claim, role):
    client = client_as(role)
    for url in pages(claim):
        assert client.get(url).status_code == 403, url
    for name in ["claim_ready", "claim_cms1500", "claim_resubmit"]:
        assert client.post(reverse(f"billing:{name}", args=[claim.pk])).status_code == 403
    assert client.post(reverse("billing:batch_create")).status_code == 403


def test_billing_opens_every_billing_page(client_as, claim):
    client = client_as("billing")
    for url in pages(claim):
        assert client.get(url).status_code == 200, url


def test_clinic_admin_sees_billing_but_cannot_change_it(client_as, claim):
    client = client_as("clinic_admin")
    assert client.get(reverse("billing:queue")).status_code == 200
    assert client.get(reverse("billing:claim_detail", args=[claim.pk])).status_code == 200
    assert client.get(reverse("billing:aging")).status_code == 200
    assert client.post(reverse("billing:claim_ready", args=[claim.pk])).status_code == 403
    assert client.get(reverse("billing:claim_edit", args=[claim.pk])).status_code == 403
    assert client.get(reverse("billing:payment_new")).status_code == 403


def test_anonymous_users_go_to_the_login_page(client, claim):
    response = client.get(reverse("billing:queue"))
    assert response.status_code == 302
    assert reverse("login") in response.url


def test_front_desk_takes_a_copay_and_sees_the_balance_but_no_ledger(client_as, patient):
    client = client_as("front_desk")

    response = client.post(
        reverse("billing:copay", args=[patient.pk]), {"method": "card", "amount": "25.00"}
    )

    assert response.status_code == 302
    payment = Payment.objects.get(patient=patient)
    assert payment.is_copay and payment.amount == Decimal("25.00")
    card = client.get(
        reverse("billing:patient_account", args=[patient.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert "Credit $25.00" in card
    assert "ledger-recent" not in card
    # The full ledger page is billing's.
    assert client.get(reverse("billing:patient_account", args=[patient.pk])).status_code == 302
    assert client.get(reverse("billing:patient_payment", args=[patient.pk])).status_code == 403


def test_clinician_cannot_take_a_copay_or_see_a_balance(client_as, patient):
    client = client_as("clinician")
    assert client.get(reverse("billing:copay", args=[patient.pk])).status_code == 403
    assert (
        client.get(
            reverse("billing:patient_account", args=[patient.pk]), headers={"HX-Request": "true"}
        ).status_code
        == 403
    )


def test_patient_page_loads_the_account_card_for_those_who_may_see_it(client_as, patient):
    front = (
        client_as("front_desk").get(reverse("patients:detail", args=[patient.pk])).content.decode()
    )
    assert reverse("billing:patient_account", args=[patient.pk]) in front
    clinician = (
        client_as("clinician").get(reverse("patients:detail", args=[patient.pk])).content.decode()
    )
    assert reverse("billing:patient_account", args=[patient.pk]) not in clinician


@pytest.mark.parametrize(
    "data, message",
    [
        ({"method": "card", "amount": "-5"}, "greater than or equal to 0.01"),
        ({"method": "card", "amount": "abc"}, "Enter a number"),
        ({"method": "check", "amount": "10"}, "Enter the check number"),
        ({"method": "bitcoin", "amount": "10"}, "Select a valid choice"),
    ],
)
def test_bad_copay_input_shows_a_message_and_saves_nothing(client_as, patient, data, message):
    response = client_as("front_desk").post(reverse("billing:copay", args=[patient.pk]), data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Payment.objects.exists()


def test_wrong_method_is_refused(client_as, claim):
    client = client_as("billing")
    assert client.get(reverse("billing:claim_ready", args=[claim.pk])).status_code == 405
    assert client.get(reverse("billing:batch_create")).status_code == 405
    assert client.post(reverse("billing:queue")).status_code == 405
    assert client.post(reverse("billing:aging")).status_code == 405


def test_building_from_the_queue_redirects_to_the_new_claim(client_as):
    encounter = insured_visit()
    client = client_as("billing")

    queue = client.get(reverse("billing:queue")).content.decode()
    assert reverse("billing:encounter_bill", args=[encounter.pk]) in queue
    response = client.post(reverse("billing:encounter_bill", args=[encounter.pk]))

    claim = Claim.objects.get(encounter=encounter)
    assert response.url == claim.get_absolute_url()
    queue = client.get(reverse("billing:queue")).content.decode()
    assert reverse("billing:encounter_bill", args=[encounter.pk]) not in queue
    # Building twice says why, never a 500.
    again = client.post(reverse("billing:encounter_bill", args=[encounter.pk]), follow=True)
    assert "already billed" in again.content.decode()


def test_self_pay_visit_is_invoiced_from_the_queue(client_as):
    encounter = signed_visit(patient=PatientFactory())
    response = client_as("billing").post(
        reverse("billing:encounter_bill", args=[encounter.pk]), follow=True
    )
    assert "invoice" in response.content.decode().lower()
    assert response.request["PATH_INFO"].startswith("/billing/invoices/")


def test_scrub_lists_problems_without_changing_the_claim(client_as, claim):
    claim.lines.update(unit_price=0)

    html = (
        client_as("billing").get(reverse("billing:claim_scrub", args=[claim.pk])).content.decode()
    )

    assert "Line 1 (99213) has no charge." in html
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.DRAFT


def test_mark_ready_with_problems_shows_them_all(client_as, claim):
    claim.lines.update(unit_price=0, diagnosis_pointers=[])

    response = client_as("billing").post(
        reverse("billing:claim_ready", args=[claim.pk]), follow=True
    )

    html = response.content.decode()
    assert "has no charge" in html
    assert "does not point to any diagnosis" in html


def test_editing_a_claim_line_with_bad_input_shows_the_error_and_saves_nothing(client_as, claim):
    client = client_as("billing")
    line = claim.lines.get()
    data = {
        "coverage": claim.coverage_id,
        "rendering_provider": claim.rendering_provider_id,
        "referring_provider_name": "",
        "referring_provider_npi": "",
        "claim_filing_indicator": "CI",
        "place_of_service": "11",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "1",
        "lines-0-line_id": line.pk,
        "lines-0-units": "2",
        "lines-0-unit_price": "125.00",
        "lines-0-modifiers": "25 TOOLONG",
        "lines-0-diagnosis_pointers": "A",
    }

    response = client.post(reverse("billing:claim_edit", args=[claim.pk]), data)

    assert response.status_code == 200
    assert "is not a modifier" in response.content.decode()
    line.refresh_from_db()
    assert line.units == 1

    data["lines-0-modifiers"] = "25"
    response = client.post(reverse("billing:claim_edit", args=[claim.pk]), data)
    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.units, line.modifiers, line.charge) == (2, ["25"], Decimal("250.00"))


def test_user_data_is_escaped_on_billing_pages(client_as, billing_user):
    coverage = CoverageFactory(patient=PatientFactory(first_name="<script>alert(1)</script>"))
    claim = built_claim(coverage=coverage, by=billing_user)

    html = (
        client_as("billing").get(reverse("billing:claim_detail", args=[claim.pk])).content.decode()
    )

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_claim_page_is_logged_as_a_chart_view(client_as, claim):
    client_as("billing").get(reverse("billing:claim_detail", args=[claim.pk]))
    assert AccessLog.objects.filter(patient=claim.patient, description="claim").count() == 1


def test_cms1500_request_creates_a_pending_document(
    client_as, claim, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        response = client_as("billing").post(reverse("billing:claim_cms1500", args=[claim.pk]))
    document = Document.objects.get(kind=DocumentKind.CMS1500)
    assert response.url == document.get_absolute_url()
    assert document.patient == claim.patient


def test_batch_page_creates_a_file_and_offers_it_for_download(client_as, billing_user):
    claim = built_claim(by=billing_user)
    services.claim_mark_ready(claim=claim, by=billing_user)
    client = client_as("billing")

    response = client.post(reverse("billing:batch_create"), follow=True)

    html = response.content.decode()
    assert "837P file" in html
    document = Document.objects.get(kind=DocumentKind.X12_837P)
    download = client.get(reverse("documents:download", args=[document.pk]))
    assert b"".join(download.streaming_content).startswith(b"ISA*00*")
    assert (
        client_as("clinician").get(reverse("documents:download", args=[document.pk])).status_code
        == 403
    )


def test_batch_with_nothing_ready_says_so(client_as):
    response = client_as("billing").post(reverse("billing:batch_create"), follow=True)
    assert "There are no ready claims to send." in response.content.decode()


def test_payment_posting_form_refuses_double_posting_with_a_message(client_as, billing_user):
    claim = submitted_claim(by=billing_user)
    client = client_as("billing")
    data = {
        "payer": claim.payer_id,
        "method": "check",
        "reference": "CK-55",
        "amount": "100.00",
        "received_on": timezone.localdate().isoformat(),
    }
    assert client.post(reverse("billing:payment_new"), data).status_code == 302

    response = client.post(reverse("billing:payment_new"), data)

    assert response.status_code == 200
    assert "has already been posted" in response.content.decode()
    assert Payment.objects.count() == 1


def test_allocation_form_applies_a_payment_with_an_adjustment(client_as, billing_user):
    claim = submitted_claim(by=billing_user)
    payment = services.payment_post(
        payer=claim.payer,
        method="eft",
        reference="EFT-1",
        amount=Decimal("80.00"),
        received_on=timezone.localdate(),
        by=billing_user,
    )
    line = claim.lines.get()
    url = reverse("billing:payment_allocate", args=[payment.pk, claim.pk])
    data = {
        "eob-TOTAL_FORMS": "1",
        "eob-INITIAL_FORMS": "1",
        "eob-0-claim_line_id": line.pk,
        "eob-0-allowed": "100.00",
        "eob-0-paid": "90.00",
        "eob-0-adjustment_group": "CO",
        "eob-0-adjustment_code": "45",
        "eob-0-adjustment_amount": "25.00",
    }
    client = client_as("billing")

    over = client.post(url, data)
    assert over.status_code == 200
    assert "Over-allocation" in over.content.decode()
    assert not PaymentAllocation.objects.exists()

    data["eob-0-paid"] = "80.00"
    data.update(
        {"eob-0-second_group": "PR", "eob-0-second_code": "2", "eob-0-second_amount": "20.00"}
    )
    assert client.post(url, data).status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    card = client.get(
        reverse("billing:patient_account", args=[claim.patient_id]), headers={"HX-Request": "true"}
    ).content.decode()
    assert "$20.00" in card


def test_adjustment_without_its_code_is_a_form_error(client_as, billing_user):
    claim = submitted_claim(by=billing_user)
    payment = services.payment_post(
        payer=claim.payer,
        method="eft",
        reference="EFT-2",
        amount=Decimal("80.00"),
        received_on=timezone.localdate(),
        by=billing_user,
    )
    response = client_as("billing").post(
        reverse("billing:payment_allocate", args=[payment.pk, claim.pk]),
        {
            "eob-TOTAL_FORMS": "1",
            "eob-INITIAL_FORMS": "1",
            "eob-0-claim_line_id": claim.lines.get().pk,
            "eob-0-allowed": "100",
            "eob-0-paid": "80",
            "eob-0-adjustment_group": "CO",
            "eob-0-adjustment_amount": "20",
        },
    )
    assert "needs its group, reason code and amount" in response.content.decode()


def test_aging_csv_export_is_logged_and_neutralizes_formulas(client_as, billing_user):
    coverage = CoverageFactory(patient=PatientFactory(last_name="=HYPERLINK(1)"))
    claim = submitted_claim(coverage=coverage, by=billing_user)
    payment = services.payment_post(
        payer=claim.payer,
        method="eft",
        reference="E5",
        amount=Decimal("50"),
        received_on=timezone.localdate(),
        by=billing_user,
    )
    from billing.services.payments import AdjustmentInput, LineAllocation

    services.payment_allocate(
        payment=payment,
        claim=claim,
        lines=[
            LineAllocation(
                claim.lines.get().pk,
                Decimal("100"),
                Decimal("50"),
                [AdjustmentInput("PR", "1", Decimal("50"))],
            )
        ],
        by=billing_user,
    )
    client = client_as("billing")

    response = client.get(reverse("billing:aging") + "?format=csv&group=patient")

    text = response.content.decode()
    assert response["Content-Type"] == "text/csv"
    assert "'=HYPERLINK(1)" in text
    assert "50.00" in text
    assert AccessLog.objects.filter(action="export", description="A/R aging CSV").count() == 1


@pytest.mark.parametrize("query", ["", "?tab=claims", "?tab=claims&status=draft"])
def test_work_queue_query_count_does_not_grow_with_rows(
    client_as, billing_user, django_assert_max_num_queries, query
):
    client = client_as("billing")
    url = reverse("billing:queue") + query
    built_claim(by=billing_user)
    insured_visit()
    client.get(url)  # warm caches (content types, session)
    with django_assert_max_num_queries(13) as few:
        client.get(url)
    for _ in range(10):
        built_claim(by=billing_user)
        insured_visit()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200


def test_aging_report_query_count_does_not_grow_with_rows(
    client_as, billing_user, django_assert_max_num_queries
):
    client = client_as("billing")
    submitted_claim(by=billing_user)
    client.get(reverse("billing:aging"))
    with django_assert_max_num_queries(14) as few:
        client.get(reverse("billing:aging"))
    for _ in range(6):
        submitted_claim(by=billing_user)
        services.patient_payment_post(
            patient=PatientFactory(), method="cash", amount=Decimal("5"), by=billing_user
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("billing:aging"))


def test_admin_shows_billing_records_read_only(client_as, claim):
    client = client_as("clinic_admin")

    assert client.get(reverse("admin:billing_claim_changelist")).status_code == 200
    page = client.get(reverse("admin:billing_claim_change", args=[claim.pk]))
    assert page.status_code == 200
    assert b"99213" in page.content
    assert client.get(reverse("admin:billing_claim_add")).status_code == 403
    assert client.post(reverse("admin:billing_claim_delete", args=[claim.pk])).status_code == 403


def test_scrub_shows_warnings_apart_from_problems(client_as, claim):
    from emr.models import Clinic

    Clinic.objects.update(postal_code="62701")

    html = (
        client_as("billing").get(reverse("billing:claim_scrub", args=[claim.pk])).content.decode()
    )

    assert "found no problems" in html
    assert "ZIP+4" in html


def test_claim_history_shows_each_changed_field_with_who_in_constant_queries(
    client, billing_user, django_assert_max_num_queries
):
    claim = submitted_claim(by=billing_user)
    services.claim_deny(
        claim=claim, reason="Member not eligible on date of service", by=billing_user
    )
    client.force_login(billing_user)
    url = reverse("billing:claim_history", args=[claim.pk])
    client.get(url)  # warm the page header cache

    with django_assert_max_num_queries(12) as few:
        html = client.get(url).content.decode()
    claim = Claim.objects.get(pk=claim.pk)
    for n in range(10):  # test data: more history rows, written directly
        claim.denial_reason = f"Reason {n}"
        claim.save()
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)

    assert "Member not eligible on date of service" in html
    assert f"({billing_user.username})" in html
