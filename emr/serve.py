"""`make run`: embedded servers, migrations, demo data on first run, then web + worker.

Runs in the foreground; Ctrl-C stops the web server and the worker (honcho), then the
embedded Postgres and Redis that this run started. Servers that were already running
(another `make run`, a `make test`) are left to whoever started them, and with
DATABASE_URL / CELERY_BROKER_URL set no embedded server is touched.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

from emr import embedded

BASE_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def manage(*args: str, capture: bool = False) -> str:
    result = subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        check=True,
        text=True,
        capture_output=capture,
    )
    return result.stdout if capture else ""


def main() -> int:
    started = embedded.start_missing()
    try:
        return serve()
    finally:
        embedded.stop(started)


def serve() -> int:
    port = os.environ.get("PORT", "8000")
    os.environ["PORT"] = port
    manage("migrate", "--noinput", "-v", "0")
    manage("collectstatic", "--noinput", "-v", "0")
    first_run = manage(
        "shell", "-c", "from emr.models import User; print(User.objects.exists())", capture=True
    )
    if first_run.strip().endswith("False"):
        print(
            "First run: loading demo data and the ICD-10-CM code set (about a minute)…", flush=True
        )
        manage("seed_demo")
    password = os.environ.get("DEMO_PASSWORD", "emr-demo-2026")
    print(
        f"\n  Clinic EMR is at http://127.0.0.1:{port}/\n"
        f"  Demo logins (password {password}): frontdesk, clinician, billing, clinicadmin\n"
        "  Ctrl-C stops the web server, the worker and the embedded databases.\n",
        flush=True,
    )
    honcho = subprocess.Popen(
        [str(BIN / "honcho"), "start", "-f", str(BASE_DIR / "Procfile"), "-d", str(BASE_DIR)],
        env={**os.environ, "PATH": f"{BIN}:{os.environ.get('PATH', '')}"},
    )
    try:
        return honcho.wait()
    except KeyboardInterrupt:
        # The terminal sent SIGINT to honcho as well; let it stop its processes.
        try:
            return honcho.wait(timeout=30)
        except subprocess.TimeoutExpired:
            honcho.send_signal(signal.SIGTERM)
            return honcho.wait()


if __name__ == "__main__":
    sys.exit(main())
