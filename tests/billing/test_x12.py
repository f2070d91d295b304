"""The 837P writer: every claim shape must pass the pyx12 validator with no errors."""

import datetime
from decimal import Decimal

import pytest

from billing import x12

DAY = datetime.date(2026, 2, 27)
CLINIC_ADDRESS = x12.Address("120 Maple Street", "Springfield", "IL", "62701-1234", "Suite 200")
HOME = x12.Address("14 Oak Ave", "Chatham", "IL", "62629")


def envelope(number: int = 1234) -> x12.Envelope:
    return x12.Envelope(
        sender_id="371234567",
        receiver_id="CLEARHOUSE",
        interchange_control_number=number,
        group_control_number=number,
        created_at=datetime.datetime(2026, 3, 1, 10, 30),
        reference=f"B{number}",
    )


def subscriber(**overrides) -> x12.Subscriber:
    values = {
        "person": x12.Person("Gonzalez", "Maria", "A", datetime.date(1980, 5, 17), "F", HOME),
        "member_id": "AE12345678",
        "payer": x12.Payer("Aetna", "60054"),
        "group_number": "G1001",
    }
    values.update(overrides)
    return x12.Subscriber(**values)


def line(code="99213", charge="125.00", units=1, pointers=(1,), modifiers=()) -> x12.ServiceLine:
    return x12.ServiceLine(
        code=code,
        charge=Decimal(charge),
        units=units,
        date_of_service=DAY,
        diagnosis_pointers=list(pointers),
        modifiers=list(modifiers),
    )


def claim(**overrides) -> x12.Claim:
    values = {
        "claim_id": "CLM100",
        "subscriber": subscriber(),
        "diagnoses": ["E11.9"],
        "lines": [line()],
        "rendering_provider": x12.RenderingProvider("Raman", "Priya", "1234567893", "207Q00000X"),
    }
    values.update(overrides)
    return x12.Claim(**values)


def write(*claims: x12.Claim, number: int = 1234) -> str:
    return x12.write_837p(
        envelope=envelope(number),
        submitter=x12.Submitter(
            "Maple Street Family Medicine", "371234567", "Marcus Lee", "217-555-0100"
        ),
        receiver=x12.Receiver("Springfield Clearinghouse", "CLEARHOUSE"),
        billing_provider=x12.BillingProvider(
            "Maple Street Family Medicine", "1245319599", "37-1234567", CLINIC_ADDRESS, "207Q00000X"
        ),
        claims=list(claims),
    )


def segments(text: str) -> list[str]:
    return [segment.strip() for segment in text.split("~") if segment.strip()]


def test_subscriber_is_the_patient_passes_pyx12():
    text = write(claim())

    assert x12.validate(text) == []
    assert "SBR*P*18*G1001******CI" in segments(text)
    assert "HL*2*1*22*0" in segments(text)
    assert not any(segment.startswith("PAT") for segment in segments(text))


def test_dependent_patient_gets_a_patient_loop_and_passes_pyx12():
    dependent = claim(
        subscriber=subscriber(
            person=x12.Person("Gonzalez", "Luis", "", datetime.date(1978, 2, 1), "M")
        ),
        relationship="19",
        patient=x12.Person("Gonzalez", "Sofia", "", datetime.date(2016, 9, 3), "F", HOME),
    )

    text = write(dependent)

    assert x12.validate(text) == []
    found = segments(text)
    assert "HL*2*1*22*1" in found
    assert "HL*3*2*23*0" in found
    assert "PAT*19" in found
    assert "NM1*QC*1*Gonzalez*Sofia" in found
    assert "SBR*P**G1001******CI" in found


def test_several_lines_with_modifiers_pass_pyx12_and_total_the_lines():
    lines = [
        line("99214", "180.00", pointers=(1, 2), modifiers=["25"]),
        line("20610", "210.50", pointers=(2,), modifiers=["RT", "59"]),
        line("J1030", "15.25", units=4, pointers=(2, 1), modifiers=["JZ"]),
        line("96372", "40.00", pointers=(1, 2, 3, 4), modifiers=["59", "XU", "76", "GA"]),
    ]
    text = write(claim(diagnoses=["M17.11", "E11.9", "I10", "Z79.4"], lines=lines))

    assert x12.validate(text) == []
    found = segments(text)
    assert "CLM*CLM100*445.75***11:B:1*Y*A*Y*Y" in found
    assert "SV1*HC:20610:RT:59*210.5*UN*1***2" in found
    assert "SV1*HC:J1030:JZ*15.25*UN*4***2:1" in found
    assert "SV1*HC:96372:59:XU:76:GA*40*UN*1***1:2:3:4" in found
    assert [s for s in found if s.startswith("LX")] == ["LX*1", "LX*2", "LX*3", "LX*4"]


