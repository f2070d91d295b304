"""The visit summary PDF: the signed (or draft) note, vitals, coding and addenda of one visit."""

from __future__ import annotations

from django.utils import timezone

from charting import selectors
from emr.documents import RenderedFile, register
from emr.models import Clinic, Document, DocumentKind
from emr.pdf import render_pdf


@register(DocumentKind.VISIT_SUMMARY, permission="charting.view_clinicalnote")
def render_visit_summary(document: Document) -> RenderedFile:
    encounter = selectors.encounter_get_for_page(pk=document.owner_id)
    content = render_pdf(
        "charting/pdf/visit_summary.html",
        {
            "clinic": Clinic.current(),
            "encounter": encounter,
            "patient": encounter.patient,
            "note": selectors.note_of(encounter),
            "vitals_list": list(encounter.vitals.all()),
            "diagnoses": list(encounter.diagnoses.all()),
            "procedures": list(encounter.procedures.all()),
            "addenda": list(encounter.addenda.all()),
            "printed_at": timezone.localtime(),
            "document": document,
        },
    )
    filename = f"visit-summary-{encounter.patient.mrn}-{encounter.date_of_service:%Y%m%d}.pdf"
    return RenderedFile(filename=filename, content=content)
