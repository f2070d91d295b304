import io
import time

import pytest
from django.urls import reverse
from pypdf import PdfReader

from emr import services
from emr.models import AccessLog, Document, DocumentKind, DocumentStatus
from tests.factories import CoverageFactory, PatientFactory


def _wait_until_done(document: Document, timeout: float = 30) -> Document:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        document.refresh_from_db()
        if document.status != DocumentStatus.PENDING:
            return document
        time.sleep(0.1)
    raise AssertionError(f"document {document.pk} still pending after {timeout}s")


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.mark.django_db(transaction=True)
def test_face_sheet_is_rendered_by_a_real_worker_and_downloaded_with_a_log_entry(
    client, roles, front_desk, celery_worker
):
    coverage = CoverageFactory(patient__first_name="Beatriz", patient__last_name="Okonkwo-Smith")
    patient = coverage.patient
    client.force_login(front_desk)

    response = client.post(reverse("patients:face_sheet", args=[patient.pk]))
    document = Document.objects.get(kind=DocumentKind.FACE_SHEET, patient=patient)
    assert response.status_code == 302
    assert response.url == document.get_absolute_url()

    document = _wait_until_done(document)
    assert document.status == DocumentStatus.READY, document.error
    status_html = client.get(
        document.get_absolute_url(), headers={"HX-Request": "true"}
    ).content.decode()
    assert "Download" in status_html

    download = client.get(reverse("documents:download", args=[document.pk]))
    content = b"".join(download.streaming_content)
    assert download["Content-Type"] == "application/pdf"
    assert content.startswith(b"%PDF")
    text = _pdf_text(content)
    assert "Okonkwo-Smith, Beatriz" in text
    assert coverage.member_id in text
    assert (
        AccessLog.objects.filter(action="download", patient=patient, user=front_desk).count() == 1
    )


@pytest.mark.django_db
def test_pending_document_page_polls_until_ready(
    client, front_desk, patient, django_capture_on_commit_callbacks
):
    client.force_login(front_desk)
    with django_capture_on_commit_callbacks(execute=False):
        document = services.document_request(
            kind=DocumentKind.FACE_SHEET,
            owner=patient,
            patient=patient,
            title="Face sheet",
            requested_by=front_desk,
        )

    pending_html = client.get(document.get_absolute_url()).content.decode()
    services.document_render(document_id=document.pk)
    ready_html = client.get(
        document.get_absolute_url(), headers={"HX-Request": "true"}
    ).content.decode()

    assert 'hx-trigger="every 1s"' in pending_html
    assert "hx-trigger" not in ready_html
    assert reverse("documents:download", args=[document.pk]) in ready_html


@pytest.mark.django_db
def test_rendering_twice_keeps_one_file(patient, front_desk, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        document = services.document_request(
            kind=DocumentKind.FACE_SHEET,
            owner=patient,
            patient=patient,
            title="Face sheet",
            requested_by=front_desk,
        )

    first = services.document_render(document_id=document.pk)
    second = services.document_render(document_id=document.pk)

    assert first.file.name == second.file.name
    assert second.attempts == 1
    assert Document.objects.filter(patient=patient).count() == 1


@pytest.mark.django_db
def test_pdf_shows_markup_in_patient_data_as_text(front_desk, django_capture_on_commit_callbacks):
    patient = PatientFactory(first_name="<b>Robert</b>", last_name="Tables")
    with django_capture_on_commit_callbacks(execute=False):
        document = services.document_request(
            kind=DocumentKind.FACE_SHEET,
            owner=patient,
            patient=patient,
            title="Face sheet",
            requested_by=front_desk,
        )

    document = services.document_render(document_id=document.pk)

    assert "<b>Robert</b>" in _pdf_text(document.file.read())


@pytest.mark.django_db
def test_unknown_document_kind_is_visible_to_nobody(client_as, patient):
    from django.contrib.contenttypes.models import ContentType

    document = Document.objects.create(
        kind="no_such_kind",
        owner_type=ContentType.objects.get_for_model(patient),
        owner_id=patient.pk,
        patient=patient,
        title="Mystery",
    )

    response = client_as("clinic_admin").get(document.get_absolute_url())

    assert response.status_code == 403


@pytest.mark.django_db
def test_failed_render_is_marked_failed_with_its_error(
    patient, front_desk, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        document = services.document_request(
            kind=DocumentKind.FACE_SHEET,
            owner=patient,
            patient=patient,
            title="Face sheet",
            requested_by=front_desk,
        )

    services.document_mark_failed(document_id=document.pk, error="RuntimeError: out of paper")

    document.refresh_from_db()
    assert document.status == DocumentStatus.FAILED
    assert "out of paper" in document.error


def test_pdf_fetcher_serves_static_files_and_nothing_else():
    from emr.pdf import PDF_BASE_URL, _fetcher_class

    fetcher = _fetcher_class()()

    css = fetcher(PDF_BASE_URL + "static/css/print.css")
    assert b"@page" in css.read()
    for url in [
        "https://example.com/x.css",
        "file:///etc/passwd",
        PDF_BASE_URL + "static/../../etc/passwd",
    ]:
        with pytest.raises(ValueError):
            fetcher(url)
