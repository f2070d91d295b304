from __future__ import annotations

import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Layout, Row
from django import forms
from django.utils import timezone

from emr.forms import DateInput
from emr.models import Coverage, Patient, Provider
from scheduling.availability import local_datetime
from scheduling.models import AppointmentType


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", attrs={"step": 900}, **kwargs)


class ProviderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, provider):
        return str(provider)


def _active_providers():
    return (
        Provider.objects.filter(active=True)
        .select_related("user")
        .order_by("user__last_name", "user__first_name")
    )


def _active_types():
    return AppointmentType.objects.filter(active=True).order_by("name")


class _StartMixin:
    """A date and a time field that the form turns into one aware `start` in clinic time."""

    def clean(self):
        cleaned = super().clean()
        day, time = cleaned.get("date"), cleaned.get("time")
        if day and time:
            cleaned["start"] = local_datetime(day, time)
        return cleaned


class BookingForm(_StartMixin, forms.Form):
    patient = forms.ModelChoiceField(
        queryset=Patient.objects.filter(active=True),
        error_messages={
            "required": "Search for the patient and pick them from the list.",
            "invalid_choice": "That patient cannot be booked: pick an active patient.",
        },
    )
    provider = ProviderChoiceField(queryset=_active_providers())
    appointment_type = forms.ModelChoiceField(queryset=_active_types(), label="Type")
    date = forms.DateField(widget=DateInput())
    time = forms.TimeField(widget=TimeInput(), help_text="Times are in 15-minute steps.")
    reason = forms.CharField(label="Reason for visit", max_length=200, required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = _active_providers()
        self.fields["appointment_type"].queryset = _active_types()
        self.helper = FormHelper()
        self.helper.form_tag = False
        # The patient picker is drawn by the template (search as you type).
        self.helper.layout = Layout(
            Row(
                Column("provider", css_class="col-md-6"),
                Column("appointment_type", css_class="col-md-6"),
            ),
            Row(Column("date", css_class="col-md-6"), Column("time", css_class="col-md-6")),
            Field("reason"),
            Field("notes"),
        )


class RescheduleForm(_StartMixin, forms.Form):
    provider = ProviderChoiceField(queryset=_active_providers())
    appointment_type = forms.ModelChoiceField(queryset=_active_types(), label="Type")
    date = forms.DateField(widget=DateInput())
    time = forms.TimeField(widget=TimeInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = _active_providers()
        self.fields["appointment_type"].queryset = _active_types()
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(
                Column("provider", css_class="col-md-6"),
                Column("appointment_type", css_class="col-md-6"),
            ),
            Row(Column("date", css_class="col-md-6"), Column("time", css_class="col-md-6")),
        )


class CancelForm(forms.Form):
    reason = forms.CharField(
        max_length=200,
        label="Reason for cancelling",
        help_text="e.g. patient called to cancel, provider ill, booked in error",
        error_messages={"required": "Say why the appointment is cancelled."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class CoverageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, coverage):
        return (
            f"{coverage.payer.name}, member {coverage.member_id} "
            f"({coverage.get_priority_display().lower()})"
        )


class CheckInForm(forms.Form):
    demographics_confirmed = forms.BooleanField(
        label="I confirmed the name, date of birth, address and phone with the patient",
        error_messages={
            "required": "Confirm the patient's name, date of birth, address and phone with "
            "them before checking in."
        },
    )
    coverage = CoverageChoiceField(
        queryset=Coverage.objects.none(),
        required=False,
        empty_label="Self-pay (no insurance for this visit)",
        widget=forms.RadioSelect,
        label="Insurance for this visit",
    )

    def __init__(self, *args, patient: Patient, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        current = [
            coverage.pk
            for coverage in patient.coverages.filter(active=True).select_related("payer")
            if coverage.is_effective_on(today)
        ]
        self.fields["coverage"].queryset = (
            Coverage.objects.filter(pk__in=current).select_related("payer").order_by("priority")
        )
        if current and not self.is_bound:
            self.initial.setdefault("coverage", current[0])
        self.helper = FormHelper()
        self.helper.form_tag = False


class FindSlotsForm(forms.Form):
    appointment_type = forms.ModelChoiceField(
        queryset=_active_types(),
        label="Type",
        error_messages={"required": "Choose the type of appointment."},
    )
    provider = ProviderChoiceField(
        queryset=_active_providers(), required=False, empty_label="Any provider"
    )
    after = forms.DateField(widget=DateInput(), required=False, label="From")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = _active_providers()
        self.fields["appointment_type"].queryset = _active_types()

    def clean_after(self):
        after = self.cleaned_data.get("after")
        if after and after > timezone.localdate() + datetime.timedelta(days=366):
            raise forms.ValidationError("Search at most a year ahead.")
        return after


class DayForm(forms.Form):
    """The date (and providers) a calendar shows; bad values fall back to today."""

    date = forms.DateField(required=False, widget=DateInput())

    def day(self) -> datetime.date:
        if self.is_valid() and self.cleaned_data["date"]:
            return self.cleaned_data["date"]
        return timezone.localdate()

    def provider_ids(self) -> list[int]:
        # Checked against the active providers by the views, which load them anyway.
        return [int(value) for value in self.data.getlist("provider") if value.isdigit()]
