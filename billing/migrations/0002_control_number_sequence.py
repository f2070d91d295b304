"""The interchange control numbers of 837P files (ISA13, GS06) come from a Postgres sequence:
a number taken is never handed out again, even when the transaction that took it rolls back,
so no two files ever carry the same control number."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE SEQUENCE billing_interchange_control_seq "
            "MINVALUE 1 MAXVALUE 999999999 START 1 NO CYCLE;",
            "DROP SEQUENCE billing_interchange_control_seq;",
        )
    ]
