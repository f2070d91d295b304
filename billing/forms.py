import datetime
from decimal import Decimal

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.utils import timezone

from billing.models import AdjustmentGroup, Claim, ClaimStatus, PaymentMethod
from emr.forms import DateInput
from emr.models import Coverage, Payer, Provider

MONEY = {"max_digits": 10, "decimal_places": 2}


def _inline_helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    return helper


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status"), *ClaimStatus.choices], required=False)
    payer = forms.ModelChoiceField(
        Payer.objects.order_by("name"), required=False, empty_label="Any payer"
    )
    provider = forms.ModelChoiceField(
        Provider.objects.select_related("user"), required=False, empty_label="Any provider"
    )
    date_from = forms.DateField(label="Service from", required=False, widget=DateInput())
    date_to = forms.DateField(label="Service to", required=False, widget=DateInput())

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("date_from")
            and cleaned.get("date_to")
            and cleaned["date_from"] > cleaned["date_to"]
        ):
            raise forms.ValidationError("The 'from' date is after the 'to' date.")
        return cleaned


class ClaimForm(forms.ModelForm):
    class Meta:
        model = Claim
        fields = [
            "coverage",
            "rendering_provider",
            "referring_provider_name",
            "referring_provider_npi",
            "claim_filing_indicator",
            "place_of_service",
        ]
        help_texts = {"referring_provider_name": "Last, First. Leave empty when there is none."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["coverage"].queryset = Coverage.objects.filter(
            patient_id=self.instance.patient_id
        ).select_related("payer")
        self.fields["rendering_provider"].queryset = Provider.objects.select_related("user")
        self.helper = _inline_helper()
        self.helper.layout = Layout(
            Row(
                Column("coverage", css_class="col-md-6"),
                Column("claim_filing_indicator", css_class="col-md-3"),
                Column("place_of_service", css_class="col-md-3"),
            ),
            Row(
                Column("rendering_provider", css_class="col-md-4"),
                Column("referring_provider_name", css_class="col-md-4"),
                Column("referring_provider_npi", css_class="col-md-4"),
            ),
        )


class ClaimLineForm(forms.Form):
    line_id = forms.IntegerField(widget=forms.HiddenInput())
    units = forms.IntegerField(min_value=1, max_value=99)
    unit_price = forms.DecimalField(label="Charge per unit", min_value=Decimal("0"), **MONEY)
    modifiers = forms.CharField(required=False, max_length=20, help_text="e.g. 25 or RT 59")
    diagnosis_pointers = forms.CharField(
        label="Pointers", required=False, max_length=20, help_text="Letters, e.g. AB"
    )


ClaimLineFormSet = forms.formset_factory(ClaimLineForm, extra=0)


class DenyForm(forms.Form):
    reason = forms.CharField(
        max_length=300, help_text="As the payer's remittance or letter says it."
    )
    code = forms.CharField(label="Reason code (CARC)", max_length=5, required=False)
    payer_claim_number = forms.CharField(
        label="Payer's claim number", max_length=50, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _inline_helper()


class VoidForm(forms.Form):
    reason = forms.CharField(max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _inline_helper()


class AcceptForm(forms.Form):
    payer_claim_number = forms.CharField(
        label="Payer's claim number", max_length=50, required=False
    )


class PayerPaymentForm(forms.Form):
    payer = forms.ModelChoiceField(Payer.objects.filter(active=True).order_by("name"))
    method = forms.ChoiceField(choices=[(PaymentMethod.CHECK, "Check"), (PaymentMethod.EFT, "EFT")])
    reference = forms.CharField(label="Check / EFT number", max_length=50)
    amount = forms.DecimalField(min_value=Decimal("0.01"), **MONEY)
    received_on = forms.DateField(label="Date received", widget=DateInput())
    note = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["received_on"].initial = timezone.localdate()
        self.helper = _inline_helper()
        self.helper.layout = Layout(
            Row(
                Column("payer", css_class="col-md-6"),
                Column("method", css_class="col-md-2"),
                Column("reference", css_class="col-md-4"),
            ),
            Row(
                Column("amount", css_class="col-md-3"),
                Column("received_on", css_class="col-md-3"),
                Column("note", css_class="col-md-6"),
            ),
        )


class PatientPaymentForm(forms.Form):
    method = forms.ChoiceField(
        choices=[
            (PaymentMethod.CASH, "Cash"),
            (PaymentMethod.CARD, "Card"),
            (PaymentMethod.CHECK, "Check"),
        ]
    )
    amount = forms.DecimalField(min_value=Decimal("0.01"), **MONEY)
    reference = forms.CharField(label="Check number / card receipt", max_length=50, required=False)
    received_on = forms.DateField(label="Date received", widget=DateInput())
    is_copay = forms.BooleanField(label="This is the visit's copay", required=False)
    note = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, copay_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["received_on"].initial = timezone.localdate()
        if copay_only:
            # At the front desk: a copay today, nothing else.
            del self.fields["received_on"]
            del self.fields["is_copay"]
        self.helper = _inline_helper()


class AllocationLineForm(forms.Form):
    claim_line_id = forms.IntegerField(widget=forms.HiddenInput())
    allowed = forms.DecimalField(min_value=Decimal("0"), **MONEY)
    paid = forms.DecimalField(min_value=Decimal("0"), **MONEY)
    adjustment_group = forms.ChoiceField(
        label="Adj. group", choices=[("", "—"), *AdjustmentGroup.choices], required=False
    )
    adjustment_code = forms.CharField(label="CARC", max_length=5, required=False)
    adjustment_amount = forms.DecimalField(
        label="Adj. amount", min_value=Decimal("0.01"), required=False, **MONEY
    )
    second_group = forms.ChoiceField(
        label="2nd group", choices=[("", "—"), *AdjustmentGroup.choices], required=False
    )
    second_code = forms.CharField(label="CARC", max_length=5, required=False)
    second_amount = forms.DecimalField(
        label="Amount", min_value=Decimal("0.01"), required=False, **MONEY
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            css = (
                "form-select form-select-sm"
                if isinstance(field, forms.ChoiceField)
                else "form-control form-control-sm"
            )
            if name.endswith("_code"):
                field.widget.attrs.update(size=5, placeholder="CARC")
            elif name.endswith("_amount"):
                field.widget.attrs["placeholder"] = "amount"
            field.widget.attrs["class"] = css

    def clean(self):
        cleaned = super().clean()
        for prefix, label in [("adjustment", "adjustment"), ("second", "second adjustment")]:
            parts = [
                cleaned.get(f"{prefix}_group"),
                cleaned.get(f"{prefix}_code"),
                cleaned.get(f"{prefix}_amount"),
            ]
            if any(parts) and not all(parts):
                raise forms.ValidationError(f"The {label} needs its group, reason code and amount.")
        return cleaned


AllocationFormSet = forms.formset_factory(AllocationLineForm, extra=0)


def last_month_end(today: datetime.date | None = None) -> datetime.date:
    today = today or timezone.localdate()
    return today.replace(day=1) - datetime.timedelta(days=1)


class StatementRunForm(forms.Form):
    period_end = forms.DateField(label="Statement date (period end)", widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period_end"].initial = last_month_end()


class AgingForm(forms.Form):
    as_of = forms.DateField(label="As of", required=False, widget=DateInput())
