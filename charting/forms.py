from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms

from charting.models import (
    AllergySeverity,
    ChartItemStatus,
    FeeScheduleEntry,
    NoteTemplate,
    TemperatureUnit,
)
from charting.services import ALLERGY_FIELDS
from emr.forms import DateInput


def _inline_helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    return helper


class WalkInForm(forms.Form):
    chief_complaint = forms.CharField(
        max_length=200, required=False, help_text="In the patient's words, e.g. sore throat 3 days"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _inline_helper()


def _number(label: str, **kwargs) -> forms.Field:
    return forms.IntegerField(
        label=label,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        **kwargs,
    )


def _decimal(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        max_digits=6,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )


class VitalsForm(forms.Form):
    """Readings as typed; the service converts units and refuses impossible values."""

    systolic_bp = _number("BP systolic")
    diastolic_bp = _number("BP diastolic")
    pulse = _number("Pulse")
    respiratory_rate = _number("Resp. rate")
    temperature = _decimal("Temp")
    temperature_unit = forms.ChoiceField(
        label="°F / °C", choices=TemperatureUnit.choices, required=False
    )
    spo2 = _number("SpO2 %")
    height = _decimal("Height")
    height_unit = forms.ChoiceField(
        label="in / cm", choices=[("in", "in"), ("cm", "cm")], required=False
    )
    weight = _decimal("Weight")
    weight_unit = forms.ChoiceField(
        label="lb / kg", choices=[("lb", "lb"), ("kg", "kg")], required=False
    )
    pain_score = _number("Pain (0-10)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _inline_helper()
        self.helper.layout = Layout(
            Row(
                Column("systolic_bp", css_class="col-4"),
                Column("diastolic_bp", css_class="col-4"),
                Column("pulse", css_class="col-4"),
            ),
            Row(
                Column("respiratory_rate", css_class="col-4"),
                Column("spo2", css_class="col-4"),
                Column("pain_score", css_class="col-4"),
            ),
            Row(
                Column("temperature", css_class="col-4 col-md-2"),
                Column("temperature_unit", css_class="col-4 col-md-2"),
                Column("height", css_class="col-4 col-md-2"),
                Column("height_unit", css_class="col-4 col-md-2"),
                Column("weight", css_class="col-4 col-md-2"),
                Column("weight_unit", css_class="col-4 col-md-2"),
            ),
        )

    # An empty unit (a form posted without the selects) means the clinic's usual unit.
    def clean_temperature_unit(self):
        return self.cleaned_data["temperature_unit"] or TemperatureUnit.FAHRENHEIT

    def clean_height_unit(self):
        return self.cleaned_data["height_unit"] or "in"

    def clean_weight_unit(self):
        return self.cleaned_data["weight_unit"] or "lb"


class NoteForm(forms.Form):
    chief_complaint = forms.CharField(max_length=200, required=False)
    subjective = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 5}))
    objective = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 5}))
    assessment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    plan = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Textareas keep what was typed exactly, including leading spaces and blank lines.
        for name in ["subjective", "objective", "assessment", "plan"]:
            self.fields[name].strip = False
        self.helper = _inline_helper()


class TemplateChoiceForm(forms.Form):
    # The select sits inside the autosaving note form: a `required` attribute there would
    # make the browser (and htmx) refuse every autosave until a template is chosen.
    use_required_attribute = False

    template = forms.ModelChoiceField(
        queryset=NoteTemplate.objects.none(), empty_label="Choose a template…"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = NoteTemplate.objects.filter(active=True).order_by("name")


class DiagnosisAddForm(forms.Form):
    code = forms.CharField(max_length=10)


class DiagnosisMoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "up"), ("down", "down")])


