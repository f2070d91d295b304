"""Demo data for charting: note templates, the clinic's fee schedule, and signed visits.

Every completed appointment of the demo gets a signed encounter with plausible vitals, a note
from the matching template, diagnoses and procedures; a few patients with chronic conditions
also get a year and a half of quarterly follow-ups (booked and charted through the services),
so that their vitals trend and encounter timeline have something to show. Allergies, problems
and medications come with them. Deterministic (seeded random) and idempotent.

The fee schedule's descriptions are the clinic's own short words: CPT descriptors are
licensed text and are not reproduced here.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from charting import services
from charting.models import (
    ChartItemStatus,
    CodeSystem,
    DiagnosisCode,
    Encounter,
    FeeScheduleEntry,
    NoteTemplate,
)
from emr.models import Patient, Provider, SexAtBirth, User
from scheduling import services as scheduling_services
from scheduling.availability import local_datetime
from scheduling.models import Appointment, AppointmentStatus, AppointmentType

NOTE_TEMPLATES = {
    "Adult annual physical": {
        "subjective": "Here for annual physical. No new complaints.\n"
        "Diet and exercise: \nTobacco / alcohol: \nScreenings due: ",
        "objective": "General: well appearing, no distress.\nHEENT: normal.\n"
        "Heart: regular rate and rhythm, no murmur.\nLungs: clear bilaterally.\n"
        "Abdomen: soft, non-tender.\nSkin: no concerning lesions.",
        "assessment": "Annual preventive examination.",
        "plan": "Age-appropriate screening reviewed. Labs ordered. Vaccines updated as due.\n"
        "Return in one year, sooner as needed.",
    },
    "Acute visit": {
        "subjective": "Chief complaint: \nOnset and duration: \nAssociated symptoms: ",
        "objective": "General: alert, no acute distress.\nFocused exam: ",
        "assessment": "",
        "plan": "Supportive care discussed. Return precautions given.",
    },
    "Hypertension follow-up": {
        "subjective": "Blood pressure follow-up. Taking medication as prescribed.\n"
        "Home readings: \nSide effects: none reported.",
        "objective": "Heart: regular rate and rhythm.\nLungs: clear.\nExtremities: no edema.",
        "assessment": "Essential hypertension.",
        "plan": "Continue current regimen. Low-sodium diet, regular exercise.\n"
        "Basic metabolic panel. Recheck in 3 months.",
    },
    "Diabetes follow-up": {
        "subjective": "Diabetes follow-up. Home glucose readings: \nHypoglycemia: none.",
        "objective": "Feet: sensation intact to monofilament, pulses present, no ulcers.",
        "assessment": "Type 2 diabetes mellitus.",
        "plan": "Hemoglobin A1c today. Continue metformin. Annual eye exam reminder.\n"
        "Recheck in 3 months.",
    },
    "Procedure note": {
        "subjective": "Here for a scheduled procedure. Risks, benefits and alternatives "
        "discussed; verbal consent obtained.",
        "objective": "Site prepared in the usual sterile fashion. Patient tolerated the "
        "procedure well, no complications.",
        "assessment": "",
        "plan": "Wound care instructions given. Return if signs of infection.",
    },
}

# code system, code, the clinic's own description, price
FEE_SCHEDULE = [
    ("CPT", "99202", "New patient visit, straightforward", "95.00"),
    ("CPT", "99203", "New patient visit, low complexity", "140.00"),
    ("CPT", "99204", "New patient visit, moderate complexity", "210.00"),
    ("CPT", "99212", "Office visit, established patient, straightforward", "70.00"),
    ("CPT", "99213", "Office visit, established patient, low", "110.00"),
    ("CPT", "99214", "Office visit, established patient, moderate", "165.00"),
    ("CPT", "99215", "Office visit, established patient, high", "230.00"),
    ("CPT", "99392", "Preventive visit, established, age 1-4", "150.00"),
    ("CPT", "99393", "Preventive visit, established, age 5-11", "150.00"),
    ("CPT", "99394", "Preventive visit, established, age 12-17", "165.00"),
    ("CPT", "99395", "Preventive visit, established, age 18-39", "180.00"),
    ("CPT", "99396", "Preventive visit, established, age 40-64", "195.00"),
    ("CPT", "99397", "Preventive visit, established, age 65+", "210.00"),
    ("CPT", "93000", "ECG with reading", "45.00"),
    ("CPT", "36415", "Blood draw (venipuncture)", "12.00"),
    ("CPT", "83036", "Hemoglobin A1c test", "20.00"),
    ("CPT", "87880", "Rapid strep test", "25.00"),
    ("CPT", "81002", "Urine dipstick, manual", "10.00"),
    ("CPT", "20610", "Joint injection, large joint", "120.00"),
    ("CPT", "11200", "Skin tag removal, first 15", "95.00"),
    ("CPT", "17110", "Wart destruction, up to 14", "110.00"),
    ("CPT", "69209", "Ear wax removal by irrigation", "45.00"),
    ("CPT", "90471", "Vaccine administration, first", "25.00"),
    ("CPT", "90686", "Flu vaccine, single dose", "30.00"),
    ("HCPCS", "G0439", "Medicare annual wellness visit, subsequent", "175.00"),
]


@dataclass(frozen=True)
class Scenario:
    template: str
    diagnoses: list[str]
    procedures: list[str]  # fee schedule codes; "preventive" picks one by age
    assessment: str
    plan: str
    history: str = ""
    exam: str = "General: alert, no acute distress."
    fever: bool = False
    remote: bool = False
    optional: list[str] = field(default_factory=list)  # sometimes added as a second diagnosis


SCENARIOS = {
    "Blood pressure check": Scenario(
        "Hypertension follow-up",
        ["I10"],
        ["99214"],
        "Essential hypertension, {control}.",
        "Continue lisinopril. Home BP log. Recheck in 3 months.",
        optional=["E78.5", "E66.9"],
        history="Home readings mostly 130s-140s over 80s. No chest pain, headache or vision change. Taking lisinopril daily.",
        exam="Heart: regular rate and rhythm, no murmur. Lungs: clear. Extremities: no edema.",
    ),
    "Diabetes follow-up": Scenario(
        "Diabetes follow-up",
        ["E11.9"],
        ["99214", "83036"],
        "Type 2 diabetes mellitus, {control}.",
        "Continue metformin 1000 mg twice daily. A1c today. Recheck in 3 months.",
        optional=["I10", "E78.5"],
        history="Fasting sugars 110-150. No hypoglycemia. Walking 20 minutes most days.",
        exam="Feet: sensation intact to monofilament, pedal pulses present, no ulcers.",
    ),
    "Lab results": Scenario(
        "Acute visit",
        ["R73.03"],
        ["99213"],
        "Prediabetes on recent labs.",
        "Diet and activity counseling. Repeat A1c in 6 months.",
        optional=["E78.5"],
        history="Here to review recent labs. Feels well.",
        exam="General: well appearing. Heart and lungs normal.",
    ),
    "Medication review": Scenario(
        "Hypertension follow-up",
        ["I10", "E78.5"],
        ["99213"],
        "Hypertension and hyperlipidemia on current medications.",
        "Medications reconciled. Continue lisinopril and atorvastatin.",
        history="Brought all medication bottles. No side effects. Rarely misses a dose.",
        exam="Heart: regular. Lungs: clear. No edema.",
    ),
    "Thyroid follow-up": Scenario(
        "Acute visit",
        ["E03.9"],
        ["99213", "36415"],
        "Hypothyroidism, clinically euthyroid.",
        "TSH today. Continue levothyroxine 75 mcg daily.",
        history="Energy improved on levothyroxine. No palpitations, no heat intolerance.",
        exam="Neck: thyroid not enlarged, no nodules. Heart: regular.",
    ),
    "Asthma check": Scenario(
        "Acute visit",
        ["J45.909"],
        ["99213"],
        "Asthma, well controlled.",
        "Continue albuterol as needed. Asthma action plan reviewed.",
        history="Uses rescue inhaler about once a week. No night waking.",
        exam="Lungs: clear, no wheeze, good air movement.",
    ),
    "Sore throat": Scenario(
        "Acute visit",
        ["J02.9"],
        ["99213", "87880"],
        "Acute pharyngitis; rapid strep negative.",
        "Salt-water gargles, acetaminophen as needed. Return if not better in 5 days.",
        history="Sore throat for 2 days, mild fever at home, no cough.",
        exam="Pharynx: erythematous, no exudate. Neck: small tender anterior nodes.",
    ),
    "Cough and fever": Scenario(
        "Acute visit",
        ["J06.9", "R50.9"],
        ["99213"],
        "Viral upper respiratory infection with fever.",
        "Fluids, rest, antipyretics. Return if shortness of breath or fever beyond 3 days.",
        fever=True,
        history="Cough and fever for 3 days, runny nose, body aches. Sick contacts at home.",
        exam="Nose: congested. Pharynx: mild erythema. Lungs: clear, no crackles.",
    ),
    "Ear pain": Scenario(
        "Acute visit",
        ["H66.90"],
        ["99213"],
        "Acute otitis media.",
        "Amoxicillin 500 mg three times daily for 7 days. Recheck if not improving.",
        history="Right ear pain for 2 days after a cold. Mild fever.",
        exam="Right tympanic membrane: red and bulging. Left: normal.",
    ),
    "Rash": Scenario(
        "Acute visit",
        ["L30.9"],
        ["99212"],
        "Contact dermatitis.",
        "Hydrocortisone 1% cream twice daily. Avoid the irritant.",
        history="Itchy rash on both forearms for a week after gardening.",
        exam="Skin: erythematous papules in linear streaks on both forearms.",
    ),
    "Back pain": Scenario(
        "Acute visit",
        ["M54.50"],
        ["99213"],
        "Mechanical low back pain, no red flags.",
        "Ibuprofen with food, heat, stretching. Physical therapy referral if not better in 4 weeks.",
        history="Low back pain for 5 days after lifting boxes. No leg weakness, no numbness, normal bladder and bowel.",
        exam="Back: paraspinal tenderness, negative straight-leg raise, strength and reflexes normal.",
    ),
    "Urinary symptoms": Scenario(
        "Acute visit",
        ["N39.0"],
        ["99213", "81002"],
        "Uncomplicated urinary tract infection.",
        "Nitrofurantoin 100 mg twice daily for 5 days. Fluids.",
        history="Burning with urination and frequency for 2 days. No fever, no flank pain.",
        exam="Abdomen: mild suprapubic tenderness. No costovertebral angle tenderness. Urine dipstick: leukocytes and nitrites positive.",
    ),
    "Annual wellness visit": Scenario(
        "Adult annual physical",
        ["Z00.00"],
        ["preventive"],
        "Annual preventive examination, no abnormal findings.",
        "Screening labs ordered. Return in one year.",
        optional=["Z23"],
        history="Here for yearly check-up. Feels well. Exercises 3 times a week.",
        exam="General: well appearing. Heart: regular, no murmur. Lungs: clear. Abdomen: soft.",
    ),
    "Sports physical": Scenario(
        "Adult annual physical",
        ["Z02.5"],
        ["preventive"],
        "Cleared for sports participation.",
        "Form completed. Return in one year.",
        history="Plans to play soccer this season. No chest pain or fainting with exercise.",
        exam="Heart: regular, no murmur standing or squatting. Musculoskeletal: full range of motion.",
    ),
    "Well-child check": Scenario(
        "Adult annual physical",
        ["Z00.129"],
        ["preventive"],
        "Well child, growing and developing normally.",
        "Anticipatory guidance given. Vaccines up to date.",
        history="Parent reports good appetite and sleep. Doing well in school.",
        exam="Growth along the curve. Heart, lungs and abdomen normal.",
    ),
    "Establish care": Scenario(
        "Adult annual physical",
        ["Z76.89"],
        ["99203"],
        "New patient establishing care.",
        "Outside records requested. Routine labs ordered.",
        optional=["I10"],
        history="New to the area, establishing care. Past history reviewed.",
        exam="General: well appearing. Heart and lungs normal.",
    ),
    "New patient, transferring records": Scenario(
        "Adult annual physical",
        ["Z76.89"],
        ["99203"],
        "New patient transferring care.",
        "Records release signed. Follow up in 4 weeks.",
        history="Transferring care from a previous clinic. No current concerns.",
        exam="General: well appearing. Heart and lungs normal.",
    ),
    "Skin tag removal": Scenario(
        "Procedure note",
        ["L91.8"],
        ["11200"],
        "Symptomatic skin tags, removed.",
        "Keep area clean and dry.",
        history="Skin tags on the neck catching on clothing.",
        exam="Three pedunculated skin tags on the left neck, removed by snip excision.",
    ),
    "Joint injection": Scenario(
        "Procedure note",
        ["M17.11"],
        ["20610"],
        "Primary osteoarthritis of the right knee; corticosteroid injection given.",
        "Ice as needed. Avoid strenuous activity for 48 hours.",
        history="Right knee pain with walking, worse on stairs, for months.",
        exam="Right knee: crepitus, no effusion. Injected with triamcinolone 40 mg and lidocaine.",
    ),
    "Wart cryotherapy": Scenario(
        "Procedure note",
        ["B07.9"],
        ["17110"],
        "Common warts treated with cryotherapy.",
        "Blister may form. Repeat in 3 weeks if needed.",
        history="Wart on the right index finger for 3 months.",
        exam="Verrucous papule on the right index finger, treated with liquid nitrogen, two cycles.",
    ),
    "Ear irrigation": Scenario(
        "Procedure note",
        ["H61.23"],
        ["69209"],
        "Bilateral impacted cerumen, cleared by irrigation.",
        "Avoid cotton swabs. Return as needed.",
        history="Muffled hearing in both ears for a week.",
        exam="Both canals occluded by cerumen; cleared by irrigation. Tympanic membranes normal afterwards.",
    ),
    "Medication refill": Scenario(
        "Hypertension follow-up",
        ["I10"],
        ["99212"],
        "Essential hypertension, stable.",
        "Refills sent for 90 days.",
        remote=True,
        history="Needs refills. Home blood pressure 120s-130s over 70s.",
        exam="Seen by video: well appearing, speaking in full sentences.",
    ),
    "Lab results by video": Scenario(
        "Acute visit",
        ["E78.5"],
        ["99213"],
        "Hyperlipidemia on recent lipid panel.",
        "Start atorvastatin 20 mg nightly. Repeat lipids in 3 months.",
        remote=True,
        history="Reviewing the lipid panel by video.",
        exam="Seen by video: well appearing.",
    ),
    "Anxiety follow-up": Scenario(
        "Acute visit",
        ["F41.1"],
        ["99213"],
        "Generalized anxiety disorder, improving.",
        "Continue sertraline 50 mg daily. Counseling referral.",
        remote=True,
        history="Worry improved on sertraline, sleeping better. No thoughts of self-harm.",
        exam="Seen by video: calm, linear thought process.",
    ),
}

CHRONIC = {
    # problem code: medication (name, instructions)
    "I10": ("Lisinopril 10 mg tablet", "1 tablet by mouth daily"),
    "E11.9": ("Metformin 1000 mg tablet", "1 tablet by mouth twice daily with meals"),
    "E78.5": ("Atorvastatin 20 mg tablet", "1 tablet by mouth at bedtime"),
    "E03.9": ("Levothyroxine 75 mcg tablet", "1 tablet by mouth every morning"),
    "J45.909": ("Albuterol 90 mcg inhaler", "2 puffs every 4-6 hours as needed"),
    "F41.1": ("Sertraline 50 mg tablet", "1 tablet by mouth daily"),
}

ALLERGIES = [
    ("Penicillin", "Hives", "moderate"),
    ("Sulfa drugs", "Rash", "mild"),
    ("Peanuts", "Anaphylaxis", "severe"),
    ("Latex", "Contact dermatitis", "mild"),
    ("Codeine", "Nausea and vomiting", "moderate"),
    ("Shellfish", "Throat swelling", "severe"),
]


@dataclass
class SeedResult:
    templates: int = 0
    fee_entries: int = 0
    encounters: int = 0


def _templates() -> dict[str, NoteTemplate]:
    templates = {}
    for name, sections in NOTE_TEMPLATES.items():
        templates[name], _ = NoteTemplate.objects.get_or_create(name=name, defaults=sections)
    return templates


def _fee_schedule() -> dict[str, FeeScheduleEntry]:
    entries = {}
    for system, code, description, price in FEE_SCHEDULE:
        entries[code], _ = FeeScheduleEntry.objects.get_or_create(
            code_system=CodeSystem(system),
            code=code,
            defaults={"description": description, "price": Decimal(price)},
        )
    return entries


def _preventive_code(age: int) -> str:
    for limit, code in [(5, "99392"), (12, "99393"), (18, "99394"), (40, "99395"), (65, "99396")]:
        if age < limit:
            return code
    return "99397"


@dataclass
class Baseline:
    """A patient's usual readings, so that their visits trend plausibly."""

    systolic: int
    diastolic: int
    pulse: int
    height_cm: Decimal
    weight_kg: Decimal


