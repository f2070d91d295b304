"""A biller's day, in the browser: from a signed visit to a claim on paper and in an 837P
file, then the payer's payment with its adjustments, and the patient's balance."""

import re

import pytest
from playwright.sync_api import Page, expect

from billing import x12
from billing.models import Claim, ClaimStatus
from tests.billing.factories import insured_visit
from tests.factories import TEST_PASSWORD, ClinicFactory, CoverageFactory, PatientFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_biller_claims_a_signed_visit_sends_it_and_posts_the_payment(
    page: Page, live_server, roles, billing_user, celery_worker
):
    ClinicFactory(postal_code="62701-1234")
    coverage = CoverageFactory(patient=PatientFactory(first_name="Grace", last_name="Okafor"))
    payer = coverage.payer
    encounter = insured_visit(coverage=coverage)
    patient = encounter.patient

    log_in(page, live_server, billing_user.username)
    page.get_by_role("link", name="Billing", exact=True).click()

    # The work queue lists the signed visit; one action builds its claim.
    visits = page.locator("#visits-to-bill")
    expect(visits).to_contain_text("Okafor, Grace")
    visits.get_by_role("button", name="Build claim").click()
    expect(page.get_by_text(re.compile(r"Claim C\d{7} built as a draft"))).to_be_visible()
    claim = Claim.objects.get(encounter=encounter)
    expect(page.locator("#claim-lines")).to_contain_text("99213")
    expect(page.locator("#claim-total")).to_have_text("$125.00")

    # Scrub (htmx, in place), then mark ready.
    page.get_by_role("button", name="Scrub").click()
    expect(page.locator("#scrub-results")).to_contain_text("found no problems")
    page.get_by_role("button", name="Mark ready").click()
    expect(page.get_by_text("passed the scrubber and is ready to send")).to_be_visible()

    # The CMS-1500, rendered by the worker while the page polls.
    page.get_by_role("button", name="Print CMS-1500 (PDF)").click()
    download_link = page.locator("#document-download")
    expect(download_link).to_be_visible(timeout=30_000)
    with page.expect_download() as pdf_download:
        download_link.click()
    assert pdf_download.value.suggested_filename == f"cms1500-{claim.number}.pdf"
    with open(pdf_download.value.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"

    # The 837P batch of every ready claim.
    page.goto(f"{live_server.url}/billing/")
    page.get_by_role("link", name="837P batches").click()
    expect(page.get_by_text("1 claim ready to send")).to_be_visible()
    page.get_by_role("button", name="Create 837P file of all ready claims").click()
    expect(page.get_by_text(re.compile(r"837P file \d{9} created"))).to_be_visible()
    with page.expect_download() as file_download:
        page.locator("#download-837").click()
    with open(file_download.value.path(), encoding="ascii") as handle:
        text = handle.read()
    assert x12.validate(text) == []
    assert f"CLM*{claim.number}*125***11:B:1" in text
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED

    # Before the payment: nothing owed by the patient yet.
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    expect(page.locator("#patient-balance")).to_have_text("$0.00")
    expect(page.locator("#insurance-balance")).to_have_text("$125.00")

    # The payer's EFT: $80 paid, $25 contractual write-off, $20 coinsurance to the patient.
    page.get_by_role("link", name="Billing", exact=True).click()
    page.get_by_role("link", name="Payments").click()
    page.get_by_role("link", name="Post a payer payment").click()
    page.get_by_label("Payer").select_option(str(payer.pk))
    page.get_by_label("Method").select_option("eft")
    page.get_by_label("Check / EFT number").fill("EFT-20260301")
    page.get_by_label("Amount").fill("80.00")
    page.get_by_role("button", name="Post payment").click()
    expect(page.get_by_text("Payment posted.")).to_be_visible()
    page.locator("#open-claims").get_by_role("link", name="Apply").click()
    page.get_by_label("Allowed, line 1").fill("100.00")
    page.get_by_label("Paid, line 1").fill("80.00")
    page.get_by_label("Adjustment group, line 1", exact=True).select_option("CO")
    page.get_by_label("Reason code, line 1", exact=True).fill("45")
    page.get_by_label("Adjustment amount, line 1", exact=True).fill("25.00")
    page.get_by_label("Second adjustment group, line 1").select_option("PR")
    page.get_by_label("Second reason code, line 1").fill("2")
    page.get_by_label("Second adjustment amount, line 1").fill("20.00")
    page.get_by_role("button", name="Apply payment").click()
    expect(page.get_by_text(f"Payment applied to claim {claim.number}.")).to_be_visible()
    expect(page.locator("#unapplied")).to_have_text("unapplied $0.00")

    # The patient's balance now holds the coinsurance; the claim is paid.
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    expect(page.locator("#patient-balance")).to_have_text("$20.00")
    expect(page.locator("#insurance-balance")).to_have_text("$0.00")
    expect(page.locator("#ledger-recent")).to_contain_text("Patient responsibility PR-2")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
