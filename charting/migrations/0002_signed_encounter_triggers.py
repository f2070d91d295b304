"""Postgres holds the signing rule itself: once an encounter is signed, no code path (views,
admin, shell, a future API, raw SQL) can change or delete it, its note, vitals, diagnoses or
procedure lines; addenda can only be added, to signed encounters, and never changed.

Each trigger reads the encounter row FOR SHARE, so that a write racing a signature waits for
it and then sees the signed status (and a signature waits for writes already under way).
"""

from django.db import migrations

MARKER = "charting_signed_encounter_locked"

ENCOUNTER_LOCKED = f"""
CREATE FUNCTION charting_encounter_locked() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'signed' THEN
        RAISE EXCEPTION '{MARKER}: encounter % is signed; % is not allowed', OLD.id, TG_OP
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER charting_encounter_locked
    BEFORE UPDATE OR DELETE ON charting_encounter
    FOR EACH ROW EXECUTE FUNCTION charting_encounter_locked();

CREATE FUNCTION charting_encounter_part_locked() RETURNS trigger AS $$
DECLARE
    encounter_status text;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT status INTO encounter_status FROM charting_encounter
            WHERE id = OLD.encounter_id FOR SHARE;
        IF encounter_status = 'signed' THEN
            RAISE EXCEPTION '{MARKER}: encounter % is signed; % on % is not allowed',
                OLD.encounter_id, TG_OP, TG_TABLE_NAME
                USING ERRCODE = 'restrict_violation';
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT status INTO encounter_status FROM charting_encounter
            WHERE id = NEW.encounter_id FOR SHARE;
        IF encounter_status = 'signed' THEN
            RAISE EXCEPTION '{MARKER}: encounter % is signed; % on % is not allowed',
                NEW.encounter_id, TG_OP, TG_TABLE_NAME
                USING ERRCODE = 'restrict_violation';
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER charting_clinicalnote_locked
    BEFORE INSERT OR UPDATE OR DELETE ON charting_clinicalnote
    FOR EACH ROW EXECUTE FUNCTION charting_encounter_part_locked();
CREATE TRIGGER charting_vitals_locked
    BEFORE INSERT OR UPDATE OR DELETE ON charting_vitals
    FOR EACH ROW EXECUTE FUNCTION charting_encounter_part_locked();
CREATE TRIGGER charting_encounterdiagnosis_locked
    BEFORE INSERT OR UPDATE OR DELETE ON charting_encounterdiagnosis
    FOR EACH ROW EXECUTE FUNCTION charting_encounter_part_locked();
CREATE TRIGGER charting_procedureline_locked
    BEFORE INSERT OR UPDATE OR DELETE ON charting_procedureline
    FOR EACH ROW EXECUTE FUNCTION charting_encounter_part_locked();

CREATE FUNCTION charting_addendum_insert_only() RETURNS trigger AS $$
DECLARE
    encounter_status text;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION '{MARKER}: addenda are permanent; % is not allowed', TG_OP
            USING ERRCODE = 'restrict_violation';
    END IF;
    SELECT status INTO encounter_status FROM charting_encounter
        WHERE id = NEW.encounter_id FOR SHARE;
    IF encounter_status IS DISTINCT FROM 'signed' THEN
        RAISE EXCEPTION 'charting_addendum_needs_signed_encounter: encounter % is not signed',
            NEW.encounter_id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER charting_addendum_insert_only
    BEFORE INSERT OR UPDATE OR DELETE ON charting_addendum
    FOR EACH ROW EXECUTE FUNCTION charting_addendum_insert_only();
"""

DROP_ENCOUNTER_LOCKED = """
DROP TRIGGER IF EXISTS charting_addendum_insert_only ON charting_addendum;
DROP TRIGGER IF EXISTS charting_procedureline_locked ON charting_procedureline;
DROP TRIGGER IF EXISTS charting_encounterdiagnosis_locked ON charting_encounterdiagnosis;
DROP TRIGGER IF EXISTS charting_vitals_locked ON charting_vitals;
DROP TRIGGER IF EXISTS charting_clinicalnote_locked ON charting_clinicalnote;
DROP TRIGGER IF EXISTS charting_encounter_locked ON charting_encounter;
DROP FUNCTION IF EXISTS charting_addendum_insert_only();
DROP FUNCTION IF EXISTS charting_encounter_part_locked();
DROP FUNCTION IF EXISTS charting_encounter_locked();
"""


class Migration(migrations.Migration):
    dependencies = [("charting", "0001_initial")]

    operations = [migrations.RunSQL(ENCOUNTER_LOCKED, DROP_ENCOUNTER_LOCKED)]
