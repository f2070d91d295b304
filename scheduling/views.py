from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from emr.models import Patient, Provider
from emr.permissions import require_perms
from emr.selectors import patient_list_for_search
from emr.viewhelpers import form_error, paginate
from scheduling import selectors, services
from scheduling.forms import (
    BookingForm,
    CancelForm,
    CheckInForm,
    DayForm,
    FindSlotsForm,
    RescheduleForm,
)
from scheduling.models import Appointment, AppointmentStatus

PAGE_SIZE = 50
ONE_DAY = datetime.timedelta(days=1)


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _day_url(day: datetime.date, provider_ids: list[int] | None = None) -> str:
    query = [("date", day.isoformat())] + [("provider", pk) for pk in provider_ids or []]
    return f"{reverse('scheduling:day')}?{urlencode(query)}"


def _parse_moment(value: str) -> datetime.datetime | None:
    """A datetime from a query string; None when it is missing or not a real moment."""
    try:
        return parse_datetime(value or "")
    except ValueError:  # well formed but impossible, e.g. month 13
        return None


def _own_provider(user) -> Provider | None:
    return getattr(user, "provider", None)


def _get_appointment_for_status(request: HttpRequest, pk: int) -> Appointment:
    """Front desk and admins move any appointment; a clinician only their own."""
    appointment = get_object_or_404(
        Appointment.objects.select_related("provider", "patient"), pk=pk
    )
    user = request.user
    if user.has_perm("scheduling.change_appointment"):
        return appointment
    if appointment.provider.user_id == user.pk:
        return appointment
    raise PermissionDenied


@require_perms("scheduling.view_appointment")
@require_GET
def day_view(request):
    form = DayForm(request.GET or None)
    day = form.day()
    provider_ids = form.provider_ids()
    all_providers = selectors.provider_list_for_schedule()
    shown = [p for p in all_providers if p.pk in provider_ids] if provider_ids else all_providers
    grid = selectors.schedule_grid_for_day(day=day, providers=shown)
    context = {
        "form": form,
        "day": day,
        "today": timezone.localdate(),
        "previous_day": day - ONE_DAY,
        "next_day": day + ONE_DAY,
        "grid": grid,
        "all_providers": all_providers,
        "selected_ids": provider_ids,
        "provider_query": urlencode([("provider", pk) for pk in provider_ids]),
    }
    template = "scheduling/_day.html" if request.htmx else "scheduling/day.html"
    return render(request, template, context)


@require_perms("scheduling.view_appointment")
@require_GET
def week_view(request):
    form = DayForm(request.GET or None)
    day = form.day()
    all_providers = selectors.provider_list_for_schedule()
    provider_ids = form.provider_ids()
    # The chosen provider, else the user's own calendar, else the first one.
    provider = (
        next((p for p in all_providers if p.pk in provider_ids), None)
        or next((p for p in all_providers if p.user_id == request.user.pk), None)
        or (all_providers[0] if all_providers else None)
    )
    grid = selectors.schedule_grid_for_week(provider=provider, day=day) if provider else None
    week = selectors.week_days(day)
    context = {
        "day": day,
        "week_start": week[0],
        "week_end": week[-1],
        "today": timezone.localdate(),
        "previous_week": day - 7 * ONE_DAY,
        "next_week": day + 7 * ONE_DAY,
        "grid": grid,
        "provider": provider,
        "all_providers": all_providers,
    }
    template = "scheduling/_week.html" if request.htmx else "scheduling/week.html"
    return render(request, template, context)


@require_perms("scheduling.view_appointment")
@require_GET
def today(request):
    """The front desk's day: every appointment with its status and the next step."""
    form = DayForm(request.GET or None)
    day = form.day()
    page = paginate(request, selectors.appointment_list_for_day(day=day), PAGE_SIZE)
    for appointment in page:
        appointment.coverage_flags = selectors.coverage_problems(
            coverages=appointment.patient.active_coverages, day=day
        )
    context = {
        "day": day,
        "today": timezone.localdate(),
        "previous_day": day - ONE_DAY,
        "next_day": day + ONE_DAY,
        "page": page,
        "now": timezone.now(),
    }
    template = "scheduling/_today_list.html" if request.htmx else "scheduling/today.html"
    return render(request, template, context)


