"""The four staff roles as Django groups, with the permission matrix of DESIGN.md section 4.

Later apps add their own models' permissions to these groups in their own migrations.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "front_desk": [
        "emr.view_patient",
        "emr.add_patient",
        "emr.change_patient",
        "emr.deactivate_patient",
        "emr.view_patient_history",
        "emr.view_coverage",
        "emr.add_coverage",
        "emr.change_coverage",
        "emr.view_payer",
        "emr.view_provider",
    ],
    "clinician": [
        "emr.view_patient",
        "emr.view_patient_history",
        "emr.view_coverage",
        "emr.view_payer",
        "emr.view_provider",
    ],
    "billing": [
        "emr.view_patient",
        "emr.view_patient_history",
        "emr.view_coverage",
        "emr.add_coverage",
        "emr.change_coverage",
        "emr.view_payer",
        "emr.view_provider",
    ],
    "clinic_admin": [
        "emr.view_patient",
        "emr.add_patient",
        "emr.change_patient",
        "emr.deactivate_patient",
        "emr.view_patient_history",
        "emr.view_coverage",
        "emr.add_coverage",
        "emr.change_coverage",
        "emr.view_payer",
        "emr.add_payer",
        "emr.change_payer",
        "emr.view_provider",
        "emr.add_provider",
        "emr.change_provider",
        "emr.view_clinic",
        "emr.add_clinic",
        "emr.change_clinic",
        "emr.view_user",
        "emr.add_user",
        "emr.change_user",
        "auth.view_group",
        "emr.view_accesslog",
        "emr.view_document",
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
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("emr", "0002_database_rules"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
