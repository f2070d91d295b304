"""The ICD-10-CM code table, loaded from the real simple-icd-10-cm release, and its search."""

import statistics
import time
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection

from charting.icd10 import icd10cm_load, icd10cm_release
from charting.models import DiagnosisCode
from charting.selectors import diagnosis_code_search

pytestmark = pytest.mark.django_db

# The CDC release of April 1, 2026 as the package ships it. `get_all_codes` yields 74,724
# billable entries, five of which (B20, F99, P84, R99, Z66) come twice because they are also
# blocks of their own: 74,719 distinct billable codes.
DISTINCT_BILLABLE = 74_719
DISTINCT_CODES = 98_186


def test_loader_puts_every_code_of_the_release_in_the_table(full_icd10cm):
    first, _second = full_icd10cm
    release = icd10cm_release()

    assert first.created == DISTINCT_CODES
    assert first.billable == DISTINCT_BILLABLE
    assert DiagnosisCode.objects.count() == DISTINCT_CODES == len(release)
    assert DiagnosisCode.objects.filter(billable=True).count() == DISTINCT_BILLABLE
    assert set(DiagnosisCode.objects.filter(billable=True).values_list("code", flat=True)) == {
        code for code, _description, billable in release if billable
    }
    print(f"\nICD-10-CM first load: {first.seconds:.1f} s for {first.total} codes")


def test_loaded_codes_carry_their_descriptions_and_billable_flag(full_icd10cm):
    hypertension = DiagnosisCode.objects.get(code="I10")
    fracture = DiagnosisCode.objects.get(code="S72.001A")
    diabetes = DiagnosisCode.objects.get(code="E11")

    assert hypertension.description == "Essential (primary) hypertension"
    assert hypertension.billable
    assert fracture.billable  # a 7th-character code
    assert fracture.code_compact == "S72001A"
    assert not diabetes.billable  # a category


def test_loading_again_changes_nothing(full_icd10cm):
    _first, second = full_icd10cm

    assert (second.created, second.updated, second.unchanged) == (0, 0, DISTINCT_CODES)


def test_loader_updates_a_changed_description_and_keeps_retired_codes(full_icd10cm):
    DiagnosisCode.objects.filter(code="I10").update(description="old wording", billable=False)
    DiagnosisCode.objects.create(code="U99.9", description="A retired code", billable=True)

    result = icd10cm_load()

    assert (result.created, result.updated) == (0, 1)
    assert DiagnosisCode.objects.get(code="I10").description == "Essential (primary) hypertension"
    assert DiagnosisCode.objects.filter(code="U99.9").exists()


def test_management_command_reports_counts(db, capsys):
    # Codes that are not in the real release: the test does not depend on what is loaded.
    release = [("U98", "A test category", False), ("U98.1", "A test code", True)]

    with mock.patch("charting.icd10.icd10cm_release", return_value=release):
        call_command("load_icd10cm")
        call_command("load_icd10cm")

    output = capsys.readouterr().out
    assert "2 codes (1 billable): 2 added, 0 updated, 0 unchanged" in output
    assert "2 codes (1 billable): 0 added, 0 updated, 2 unchanged" in output


def test_the_web_process_never_imports_the_package():
    import subprocess
    import sys

    # A fresh interpreter: load every module the web process loads, then look.
    code = (
        "import django, os, sys; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'emr.settings');"
        "django.setup(); import emr.urls, charting.views, charting.selectors;"
        "print('simple_icd_10_cm' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("query", "expected_first"),
    [
        ("hypertension", "I10"),
        ("Hypertension", "I10"),
        ("diabetes type 2", "E11.9"),
        ("e11.9", "E11.9"),
        ("E119", "E11.9"),
        ("upper respiratory infection", "J06.9"),
        ("hyperlipid", "E78.5"),
    ],
)
def test_search_by_words_or_code_puts_the_likely_code_first(full_icd10cm, query, expected_first):
    results = diagnosis_code_search(query=query)

    assert results[0].code == expected_first


def test_search_combines_a_code_prefix_and_words(full_icd10cm):
    results = diagnosis_code_search(query="S72 right femur neck")

    assert results
    assert all(code.code.startswith("S72") for code in results)
    assert all("femur" in code.description.lower() for code in results)


def test_search_billable_only_leaves_out_categories(full_icd10cm):
    results = diagnosis_code_search(query="E11", billable_only=True, limit=50)

    assert results
    assert all(code.billable for code in results)


def test_search_ignores_punctuation_and_empty_queries(full_icd10cm):
    assert diagnosis_code_search(query="  ") == []
    assert diagnosis_code_search(query="'&|!():*") == []
    assert diagnosis_code_search(query="pain & | (chest)")[0].code.startswith("R07")


SEARCHES = ["hypertension", "diab", "chest pain", "fracture femur", "E11", "S72.0", "pain", "z00"]


def test_search_over_the_full_code_set_is_fast_and_index_backed(full_icd10cm):
    for query in SEARCHES:
        diagnosis_code_search(query=query)  # warm the plan and the cache
    timings = []
    for _round in range(5):
        for query in SEARCHES:
            started = time.perf_counter()
            diagnosis_code_search(query=query)
            timings.append((time.perf_counter() - started) * 1000)
    median = statistics.median(timings)
    worst = max(timings)
    print(
        f"\nICD-10-CM search over {DISTINCT_CODES} codes: median {median:.1f} ms, max {worst:.1f} ms"
    )

    assert median < 25
    assert worst < 100
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    words = str(
        DiagnosisCode.objects.filter(search_vector__isnull=False)
        .extra(where=["search_vector @@ to_tsquery('english', 'hypert:*')"])
        .explain()
    )
    code = str(DiagnosisCode.objects.filter(code_compact__startswith="E11").explain())
    assert "diagnosiscode_search" in words
    assert "diagnosiscode_compact_prefix" in code