class ProcedureForm(forms.Form):
    fee_schedule_entry = forms.ModelChoiceField(
        label="Procedure", queryset=FeeScheduleEntry.objects.none(), empty_label="Choose…"
    )
    units = forms.IntegerField(min_value=1, max_value=99, initial=1)
    modifier_1 = forms.CharField(label="Mod 1", max_length=2, required=False)
    modifier_2 = forms.CharField(label="Mod 2", max_length=2, required=False)
    modifier_3 = forms.CharField(label="Mod 3", max_length=2, required=False)
    modifier_4 = forms.CharField(label="Mod 4", max_length=2, required=False)
    diagnosis_pointers = forms.TypedMultipleChoiceField(
        label="Diagnoses (1 to 4)", coerce=int, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, diagnoses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fee_schedule_entry"].queryset = FeeScheduleEntry.objects.filter(
            active=True
        ).order_by("code_system", "code")
        self.fields["diagnosis_pointers"].choices = [
            (diagnosis.rank, f"{diagnosis.pointer_letter}: {diagnosis.code_id}")
            for diagnosis in diagnoses
        ]
        if len(diagnoses) == 1 and not self.is_bound:
            self.initial["diagnosis_pointers"] = [diagnoses[0].rank]
        self.fields["fee_schedule_entry"].widget.attrs["class"] = "form-select form-select-sm"
        self.fields["units"].widget.attrs["class"] = "form-control form-control-sm"
        for name in self.MODIFIER_FIELDS:
            self.fields[name].widget.attrs.update(
                {"class": "form-control form-control-sm text-uppercase", "size": 2}
            )
        self.fields["diagnosis_pointers"].widget.attrs["class"] = "form-check-input"

    MODIFIER_FIELDS = ["modifier_1", "modifier_2", "modifier_3", "modifier_4"]

    @property
    def modifier_fields(self):
        return [self[name] for name in self.MODIFIER_FIELDS]

    @property
    def modifiers(self) -> list[str]:
        return [self.cleaned_data.get(name, "") for name in self.MODIFIER_FIELDS]


class AddendumForm(forms.Form):
    text = forms.CharField(
        label="Addendum", widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000
    )


class AllergyForm(forms.Form):
    substance = forms.CharField(max_length=120)
    reaction = forms.CharField(max_length=200, required=False)
    severity = forms.ChoiceField(choices=AllergySeverity.choices, initial=AllergySeverity.UNKNOWN)
    onset_date = forms.DateField(required=False, widget=DateInput())

    field_order = ALLERGY_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _inline_helper()
        self.helper.layout = Layout(
            Row(
                Column("substance", css_class="col-md-4"),
                Column("reaction", css_class="col-md-4"),
                Column("severity", css_class="col-md-2"),
                Column("onset_date", css_class="col-md-2"),
            )
        )


class ProblemForm(forms.Form):
    code = forms.CharField(
        label="ICD-10-CM code", max_length=10, help_text="Search below, or type a code"
    )
    onset_date = forms.DateField(required=False, widget=DateInput())
    note = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _inline_helper()
        self.helper.layout = Layout(
            Row(
                Column("code", css_class="col-md-3"),
                Column("onset_date", css_class="col-md-3"),
                Column("note", css_class="col-md-6"),
            )
        )


class MedicationForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="Drug, strength and form")
    instructions = forms.CharField(max_length=200, required=False)
    start_date = forms.DateField(required=False, widget=DateInput())
    end_date = forms.DateField(required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _inline_helper()
        self.helper.layout = Layout(
            Row(
                Column("name", css_class="col-md-4"),
                Column("instructions", css_class="col-md-4"),
                Column("start_date", css_class="col-md-2"),
                Column("end_date", css_class="col-md-2"),
            )
        )


class ChartItemStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ChartItemStatus.choices)


class FeeScheduleImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns: code_system (CPT or HCPCS), code, description, price, active (yes/no).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _inline_helper()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 2 * 1024 * 1024:
            raise forms.ValidationError("The file is larger than 2 MB: split it.")
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("Save the file as CSV in UTF-8 and try again.") from None
