from django.core.cache import cache

from emr.models import Clinic


def clinic(request):
    name = cache.get("clinic-name")
    if name is None:
        current = Clinic.current()
        name = current.name if current else "Clinic EMR"
        cache.set("clinic-name", name, 60)
    return {"clinic_name": name}
