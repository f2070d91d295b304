"""Billing PDFs: rendered by Celery (a real worker where it matters), retried, idempotent."""

import datetime
import io
import time
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from billing import services
from billing.documents import render_invoice, statement_context
from billing.models import Statement, StatementBatch
from emr import documents as registry
from emr.models import Document, DocumentKind, DocumentStatus
from tests.billing.factories import built_claim, signed_visit
from tests.factories import CoverageFactory, PatientFactory


def wait_until_done(document: Document, timeout: float = 60) -> Document:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        document.refresh_from_db()
        if document.status != DocumentStatus.PENDING:
            return document
        time.sleep(0.1)
    raise AssertionError(f"document {document.pk} still pending after {timeout}s")


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def pdf_pages(content: bytes) -> int:
    return len(PdfReader(io.BytesIO(content)).pages)


def download(client, document) -> bytes:
    response = client.get(reverse("documents:download", args=[document.pk]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


@pytest.mark.django_db(transaction=True)
def test_cms1500_is_rendered_by_a_real_worker_with_the_claim_in_its_boxes(
    client, billing_clinic, billing_user, celery_worker
):
    coverage = CoverageFactory(
        patient__first_name="Beatriz",
        patient__last_name="Okonkwo",
        member_id="AE55512345",
        group_number="G7788",
    )
    claim = built_claim(
        coverage=coverage,
        by=billing_user,
        diagnoses=["E11.9", "I10"],
        procedures=[("99214", 1, ["25"], [1, 2]), ("81002", 2, [], [2])],
    )
    client.force_login(billing_user)

    response = client.post(reverse("billing:claim_cms1500", args=[claim.pk]))

    document = wait_until_done(Document.objects.get(kind=DocumentKind.CMS1500))
    assert response.url == document.get_absolute_url()
    assert document.status == DocumentStatus.READY, document.error
    text = pdf_text(download(client, document))
    assert "HEALTH INSURANCE CLAIM FORM" in text
    assert "AE55512345" in text  # 1a
    assert "OKONKWO, BEATRIZ" in text  # 2 and 4
    assert "G7788" in text  # 11
    assert "E11.9" in text and "I10" in text  # 21
    assert "99214" in text and "25" in text and "AB" in text  # 24D, 24E
    assert claim.rendering_provider.npi in text  # 24J
    assert billing_clinic.group_npi in text  # 33a
    assert "12-3456789" in text  # 25
    assert claim.number in text  # 26
    assert "$ 205.00" in text  # 28


@pytest.mark.django_db(transaction=True)
def test_a_failed_render_is_retried_and_leaves_exactly_one_document(
    client, billing_clinic, billing_user, celery_worker, monkeypatch
):
    claim = built_claim(by=billing_user)
    real = registry.renderer_for(DocumentKind.CMS1500)
    calls = []

    def flaky(document):
        calls.append(document.pk)
        if len(calls) == 1:
            raise OSError("disk hiccup")
        return real(document)

    monkeypatch.setitem(registry._renderers, DocumentKind.CMS1500, flaky)
    client.force_login(billing_user)

    client.post(reverse("billing:claim_cms1500", args=[claim.pk]))

    document = wait_until_done(Document.objects.get(kind=DocumentKind.CMS1500))
    assert document.status == DocumentStatus.READY, document.error
    assert len(calls) == 2
    assert document.attempts == 2
    assert Document.objects.filter(kind=DocumentKind.CMS1500).count() == 1
    assert download(client, document).startswith(b"%PDF")


def _patient_owing(amount: str, *, by, last_name: str):
    """A self-pay patient invoiced `amount` for a visit last month."""
    from tests.billing.factories import fee

    fee("99213")
    encounter = signed_visit(
        patient=PatientFactory(last_name=last_name),
        date_of_service=timezone.localdate().replace(day=1) - datetime.timedelta(days=10),
        procedures=[("99213", 1, [], [1])],
    )
    invoice = services.claim_build(encounter=encounter, by=by)
    if Decimal(amount) != Decimal("125.00"):
        services.patient_payment_post(
            patient=encounter.patient,
            method="cash",
            amount=Decimal("125.00") - Decimal(amount),
            received_on=encounter.date_of_service,
            by=by,
        )
    return invoice.patient


@pytest.mark.django_db(transaction=True)
def test_statement_batch_runs_on_a_real_worker_once_per_patient_and_merges(
    client, billing_clinic, billing_user, celery_worker
):
    owing = [
        _patient_owing("125.00", by=billing_user, last_name="Adams"),
        _patient_owing("40.00", by=billing_user, last_name="Baker"),
        _patient_owing("10.00", by=billing_user, last_name="Clark"),
    ]
    _patient_owing("0.00", by=billing_user, last_name="Paidup")  # owes nothing: no statement
    period_end = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    client.force_login(billing_user)

    response = client.post(reverse("billing:statements"), {"period_end": period_end.isoformat()})

    batch = StatementBatch.objects.get(period_end=period_end)
    assert response.url == batch.get_absolute_url()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        statements = list(Statement.objects.filter(batch=batch).select_related("document"))
        if len(statements) == 3 and all(s.document.status != "pending" for s in statements):
            break
        time.sleep(0.2)
    assert sorted((s.patient_id, s.amount_due) for s in statements) == sorted(
        [
            (owing[0].pk, Decimal("125.00")),
            (owing[1].pk, Decimal("40.00")),
            (owing[2].pk, Decimal("10.00")),
        ]
    )
    assert all(s.document.status == DocumentStatus.READY for s in statements), [
        s.document.error for s in statements
    ]
    progress = client.get(batch.get_absolute_url(), headers={"HX-Request": "true"}).content.decode()
    assert '<span id="statements-ready">3</span> of 3 statements ready' in progress
    assert "hx-trigger" not in progress

    # Running the period again duplicates nothing.
    client.post(reverse("billing:statements"), {"period_end": period_end.isoformat()})
    time.sleep(1.5)
    assert Statement.objects.filter(batch=batch).count() == 3
    assert Document.objects.filter(kind=DocumentKind.STATEMENT).count() == 3

    merge = client.post(reverse("billing:statement_batch_merge", args=[batch.pk]))
    merged = wait_until_done(
        Document.objects.get(pk=StatementBatch.objects.get(pk=batch.pk).merged_document_id)
    )
    assert merge.url == merged.get_absolute_url()
    assert merged.status == DocumentStatus.READY, merged.error
    content = download(client, merged)
    assert pdf_pages(content) == 3
    text = pdf_text(content)
    assert text.index("Adams") < text.index("Baker") < text.index("Clark")
    single = download(client, statements[0].document)
    assert "Patient statement" in pdf_text(single)


@pytest.mark.django_db
def test_statement_shows_the_amount_due_and_escapes_markup(billing_clinic, billing_user):
    patient = _patient_owing("40.00", by=billing_user, last_name="<b>Tables</b>")
    period_end = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    batch = StatementBatch.objects.create(period_end=period_end)
    services.statement_batch_run(batch_id=batch.pk)
    statement = Statement.objects.get(patient=patient)

    rendered = registry.renderer_for(DocumentKind.STATEMENT)(statement.document)

    text = pdf_text(rendered.content)
    assert "$40.00" in text
    assert "<b>Tables</b>" in text
    assert statement_context(statement, billing_clinic)["ledger"].patient_balance == Decimal(
        "40.00"
    )


@pytest.mark.django_db
def test_statement_that_no_longer_matches_the_ledger_is_not_printed(billing_clinic, billing_user):
    from billing.documents import StatementMismatch

    patient = _patient_owing("40.00", by=billing_user, last_name="Moved")
    period_end = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    batch = StatementBatch.objects.create(period_end=period_end)
    services.statement_batch_run(batch_id=batch.pk)
    statement = Statement.objects.get(patient=patient)
    # A payment back-dated into the period after the statement was made.
    services.patient_payment_post(
        patient=patient, method="cash", amount=Decimal("5"), received_on=period_end, by=billing_user
    )

    with pytest.raises(StatementMismatch):
        registry.renderer_for(DocumentKind.STATEMENT)(statement.document)


@pytest.mark.django_db
def test_invoice_pdf_lists_the_visit_services(billing_clinic, billing_user):
    encounter = signed_visit(
        patient=PatientFactory(last_name="Selfpay"),
        procedures=[("99213", 1, [], [1]), ("81002", 2, [], [2])],
    )
    invoice = services.claim_build(encounter=encounter, by=billing_user)

    class Owner:
        owner_id = invoice.pk

    text = pdf_text(render_invoice(Owner).content)

    assert invoice.number in text
    assert "Selfpay" in text
    assert "$150.00" in text


@pytest.mark.django_db
def test_a_period_without_balances_says_there_is_nothing_to_send(client_as, billing_clinic):
    period_end = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    batch = StatementBatch.objects.create(period_end=period_end)
    client = client_as("billing")
    before = client.get(batch.get_absolute_url(), headers={"HX-Request": "true"}).content.decode()

    services.statement_batch_run(batch_id=batch.pk)

    after = client.get(batch.get_absolute_url(), headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in before
    assert "nothing to send" in after
    assert "hx-trigger" not in after
