"""Scheduling permissions for the four role groups (DESIGN.md section 4).

Same structure as emr/migrations/0003_roles.py: tests/conftest.py calls `create_roles`
again after a transactional test has flushed the groups.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

SETTINGS_VIEW = [
    "scheduling.view_appointmenttype",
    "scheduling.view_workinghours",
    "scheduling.view_timeoff",
]

ROLE_PERMISSIONS = {
    "front_desk": [
        "scheduling.view_appointment",
        "scheduling.add_appointment",
        "scheduling.change_appointment",
        "scheduling.change_appointment_status",
        "scheduling.add_daylist",
        "scheduling.view_daylist",
        *SETTINGS_VIEW,
    ],
    # Clinicians move their own appointments along; the views check the appointment's provider.
    "clinician": [
        "scheduling.view_appointment",
        "scheduling.change_appointment_status",
        "scheduling.add_daylist",
        "scheduling.view_daylist",
        *SETTINGS_VIEW,
    ],
    "billing": [
        "scheduling.view_appointment",
        "scheduling.view_daylist",
        *SETTINGS_VIEW,
    ],
    "clinic_admin": [
        "scheduling.view_appointment",
        "scheduling.add_appointment",
        "scheduling.change_appointment",
        "scheduling.change_appointment_status",
        "scheduling.view_appointmenttype",
        "scheduling.add_appointmenttype",
        "scheduling.change_appointmenttype",
        "scheduling.view_workinghours",
        "scheduling.add_workinghours",
        "scheduling.change_workinghours",
        "scheduling.view_timeoff",
        "scheduling.add_timeoff",
        "scheduling.change_timeoff",
        "scheduling.add_daylist",
        "scheduling.view_daylist",
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
        ("scheduling", "0002_appointment_overlap_trigger"),
        ("emr", "0003_roles"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
