from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Fieldset, Layout, Row, Submit
from django import forms
from django.contrib.auth.forms import AuthenticationForm

from emr.models import AccessAction, Coverage, Patient, Payer, User
from emr.services import COVERAGE_FIELDS, PATIENT_FIELDS


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class LoginForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", "Sign in", css_class="w-100"))
        self.fields["username"].widget.attrs["autofocus"] = True


class PatientForm(forms.ModelForm):
    confirm_new_patient = forms.BooleanField(
        required=False,
        label="This is a different person from the existing patient with the same name and date of birth",
    )

    class Meta:
        model = Patient
        fields = PATIENT_FIELDS
        widgets = {
            "date_of_birth": DateInput(),
            "deceased_date": DateInput(),
        }

    def __init__(self, *args, show_duplicate_confirmation: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            del self.fields["deceased_date"]
        if not show_duplicate_confirmation:
            self.fields["confirm_new_patient"].widget = forms.HiddenInput()
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                "Name and identity",
                Row(
                    Column("first_name", css_class="col-md-4"),
                    Column("middle_name", css_class="col-md-3"),
                    Column("last_name", css_class="col-md-5"),
                ),
                Row(
                    Column("preferred_name", css_class="col-md-4"),
                    Column("date_of_birth", css_class="col-md-3"),
                    Column("sex_at_birth", css_class="col-md-2"),
                    Column("gender_identity", css_class="col-md-3"),
                ),
                Row(
                    Column("preferred_language", css_class="col-md-4"),
                    Column("deceased_date", css_class="col-md-3")
                    if "deceased_date" in self.fields
                    else Column(css_class="col-md-3"),
                ),
            ),
            Fieldset(
                "Contact",
                Row(
                    Column("phone_mobile", css_class="col-md-4"),
                    Column("phone_home", css_class="col-md-4"),
                    Column("email", css_class="col-md-4"),
                ),
                Row(
                    Column("address_line1", css_class="col-md-6"),
                    Column("address_line2", css_class="col-md-6"),
                ),
                Row(
                    Column("city", css_class="col-md-5"),
                    Column("state", css_class="col-md-4"),
                    Column("postal_code", css_class="col-md-3"),
                ),
            ),
            Fieldset(
                "Emergency contact",
                Row(
                    Column("emergency_contact_name", css_class="col-md-5"),
                    Column("emergency_contact_relationship", css_class="col-md-3"),
                    Column("emergency_contact_phone", css_class="col-md-4"),
                ),
            ),
            Field("confirm_new_patient"),
        )

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("phone_mobile") or cleaned.get("phone_home") or cleaned.get("email")):
            raise forms.ValidationError(
                "Enter at least one way to reach the patient: a phone or an email."
            )
        return cleaned


class DeactivateForm(forms.Form):
    reason = forms.CharField(
        max_length=200,
        label="Reason",
        help_text="e.g. moved away, duplicate record, transferred care",
    )


class CoverageForm(forms.ModelForm):
    class Meta:
        model = Coverage
        fields = COVERAGE_FIELDS
        widgets = {
            "subscriber_date_of_birth": DateInput(),
            "effective_from": DateInput(),
            "effective_to": DateInput(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        payers = Payer.objects.filter(active=True)
        if self.instance.pk:
            payers = Payer.objects.filter(pk=self.instance.payer_id) | payers
        self.fields["payer"].queryset = payers.order_by("name")
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(
                Column("payer", css_class="col-md-5"),
                Column("member_id", css_class="col-md-4"),
                Column("group_number", css_class="col-md-3"),
            ),
            Row(
                Column("priority", css_class="col-md-3"),
                Column("effective_from", css_class="col-md-3"),
                Column("effective_to", css_class="col-md-3"),
            ),
            Fieldset(
                "Subscriber",
                Row(Column("relationship", css_class="col-md-6")),
                Row(
                    Column("subscriber_first_name", css_class="col-md-4"),
                    Column("subscriber_last_name", css_class="col-md-4"),
                    Column("subscriber_date_of_birth", css_class="col-md-2"),
                    Column("subscriber_sex", css_class="col-md-2"),
                ),
                css_class="border rounded p-3",
            ),
        )


class PatientSearchForm(forms.Form):
    q = forms.CharField(required=False, label="Search")
    include_inactive = forms.BooleanField(required=False, label="Include inactive")


class AccessLogFilterForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.all(), required=False)
    patient_mrn = forms.CharField(required=False, label="Patient MRN")
    action = forms.ChoiceField(choices=[("", "Any action"), *AccessAction.choices], required=False)
    date_from = forms.DateField(required=False, widget=DateInput(), label="From")
    date_to = forms.DateField(required=False, widget=DateInput(), label="To")

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("date_from")
            and cleaned.get("date_to")
            and cleaned["date_from"] > cleaned["date_to"]
        ):
            raise forms.ValidationError("The start date is after the end date.")
        mrn = (cleaned.get("patient_mrn") or "").strip()
        cleaned["patient"] = None
        if mrn:
            patient = Patient.objects.filter(mrn=mrn.zfill(8)).first()
            if patient is None:
                self.add_error("patient_mrn", "No patient has this MRN.")
            cleaned["patient"] = patient
        return cleaned
