import datetime
import random

import factory
from django.contrib.auth.models import Group

from emr.models import Clinic, Coverage, Patient, Payer, Provider, SexAtBirth, User
from emr.validators import npi_check_digit

TEST_PASSWORD = "correct-horse-battery-staple"


def valid_npi(seed: int) -> str:
    first_nine = f"1{seed % 100_000_000:08d}"
    return first_nine + npi_check_digit(first_nine)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda user: f"{user.username}@clinic.test")
    password = factory.django.Password(TEST_PASSWORD)

    @factory.post_generation
    def role(user, create, extracted, **kwargs):
        if create and extracted:
            user.groups.add(Group.objects.get(name=extracted))
            if extracted == "clinic_admin":
                user.is_staff = True
                user.save(update_fields=["is_staff"])


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    user = factory.SubFactory(UserFactory, role="clinician")
    npi = factory.Sequence(valid_npi)
    credentials = "MD"
    taxonomy = "207Q00000X"


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic

    name = "Maple Street Family Medicine"
    address_line1 = "120 Maple Street"
    city = "Springfield"
    state = "IL"
    postal_code = "62701"
    phone = "217-555-0100"
    tax_id = "12-3456789"
    group_npi = factory.LazyFunction(lambda: valid_npi(42))
    taxonomy = "207Q00000X"


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    mrn = factory.Sequence(lambda n: f"{90_000_000 + n:08d}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = factory.LazyFunction(
        lambda: datetime.date(1950, 1, 1) + datetime.timedelta(days=random.randint(0, 25_000))
    )
    sex_at_birth = SexAtBirth.FEMALE
    phone_mobile = factory.Sequence(lambda n: f"555-{200 + n % 700:03d}-{n % 10_000:04d}")
    address_line1 = "1 Test Lane"
    city = "Springfield"
    state = "IL"
    postal_code = "62701"


class PayerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payer

    name = factory.Sequence(lambda n: f"Test Health Plan {n}")
    payer_id = factory.Sequence(lambda n: f"TP{n:05d}")


class CoverageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Coverage

    patient = factory.SubFactory(PatientFactory)
    payer = factory.SubFactory(PayerFactory)
    member_id = factory.Sequence(lambda n: f"MBR{n:07d}")
    group_number = "GRP100"
    effective_from = datetime.date(2024, 1, 1)