@require_perms("scheduling.view_appointment")
@require_GET
def my_day(request):
    """A clinician's own appointments for a day."""
    provider = _own_provider(request.user)
    if provider is None:
        raise PermissionDenied
    form = DayForm(request.GET or None)
    day = form.day()
    context = {
        "day": day,
        "today": timezone.localdate(),
        "previous_day": day - ONE_DAY,
        "next_day": day + ONE_DAY,
        "provider": provider,
        "page": paginate(
            request, selectors.appointment_list_for_day(day=day, provider=provider), PAGE_SIZE
        ),
        "now": timezone.now(),
    }
    template = "scheduling/_my_day_list.html" if request.htmx else "scheduling/my_day.html"
    return render(request, template, context)


def _booking_initial(request) -> dict:
    initial = {}
    for field in ("provider", "appointment_type", "patient"):
        value = request.GET.get(field, "")
        if value.isdigit():
            initial[field] = int(value)
    start = _parse_moment(request.GET.get("start", ""))
    if start is not None:
        local = timezone.localtime(start) if timezone.is_aware(start) else start
        initial["date"] = local.date()
        initial["time"] = local.time().replace(second=0, microsecond=0)
    elif day := request.GET.get("date"):
        initial["date"] = day
    return initial


def _selected_patient(form) -> Patient | None:
    value = form.data.get("patient") if form.is_bound else form.initial.get("patient")
    if value and str(value).isdigit():
        return Patient.objects.filter(pk=int(value), active=True).first()
    return None


