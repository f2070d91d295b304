import pytest
from django.urls import reverse

from emr.models import Patient
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def test_clinic_admin_cannot_make_anyone_superuser(client, clinic_admin, make_user):
    target = make_user("front_desk", username="target")
    client.force_login(clinic_admin)

    response = client.get(reverse("admin:emr_user_change", args=[target.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="is_superuser"' not in html
    assert 'name="groups"' in html


def test_admin_offers_no_delete_for_patients(client, clinic_admin):
    patient = PatientFactory()
    client.force_login(clinic_admin)

    response = client.post(reverse("admin:emr_patient_delete", args=[patient.pk]), {"post": "yes"})

    assert response.status_code == 403
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_staff_are_sent_to_the_app_login_page_not_the_admin_one(client):
    response = client.get(reverse("admin:index"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("login") + "?next=/admin/"
    assert response.templates[0].name == "registration/login.html"


def test_non_admin_roles_cannot_use_the_admin_site(client, front_desk):
    client.force_login(front_desk)

    response = client.get(reverse("admin:index"))

    assert client.get(response.url).status_code == 403


def test_renaming_the_clinic_in_the_admin_shows_the_new_name_at_once(client, clinic_admin, clinic):
    client.force_login(clinic_admin)
    client.get(reverse("home"))  # the name is now cached
    form = (
        client.get(reverse("admin:emr_clinic_change", args=[clinic.pk])).context["adminform"].form
    )
    data = {name: value for name, value in form.initial.items() if value is not None}

    response = client.post(
        reverse("admin:emr_clinic_change", args=[clinic.pk]),
        {**data, "name": "Oak Park Pediatrics"},
    )

    assert response.status_code == 302
    assert "Oak Park Pediatrics" in client.get(reverse("home")).content.decode()


def test_clinic_admin_home_links_every_settings_screen_and_each_opens(client, clinic_admin):
    client.force_login(clinic_admin)
    urls = [
        reverse("admin:emr_clinic_changelist"),
        reverse("admin:emr_provider_changelist"),
        reverse("admin:emr_payer_changelist"),
        reverse("admin:scheduling_appointmenttype_changelist"),
        reverse("admin:scheduling_workinghours_changelist"),
        reverse("admin:scheduling_timeoff_changelist"),
        reverse("admin:charting_notetemplate_changelist"),
        reverse("charting:fee_schedule"),
    ]

    html = client.get(reverse("home")).content.decode()

    for url in urls:
        assert f'href="{url}"' in html
        assert client.get(url).status_code == 200, url
