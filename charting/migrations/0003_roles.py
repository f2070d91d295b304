"""Charting permissions for the four role groups (DESIGN.md section 4).

Same structure as emr/migrations/0003_roles.py: tests/conftest.py calls `create_roles`
again after a transactional test has flushed the groups. Clinicians may view any chart;
the views also check that edits and signatures are on the clinician's own encounters.
Billing and the clinic admin see coding, never notes or vitals.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODING_VIEW = [
    "charting.view_encounter",
    "charting.view_encounterdiagnosis",
    "charting.view_procedureline",
    "charting.view_diagnosiscode",
    "charting.view_feescheduleentry",
]

ROLE_PERMISSIONS = {
    "front_desk": [],
    "clinician": [
        *CODING_VIEW,
        "charting.add_encounter",
        "charting.change_encounter",
        "charting.sign_encounter",
        "charting.view_vitals",
        "charting.add_vitals",
        "charting.change_vitals",
        "charting.view_clinicalnote",
        "charting.add_clinicalnote",
        "charting.change_clinicalnote",
        "charting.view_notetemplate",
        "charting.add_encounterdiagnosis",
        "charting.change_encounterdiagnosis",
        "charting.add_procedureline",
        "charting.change_procedureline",
        "charting.view_addendum",
        "charting.add_addendum",
        "charting.view_allergy",
        "charting.add_allergy",
        "charting.change_allergy",
        "charting.view_problem",
        "charting.add_problem",
        "charting.change_problem",
        "charting.view_medication",
        "charting.add_medication",
        "charting.change_medication",
    ],
    "billing": [*CODING_VIEW],
    "clinic_admin": [
        *CODING_VIEW,
        "charting.add_feescheduleentry",
        "charting.change_feescheduleentry",
        "charting.view_notetemplate",
        "charting.add_notetemplate",
        "charting.change_notetemplate",
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
        ("charting", "0002_signed_encounter_triggers"),
        ("emr", "0003_roles"),
        ("scheduling", "0003_roles"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
