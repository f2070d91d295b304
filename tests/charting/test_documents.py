import io
import time

import pytest
from django.urls import reverse
from pypdf import PdfReader

from charting import services
from emr.models import AccessLog, Document, DocumentKind, DocumentStatus


def _wait_until_done(document: Document, timeout: float = 30) -> Document:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        document.refresh_from_db()
        if document.status != DocumentStatus.PENDING:
            return document
        time.sleep(0.1)
    raise AssertionError(f"document {document.pk} still pending after {timeout}s")


@pytest.mark.django_db(transaction=True)
def test_visit_summary_is_rendered_by_a_real_worker(client, roles, celery_worker):
    from tests.charting.conftest import build_signed_visit

    encounter, clinician = build_signed_visit()
    services.addendum_add(encounter=encounter, by=clinician, text="Potassium 4.1, normal.")
    client.force_login(clinician)

    response = client.post(reverse("charting:visit_summary", args=[encounter.pk]))
    document = Document.objects.get(kind=DocumentKind.VISIT_SUMMARY)
    assert response.url == document.get_absolute_url()
    document = _wait_until_done(document)
    assert document.status == DocumentStatus.READY, document.error

    download = client.get(reverse("documents:download", args=[document.pk]))
    content = b"".join(download.streaming_content)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert "Visit summary" in text
    assert encounter.patient.mrn in text
    assert "Start lisinopril 10 mg daily" in text  # the plan
    assert "152/94" in text  # vitals
    assert "I10" in text and "Essential (primary) hypertension" in text
    assert "99213" in text
    assert "Potassium 4.1, normal." in text  # the addendum
    assert AccessLog.objects.filter(action="download", patient=encounter.patient).count() == 1
