from django.core.cache import cache

from emr.models import Clinic

CLINIC_NAME_KEY = "clinic-name"


def clinic(request):
    # Read once per process: the name changes only through the admin, which clears this key.
    name = cache.get(CLINIC_NAME_KEY)
    if name is None:
        current = Clinic.current()
        name = current.name if current else "Clinic EMR"
        cache.set(CLINIC_NAME_KEY, name, None)
    return {"clinic_name": name}
