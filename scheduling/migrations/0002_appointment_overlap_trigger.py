"""The database holds the overlap rule itself, so that no code path (admin, shell, an API)
can give one provider two live appointments at the same time.

An exclusion constraint would need btree_gist, which the embedded Postgres does not ship:
a plpgsql trigger does the same job. It first locks the provider row, so that two
transactions inserting at once are serialized and the second sees the first's row (in
READ COMMITTED each statement of a volatile function takes a fresh snapshot).
"""

from django.db import migrations

OVERLAP_TRIGGER = """
CREATE FUNCTION scheduling_appointment_no_overlap() RETURNS trigger AS $$
DECLARE
    clash RECORD;
BEGIN
    IF NEW.status NOT IN ('booked', 'arrived', 'in_room', 'completed') THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE'
       AND OLD.status IN ('booked', 'arrived', 'in_room', 'completed')
       AND NEW.provider_id = OLD.provider_id
       AND NEW.start = OLD.start
       AND NEW."end" = OLD."end" THEN
        RETURN NEW;  -- a status step of a live appointment that stays put
    END IF;

    PERFORM 1 FROM emr_provider WHERE id = NEW.provider_id FOR NO KEY UPDATE;

    -- No appointment lasts over 12 hours (a check constraint): only a short index range can clash.
    SELECT id, start INTO clash
      FROM scheduling_appointment
     WHERE provider_id = NEW.provider_id
       AND id IS DISTINCT FROM NEW.id
       AND status IN ('booked', 'arrived', 'in_room', 'completed')
       AND start > NEW.start - interval '12 hours'
       AND start < NEW."end"
       AND "end" > NEW.start
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'scheduling_appointment_overlap: provider % already has appointment % at %',
            NEW.provider_id, clash.id, clash.start
            USING ERRCODE = 'exclusion_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER scheduling_appointment_no_overlap
    BEFORE INSERT OR UPDATE ON scheduling_appointment
    FOR EACH ROW EXECUTE FUNCTION scheduling_appointment_no_overlap();
"""

DROP_OVERLAP_TRIGGER = """
DROP TRIGGER IF EXISTS scheduling_appointment_no_overlap ON scheduling_appointment;
DROP FUNCTION IF EXISTS scheduling_appointment_no_overlap();
"""


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [migrations.RunSQL(OVERLAP_TRIGGER, DROP_OVERLAP_TRIGGER)]
