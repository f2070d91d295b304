import datetime
import io
import time

import pytest
from django.urls import reverse
from pypdf import PdfReader

from emr.models import Document, DocumentKind, DocumentStatus
from scheduling.models import AppointmentStatus, DayList
from tests.factories import PatientFactory, ProviderFactory
from tests.scheduling.factories import AppointmentFactory, local, next_weekday


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
def test_day_list_pdf_is_rendered_by_a_real_worker(
    client, roles, clinic, front_desk, celery_worker
):
    monday = next_weekday(0)
    raman = ProviderFactory(user__first_name="Priya", user__last_name="Raman")
    walsh = ProviderFactory(user__first_name="Thomas", user__last_name="Walsh", credentials="DO")
    AppointmentFactory(
        provider=raman,
        start=local(monday, 9),
        patient=PatientFactory(first_name="Beatriz", last_name="Okonkwo"),
        reason="Lab results",
    )
    AppointmentFactory(
        provider=walsh, start=local(monday, 10), patient=PatientFactory(last_name="Featherstone")
    )
    AppointmentFactory(
        provider=walsh,
        start=local(monday, 11),
        patient=PatientFactory(last_name="Cancelledson"),
        status=AppointmentStatus.CANCELLED,
        cancel_reason="Called",
    )
    AppointmentFactory(
        provider=raman,
        start=local(monday + datetime.timedelta(days=1), 9),
        patient=PatientFactory(last_name="Tuesdayperson"),
    )
    client.force_login(front_desk)

    response = client.post(reverse("scheduling:day_list"), {"date": monday.isoformat()})

    document = Document.objects.get(kind=DocumentKind.DAY_LIST)
    assert response.status_code == 302
    assert response.url == document.get_absolute_url()
    assert DayList.objects.get().day == monday
    document = _wait_until_done(document)
    assert document.status == DocumentStatus.READY, document.error
    download = client.get(reverse("documents:download", args=[document.pk]))
    text = _pdf_text(b"".join(download.streaming_content))
    assert "Okonkwo, Beatriz" in text
    assert "Lab results" in text
    assert "Featherstone" in text
    assert "Priya Raman, MD" in text and "Thomas Walsh, DO" in text
    assert "Cancelledson" not in text
    assert "Tuesdayperson" not in text


@pytest.mark.django_db
def test_billing_cannot_order_a_day_list(client_as):
    client = client_as("billing")

    response = client.post(reverse("scheduling:day_list"), {"date": "2026-01-05"})

    assert response.status_code == 403
    assert not Document.objects.exists()