def _baseline(patient: Patient) -> Baseline:
    rng = random.Random(patient.pk)
    age = patient.age
    if age < 18:
        height = Decimal(min(175, 75 + age * 6)) + rng.randint(-5, 5)
        weight = Decimal(max(10, age * 3 + 8 + rng.randint(-3, 4)))
        return Baseline(105 + rng.randint(0, 10), 65 + rng.randint(0, 8), 85, height, weight)
    male = patient.sex_at_birth == SexAtBirth.MALE
    height = Decimal(rng.randint(165, 190) if male else rng.randint(152, 175))
    bmi = Decimal(rng.choice([21, 23, 25, 27, 29, 31, 34]))
    weight = (bmi * (height / 100) ** 2).quantize(Decimal("0.1"))
    return Baseline(
        systolic=112 + min(age, 80) // 3 + rng.randint(-6, 12),
        diastolic=70 + rng.randint(-4, 12),
        pulse=rng.randint(60, 88),
        height_cm=height,
        weight_kg=weight,
    )


def _record_vitals(encounter, by, patient, scenario, taken_at, rng, drift: int = 0) -> None:
    base = _baseline(patient)
    systolic = base.systolic + rng.randint(-8, 8) - drift
    diastolic = min(base.diastolic + rng.randint(-5, 5) - drift // 2, systolic - 25)
    temperature = (
        Decimal(rng.choice(["100.8", "101.2", "101.6", "102.1"]))
        if scenario.fever
        else Decimal(rng.choice(["97.7", "98.0", "98.2", "98.4", "98.6"]))
    )
    services.vitals_record(
        encounter=encounter,
        by=by,
        systolic_bp=systolic,
        diastolic_bp=diastolic,
        pulse=base.pulse + rng.randint(-6, 10) + (12 if scenario.fever else 0),
        respiratory_rate=rng.choice([14, 16, 16, 18]),
        temperature=temperature,
        temperature_unit="F",
        spo2=rng.choice([96, 97, 98, 98, 99]),
        height=base.height_cm,
        height_unit="cm",
        weight=base.weight_kg + Decimal(rng.randint(-15, 15)) / 10 - Decimal(drift) / 5,
        weight_unit="kg",
        pain_score=rng.choice([0, 0, 0, 2, 3, 5]),
        taken_at=taken_at,
    )


def _chart_visit(
    *,
    encounter: Encounter,
    scenario: Scenario,
    reason: str,
    templates: dict[str, NoteTemplate],
    fees: dict[str, FeeScheduleEntry],
    seen_at: datetime.datetime,
    rng: random.Random,
    drift: int = 0,
) -> Encounter:
    by = encounter.provider.user
    patient = encounter.patient
    if not scenario.remote:
        _record_vitals(encounter, by, patient, scenario, seen_at, rng, drift)
    services.note_apply_template(encounter=encounter, template=templates[scenario.template], by=by)
    control = "at goal" if drift > 4 or rng.random() < 0.6 else "above goal"
    services.note_save(
        encounter=encounter,
        by=by,
        data={
            "chief_complaint": reason,
            "subjective": f"{reason}. {scenario.history}",
            "objective": scenario.exam,
            "assessment": scenario.assessment.format(control=control),
            "plan": scenario.plan,
        },
    )
    codes = list(scenario.diagnoses)
    if scenario.optional and rng.random() < 0.5:
        codes.append(rng.choice(scenario.optional))
    for code in codes:
        services.diagnosis_add(encounter=encounter, code=code, by=by)
    for index, code in enumerate(scenario.procedures):
        if code == "preventive":
            code = _preventive_code(patient.age_on(encounter.date_of_service))
            if code == "99397" and rng.random() < 0.5:
                code = "G0439"
        services.procedure_add(
            encounter=encounter,
            fee_schedule_entry=fees[code],
            # The visit itself treats every diagnosis; a test or procedure, the first one.
            diagnosis_pointers=list(range(1, min(len(codes), 4) + 1)) if index == 0 else [1],
            modifiers=["95"] if scenario.remote else [],
            by=by,
        )
    return services.encounter_sign(
        encounter=encounter, by=by, now=seen_at + datetime.timedelta(minutes=rng.randint(20, 90))
    )


def _longitudinal(patient: Patient, by: User, codes: list[str], rng: random.Random) -> None:
    """Problems and medications for the chronic diagnoses; an allergy for some patients."""
    since = timezone.localdate() - datetime.timedelta(days=rng.randint(400, 3000))
    for code in codes:
        if code not in CHRONIC:
            continue
        if not patient.problems.filter(code_id=code, status=ChartItemStatus.ACTIVE).exists():
            services.problem_add(patient=patient, by=by, data={"code": code, "onset_date": since})
        name, instructions = CHRONIC[code]
        if not patient.medications.filter(name=name).exists():
            services.medication_add(
                patient=patient,
                by=by,
                data={"name": name, "instructions": instructions, "start_date": since},
            )
    if random.Random(patient.pk * 7).random() < 0.25 and not patient.allergies.exists():
        substance, reaction, severity = random.Random(patient.pk).choice(ALLERGIES)
        services.allergy_add(
            patient=patient,
            by=by,
            data={"substance": substance, "reaction": reaction, "severity": severity},
        )


def _book_past_follow_up(
    *, patient: Patient, provider: Provider, day: datetime.date, reason: str, desk: User | None
) -> Appointment | None:
    """A follow-up on a past day, booked, checked in, roomed and completed "as of" that day."""
    follow_up = AppointmentType.objects.filter(name="Follow-up").first()
    if follow_up is None:
        return None
    for minutes in range(8 * 60, 16 * 60, 15):
        start = local_datetime(day, datetime.time(minutes // 60, minutes % 60))
        try:
            appointment = scheduling_services.appointment_book(
                patient=patient,
                provider=provider,
                appointment_type=follow_up,
                start=start,
                booked_by=desk,
                reason=reason,
                now=start - datetime.timedelta(days=14),
            )
        except ValidationError:
            continue
        scheduling_services.appointment_check_in(
            appointment=appointment,
            by=desk,
            demographics_confirmed=True,
            now=start - datetime.timedelta(minutes=10),
        )
        scheduling_services.appointment_set_status(
            appointment=appointment,
            status=AppointmentStatus.IN_ROOM,
            by=provider.user,
            now=start,
        )
        return appointment
    return None


def _history_for_chronic_patients(templates, fees, rng, *, patients: int) -> int:
    """Quarterly follow-ups over the last 18 months for a few patients with hypertension or
    diabetes, so that their trend charts and timelines show something."""
    today = timezone.localdate()
    horizon = today - datetime.timedelta(days=30)
    if Encounter.objects.filter(date_of_service__lt=horizon).exists():
        return 0
    desk = User.objects.filter(groups__name="front_desk").order_by("pk").first()
    providers = list(Provider.objects.filter(active=True).select_related("user").order_by("pk"))
    candidates = list(
        Patient.objects.filter(
            active=True, date_of_birth__lt=today - datetime.timedelta(days=45 * 365)
        ).order_by("pk")[:patients]
    )
    charted = 0
    for index, patient in enumerate(candidates):
        provider = providers[index % len(providers)]
        reason = "Blood pressure check" if index % 3 else "Diabetes follow-up"
        scenario = SCENARIOS[reason]
        for visit in range(6, 0, -1):
            day = today - datetime.timedelta(days=91 * visit + index)
            while day.weekday() >= 5:
                day -= datetime.timedelta(days=1)
            appointment = _book_past_follow_up(
                patient=patient, provider=provider, day=day, reason=reason, desk=desk
            )
            if appointment is None:
                continue
            encounter = services.encounter_start(
                provider=provider, appointment=appointment, by=provider.user, now=appointment.start
            )
            # Readings improve as treatment takes hold: drift grows with each visit.
            _chart_visit(
                encounter=encounter,
                scenario=scenario,
                reason=reason,
                templates=templates,
                fees=fees,
                seen_at=appointment.start + datetime.timedelta(minutes=5),
                rng=rng,
                drift=(6 - visit) * 2,
            )
            charted += 1
        _longitudinal(patient, provider.user, [*scenario.diagnoses, "E78.5"], rng)
    return charted


@transaction.atomic
def seed_charting(*, rng: random.Random | None = None, history_patients: int = 12) -> SeedResult:
    """Templates and fee schedule (created if missing); a signed encounter for every completed
    appointment that has none; a chart history for a few patients with chronic conditions."""
    rng = rng or random.Random(2026)
    templates = _templates()
    fees = _fee_schedule()
    result = SeedResult(templates=len(templates), fee_entries=len(fees))
    if not DiagnosisCode.objects.filter(code="I10").exists():
        # The code set is loaded by `manage.py load_icd10cm`; without it there is nothing to code.
        return result
    result.encounters += _history_for_chronic_patients(
        templates, fees, rng, patients=history_patients
    )
    completed = (
        Appointment.objects.filter(status=AppointmentStatus.COMPLETED, encounter__isnull=True)
        .select_related("patient", "provider__user")
        .order_by("start", "pk")
    )
    for appointment in completed:
        scenario = SCENARIOS.get(appointment.reason, SCENARIOS["Medication review"])
        encounter = services.encounter_start(
            provider=appointment.provider,
            appointment=appointment,
            by=appointment.provider.user,
            now=appointment.start,
        )
        _chart_visit(
            encounter=encounter,
            scenario=scenario,
            reason=appointment.reason or "Follow-up",
            templates=templates,
            fees=fees,
            seen_at=appointment.start + datetime.timedelta(minutes=5),
            rng=rng,
        )
        _longitudinal(appointment.patient, appointment.provider.user, scenario.diagnoses, rng)
        result.encounters += 1
    return result