def test_twelve_diagnoses_pass_pyx12_with_the_first_as_principal():
    codes = [
        "E11.9",
        "I10",
        "E78.5",
        "J45.909",
        "M54.50",
        "F41.1",
        "K21.9",
        "G43.909",
        "N39.0",
        "R51.9",
        "Z00.00",
        "E66.9",
    ]
    text = write(claim(diagnoses=codes, lines=[line(pointers=(1, 5, 9, 12))]))

    assert x12.validate(text) == []
    hi = next(s for s in segments(text) if s.startswith("HI*"))
    assert hi.split("*")[1] == "ABK:E119"
    assert hi.split("*")[12] == "ABF:E669"
    assert len(hi.split("*")) == 13


def test_replacement_and_void_claims_carry_the_original_reference_and_pass_pyx12():
    replacement = claim(claim_id="CLM101", frequency_code="7", original_reference="PAYER-998877")
    void = claim(claim_id="CLM102", frequency_code="8", original_reference="PAYER-998878")

    text = write(replacement, void)

    assert x12.validate(text) == []
    found = segments(text)
    assert "CLM*CLM101*125***11:B:7*Y*A*Y*Y" in found
    assert "REF*F8*PAYER-998877" in found
    assert "CLM*CLM102*125***11:B:8*Y*A*Y*Y" in found


def test_referring_provider_comes_before_the_rendering_provider_and_passes_pyx12():
    text = write(claim(referring_provider=x12.ReferringProvider("Walsh", "Thomas", "1234567893")))

    assert x12.validate(text) == []
    found = segments(text)
    referring = found.index("NM1*DN*1*Walsh*Thomas****XX*1234567893")
    rendering = next(i for i, s in enumerate(found) if s.startswith("NM1*82*"))
    assert found[referring - 1].startswith("HI*")
    assert referring < rendering


def test_a_batch_of_mixed_claims_passes_pyx12_and_counts_its_segments():
    dependent = claim(
        claim_id="CLM2",
        subscriber=subscriber(person=x12.Person("Chen", "Wei", "", datetime.date(1975, 1, 1), "M")),
        relationship="01",
        patient=x12.Person("Chen", "Mei", "", datetime.date(1977, 4, 4), "F", HOME),
    )
    text = write(claim(claim_id="CLM1"), dependent, claim(claim_id="CLM3"))

    assert x12.validate(text) == []
    found = segments(text)
    st_index = next(i for i, s in enumerate(found) if s.startswith("ST*"))
    se_index = next(i for i, s in enumerate(found) if s.startswith("SE*"))
    assert found[se_index] == f"SE*{se_index - st_index + 1}*0001"
    assert [s for s in found if s.startswith("HL*")] == [
        "HL*1**20*1",
        "HL*2*1*22*0",
        "HL*3*1*22*1",
        "HL*4*3*23*0",
        "HL*5*1*22*0",
    ]


def test_control_numbers_are_placed_in_the_envelopes():
    found = segments(write(claim(), number=42))

    assert found[0].split("*")[13] == "000000042"
    assert found[1].split("*")[6] == "42"
    assert found[-2] == "GE*1*42"
    assert found[-1] == "IEA*1*000000042"
    assert len(found[0]) == 105  # the ISA segment is fixed width


def test_separators_in_user_data_cannot_break_segments():
    nasty = subscriber(
        person=x12.Person(
            "O'Brien*~HL",
            "Ann:e^",
            "",
            datetime.date(1980, 1, 1),
            "F",
            x12.Address("1 Elm~St*Apt 2", "Chatham", "IL", "62629"),
        ),
        member_id="AB*12~3",
        group_number="G:1^",
    )
    text = write(claim(subscriber=nasty, claim_id="CLM*9~"))

    assert x12.validate(text) == []
    found = segments(text)
    assert "NM1*IL*1*O'Brien HL*Ann e****MI*AB 12 3" in found
    assert "N3*1 Elm St Apt 2" in found
    assert any(s.startswith("CLM*CLM 9*") for s in found)


def test_accented_names_are_written_in_plain_ascii():
    person = x12.Person("Muñoz", "Zoë", "", datetime.date(1980, 1, 1), "F", HOME)
    text = write(claim(subscriber=subscriber(person=person)))

    assert x12.validate(text) == []
    assert "NM1*IL*1*Munoz*Zoe****MI*AE12345678" in segments(text)


def test_the_validator_reports_a_broken_file():
    text = write(claim()).replace("NM1*85*2", "NM1*85*9")

    errors = x12.validate(text)

    assert errors
    assert any("Entity Type Qualifier" in error for error in errors)


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"lines": []}, "no service lines"),
        ({"diagnoses": []}, "diagnoses"),
        ({"lines": [line(pointers=(2,))]}, "points to no diagnosis"),
        ({"relationship": "19"}, "needs the patient"),
        ({"frequency_code": "7"}, "needs the original claim"),
    ],
)
def test_writer_refuses_claims_that_cannot_be_valid(bad, message):
    with pytest.raises(x12.X12Error, match=message):
        write(claim(**bad))


def test_money_must_be_decimal():
    with pytest.raises(x12.X12Error, match="Decimal"):
        x12.amount(125.0)
    assert x12.amount(Decimal("125.00")) == "125"
    assert x12.amount(Decimal("0.50")) == "0.5"
    assert x12.amount(Decimal("1000.05")) == "1000.05"
