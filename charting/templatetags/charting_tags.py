"""The charting sections of the patient chart page, which belongs to `emr`: emr cannot import
charting, so its templates include these (guarded by charting permissions)."""

from __future__ import annotations

from django import template
from django.core.paginator import Paginator

from charting import selectors
from charting.charts import blood_pressure_chart, weight_chart

register = template.Library()

TIMELINE_PAGE_SIZE = 10


def _active_allergies(patient) -> list:
    # The banner and the chart sections share one query per request.
    if not hasattr(patient, "_charting_active_allergies"):
        patient._charting_active_allergies = selectors.allergy_list_for_banner(
            patient_id=patient.pk
        )
    return patient._charting_active_allergies


@register.inclusion_tag("charting/_allergy_banner.html")
def allergy_banner(patient):
    return {"allergies": _active_allergies(patient), "patient": patient}


@register.inclusion_tag("charting/_patient_sections.html", takes_context=True)
def patient_chart_sections(context, patient):
    """Problems, medications, the vitals trend and the encounter timeline, in 7 queries."""
    request = context["request"]
    user = request.user
    readings = (
        selectors.vitals_list_for_trend(patient=patient)
        if user.has_perm("charting.view_vitals")
        else []
    )
    provider = getattr(user, "provider", None) if user.has_perm("charting.add_encounter") else None
    timeline = Paginator(selectors.encounter_list_for_timeline(patient=patient), TIMELINE_PAGE_SIZE)
    return {
        "request": request,
        "perms": context.get("perms"),
        "csrf_token": context.get("csrf_token"),
        "patient": patient,
        "can_see_clinical": user.has_perm("charting.view_problem"),
        "problems": list(selectors.problem_list_for_patient(patient=patient, active_only=True))
        if user.has_perm("charting.view_problem")
        else [],
        "medications": list(
            selectors.medication_list_for_patient(patient=patient, active_only=True)
        )
        if user.has_perm("charting.view_medication")
        else [],
        "bp_chart": blood_pressure_chart(readings),
        "weight_chart": weight_chart(readings),
        "encounters": timeline.get_page(request.GET.get("encounters")),
        "can_walk_in": provider is not None,
        "todays_visits": selectors.appointment_list_for_chart_today(
            patient=patient, provider=provider
        )
        if provider is not None
        else [],
    }


@register.inclusion_tag("charting/_appointment_chart_button.html", takes_context=True)
def appointment_chart_button(context, appointment):
    """The "Start visit" / "Open visit" button of an appointment, for the scheduling pages."""
    request = context["request"]
    user = request.user
    # Select "encounter" with the appointments (select_related) to keep this query-free.
    encounter = getattr(appointment, "encounter", None)
    return {
        "appointment": appointment,
        "encounter": encounter,
        "can_start": user.has_perm("charting.add_encounter")
        and appointment.provider.user_id == user.pk
        and appointment.status in ("arrived", "in_room", "completed"),
        "can_view": user.has_perm("charting.view_encounter"),
        "csrf_token": context.get("csrf_token"),
    }
