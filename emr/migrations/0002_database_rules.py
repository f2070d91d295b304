from django.db import migrations

ACCESS_LOG_APPEND_ONLY = """
CREATE FUNCTION emr_accesslog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the access log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER emr_accesslog_append_only
    BEFORE UPDATE OR DELETE ON emr_accesslog
    FOR EACH ROW EXECUTE FUNCTION emr_accesslog_append_only();
"""

DROP_ACCESS_LOG_APPEND_ONLY = """
DROP TRIGGER IF EXISTS emr_accesslog_append_only ON emr_accesslog;
DROP FUNCTION IF EXISTS emr_accesslog_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("emr", "0001_initial")]

    operations = [
        # Medical record numbers come from a sequence: unique and never reused.
        migrations.RunSQL(
            "CREATE SEQUENCE emr_patient_mrn_seq START 100001;",
            "DROP SEQUENCE emr_patient_mrn_seq;",
        ),
        migrations.RunSQL(ACCESS_LOG_APPEND_ONLY, DROP_ACCESS_LOG_APPEND_ONLY),
    ]
