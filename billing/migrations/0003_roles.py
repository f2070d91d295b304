"""Billing permissions for the four role groups (DESIGN.md section 4).

Same structure as emr/migrations/0003_roles.py: tests/conftest.py calls `create_roles`
again after a transactional test has flushed the groups. Billing works claims, payments and
statements; the front desk sees a patient's balance and takes copays, nothing more; the
clinic admin sees everything billing does without changing it; clinicians see none of it.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODELS = [
    "claimbatch",
    "claim",
    "claimdiagnosis",
    "claimline",
    "payment",
    "paymentallocation",
    "adjustment",
    "invoice",
    "invoiceline",
    "statementbatch",
    "statement",
]

ROLE_PERMISSIONS = {
    "front_desk": ["billing.view_patient_balance", "billing.take_copay"],
    "clinician": [],
    "billing": [
        *[f"billing.{action}_{model}" for model in MODELS for action in ("add", "change", "view")],
        "billing.view_patient_balance",
        "billing.take_copay",
    ],
    "clinic_admin": [
        *[f"billing.view_{model}" for model in MODELS],
        "billing.view_patient_balance",
    ],
}


def _permissions(apps, codes):
    Permission = apps.get_model("auth", "Permission")
    found = []
    for code in codes:
        app_label, codename = code.split(".")
        found.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return found


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    for role, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(*_permissions(apps, codes))


def remove_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for role, codes in ROLE_PERMISSIONS.items():
        group = Group.objects.filter(name=role).first()
        if group is not None:
            group.permissions.remove(*_permissions(apps, codes))


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0002_control_number_sequence"),
        ("emr", "0003_roles"),
        ("charting", "0003_roles"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