@require_perms("scheduling.add_appointment")
@require_http_methods(["GET", "POST"])
def book(request):
    form = BookingForm(
        request.POST if request.method == "POST" else None, initial=_booking_initial(request)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            appointment = services.appointment_book(
                patient=data["patient"],
                provider=data["provider"],
                appointment_type=data["appointment_type"],
                start=data["start"],
                reason=data["reason"],
                notes=data["notes"],
                booked_by=request.user,
            )
        except ValidationError as error:
            form_error(form, error)
        else:
            messages.success(
                request,
                f"Booked {appointment.patient.full_name} with {appointment.provider} on "
                f"{appointment.local_start:%a %m/%d/%Y at %H:%M}.",
            )
            return redirect(_day_url(appointment.local_start.date()))
    selected = _selected_patient(form)
    return render(
        request,
        "scheduling/book.html",
        {
            "form": form,
            "selected_patient": selected,
            "patient_choices": [selected] if selected else [],
        },
    )


@require_perms("scheduling.add_appointment", "emr.view_patient")
@require_GET
def patient_search(request):
    """The patient picker of the booking form: matches as radio buttons, updated as you type."""
    query = request.GET.get("q", "").strip()
    selected = None
    if (value := request.GET.get("patient", "")).isdigit():
        selected = Patient.objects.filter(pk=int(value), active=True).first()
    patients = list(patient_list_for_search(query=query)[:8]) if len(query) >= 2 else []
    if selected is not None:
        patients = [selected] + [patient for patient in patients if patient.pk != selected.pk]
    return render(
        request,
        "scheduling/_patient_choices.html",
        {"patients": patients, "selected": selected, "query": query},
    )


@require_perms("scheduling.view_appointment")
@require_GET
def find_slots(request):
    form = FindSlotsForm(request.GET or None)
    slots = None
    after = None
    if form.is_valid():
        data = form.cleaned_data
        providers = selectors.provider_list_for_schedule(
            provider_ids=[data["provider"].pk] if data["provider"] else None
        )
        cursor = _parse_moment(request.GET.get("cursor", ""))
        if cursor is not None and timezone.is_aware(cursor):
            after = cursor
        elif data["after"]:
            after = timezone.make_aware(datetime.datetime.combine(data["after"], datetime.time.min))
        else:
            after = timezone.now()
        slots = selectors.available_slots(
            appointment_type=data["appointment_type"], providers=providers, after=after
        )
    more_query = ""
    if slots:
        params = {key: value for key, value in request.GET.items() if key != "cursor"}
        params["cursor"] = (slots[-1].start + datetime.timedelta(minutes=1)).isoformat()
        more_query = urlencode(params)
    return render(
        request,
        "scheduling/find.html",
        {"form": form, "slots": slots, "more_query": more_query},
    )


@require_perms("scheduling.view_appointment")
@require_GET
def appointment_detail(request, pk: int):
    appointment = get_object_or_404(Appointment.objects.all(), pk=pk)
    appointment = selectors.appointment_get_for_detail(pk=appointment.pk)
    user = request.user
    can_change = user.has_perm("scheduling.change_appointment")
    can_move_status = can_change or (
        user.has_perm("scheduling.change_appointment_status")
        and appointment.provider.user_id == user.pk
    )
    return render(
        request,
        "scheduling/detail.html",
        {
            "appointment": appointment,
            "history": selectors.appointment_history(appointment=appointment),
            "can_change": can_change,
            "can_move_status": can_move_status,
            "next_statuses": services.next_statuses(appointment),
            "now": timezone.now(),
        },
    )


@require_perms("scheduling.change_appointment")
@require_http_methods(["GET", "POST"])
def appointment_reschedule(request, pk: int):
    appointment = get_object_or_404(
        Appointment.objects.select_related("patient", "provider__user", "appointment_type"), pk=pk
    )
    initial = {
        "provider": appointment.provider_id,
        "appointment_type": appointment.appointment_type_id,
        "date": appointment.local_start.date(),
        "time": appointment.local_start.time(),
    }
    form = RescheduleForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            moved = services.appointment_reschedule(
                appointment=appointment,
                start=data["start"],
                provider=data["provider"],
                appointment_type=data["appointment_type"],
                by=request.user,
            )
        except ValidationError as error:
            form_error(form, error)
        else:
            messages.success(
                request,
                f"Moved {appointment.patient.full_name} to {moved.local_start:%a %m/%d/%Y %H:%M} "
                f"with {moved.provider}.",
            )
            return redirect(moved)
    return render(request, "scheduling/reschedule.html", {"form": form, "appointment": appointment})


@require_perms("scheduling.change_appointment")
@require_http_methods(["GET", "POST"])
def appointment_cancel(request, pk: int):
    appointment = get_object_or_404(
        Appointment.objects.select_related("patient", "provider__user", "appointment_type"), pk=pk
    )
    form = CancelForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_cancel(
                appointment=appointment, reason=form.cleaned_data["reason"], by=request.user
            )
        except ValidationError as error:
            form_error(form, error)
        else:
            messages.success(
                request,
                f"Cancelled {appointment.patient.full_name}'s appointment of "
                f"{appointment.local_start:%m/%d/%Y %H:%M}. The slot is free again.",
            )
            return redirect(_next_url(request, appointment.get_absolute_url()))
    return render(
        request,
        "scheduling/cancel.html",
        {"form": form, "appointment": appointment, "next": _next_url(request, "")},
    )


@require_perms("scheduling.change_appointment", "emr.view_patient")
@require_http_methods(["GET", "POST"])
def appointment_check_in(request, pk: int):
    """One screen: confirm demographics and coverage with the patient, then mark arrived."""
    appointment = get_object_or_404(
        Appointment.objects.select_related("patient", "provider__user", "appointment_type"), pk=pk
    )
    patient = appointment.patient
    form = CheckInForm(request.POST if request.method == "POST" else None, patient=patient)
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_check_in(
                appointment=appointment,
                by=request.user,
                demographics_confirmed=form.cleaned_data["demographics_confirmed"],
                coverage=form.cleaned_data["coverage"],
            )
        except ValidationError as error:
            form_error(form, error)
        else:
            messages.success(request, f"{patient.full_name} is checked in.")
            return redirect(_next_url(request, reverse("scheduling:today")))
    coverages = list(patient.coverages.select_related("payer").order_by("-active", "priority"))
    return render(
        request,
        "scheduling/check_in.html",
        {
            "form": form,
            "appointment": appointment,
            "patient": patient,
            "coverages": coverages,
            "coverage_problems": selectors.coverage_problems(
                coverages=coverages, day=timezone.localdate()
            ),
            "next": _next_url(request, ""),
        },
    )


@require_perms("scheduling.change_appointment_status")
@require_POST
def appointment_set_status(request, pk: int):
    appointment = _get_appointment_for_status(request, pk)
    status = request.POST.get("status", "")
    if status not in AppointmentStatus.values:
        messages.error(request, "Choose a valid status.")
    else:
        try:
            services.appointment_set_status(appointment=appointment, status=status, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                f"{appointment.patient.full_name}: {AppointmentStatus(status).label.lower()}.",
            )
    return redirect(_next_url(request, appointment.get_absolute_url()))


@require_perms("scheduling.view_appointment", "scheduling.add_daylist")
@require_POST
def day_list_request(request):
    """Queue the printable day list (PDF) and go to its document page, which shows progress."""
    form = DayForm(request.POST)
    day = form.day()
    provider_ids = form.provider_ids()
    provider = Provider.objects.filter(pk=provider_ids[0]).first() if provider_ids else None
    document = services.day_list_request(day=day, provider=provider, requested_by=request.user)
    return redirect(document)
