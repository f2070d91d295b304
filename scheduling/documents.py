"""The printable day list, rendered by the documents pipeline of emr."""

from __future__ import annotations

from itertools import groupby

from django.utils import timezone

from emr.documents import RenderedFile, register
from emr.models import Clinic, Document, DocumentKind
from emr.pdf import render_pdf
from scheduling.models import AppointmentStatus, DayList
from scheduling.selectors import appointment_list_for_day


@register(DocumentKind.DAY_LIST, permission="scheduling.view_appointment")
def render_day_list(document: Document) -> RenderedFile:
    day_list = DayList.objects.select_related("provider__user").get(pk=document.owner_id)
    appointments = [
        appointment
        for appointment in appointment_list_for_day(day=day_list.day, provider=day_list.provider)
        if appointment.status != AppointmentStatus.CANCELLED
    ]
    appointments.sort(key=lambda a: (str(a.provider), a.provider_id, a.start))
    by_provider = []
    for _, items in groupby(appointments, key=lambda appointment: appointment.provider_id):
        group = list(items)
        by_provider.append((group[0].provider, group))
    content = render_pdf(
        "scheduling/pdf/day_list.html",
        {
            "clinic": Clinic.current(),
            "day_list": day_list,
            "by_provider": by_provider,
            "total": len(appointments),
            "printed_at": timezone.localtime(),
            "document": document,
        },
    )
    return RenderedFile(filename=f"day-list-{day_list.day:%Y-%m-%d}.pdf", content=content)
