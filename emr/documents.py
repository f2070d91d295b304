"""Document kinds and how each is rendered.

Each app registers the renderers of the kinds it owns (in its AppConfig.ready), so that
`emr` runs the pipeline without importing the apps above it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from emr.models import Clinic, Document, DocumentKind, Patient
from emr.pdf import render_pdf


@dataclass(frozen=True)
class RenderedFile:
    filename: str
    content: bytes
    content_type: str = "application/pdf"


Renderer = Callable[[Document], RenderedFile]
_renderers: dict[str, Renderer] = {}
_permissions: dict[str, str] = {}


def register(kind: str, *, permission: str) -> Callable[[Renderer], Renderer]:
    """Register how a kind of document is rendered and the permission needed to see one."""

    def decorator(func: Renderer) -> Renderer:
        _renderers[kind] = func
        _permissions[kind] = permission
        return func

    return decorator


def permission_for(kind: str) -> str:
    # A kind nobody registered is visible to nobody.
    return _permissions.get(kind, "emr.nobody_has_this_permission")


def renderer_for(kind: str) -> Renderer:
    try:
        return _renderers[kind]
    except KeyError:
        raise LookupError(f"no renderer registered for document kind {kind!r}") from None


@register(DocumentKind.FACE_SHEET, permission="emr.view_patient")
def render_face_sheet(document: Document) -> RenderedFile:
    patient = (
        Patient.objects.filter(pk=document.owner_id).prefetch_related("coverages__payer").get()
    )
    coverages = [coverage for coverage in patient.coverages.all() if coverage.active]
    content = render_pdf(
        "pdf/face_sheet.html",
        {
            "clinic": Clinic.current(),
            "patient": patient,
            "coverages": coverages,
            "printed_at": timezone.localtime(),
            "document": document,
        },
    )
    return RenderedFile(filename=f"face-sheet-{patient.mrn}.pdf", content=content)
