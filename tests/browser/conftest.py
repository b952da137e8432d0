"""A live hullreach for the browser tests: the demo as scripts/start runs it (gunicorn + a django-q worker,
the sandboxes on, `manage.py demo`), in subprocesses on a free port with a SQLite file of their own.

Chromium is Debian's (/usr/bin/chromium, installed by .ci/run): no downloaded browsers. Without it the
tests are skipped with a loud reason; CI installs it, so there they always run.
"""

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (requirements-dev.txt)")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"BROWSER TESTS NOT RUN: no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def live_demo(tmp_path_factory):
    """(base URL, username, password) of a running demo; the processes stop after the session."""
    workdir = tmp_path_factory.mktemp("live-demo")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}",
        SANDBOX_ENABLED="True",
        PUBLIC_URL=base,
        OUTREACH_API_URL=f"{base}/sandbox/outreach/api/v2",
        OUTREACH_OAUTH_URL=f"{base}/sandbox/outreach/oauth",
        HULL_FIREHOSE_URL=f"{base}/sandbox/hull/firehose",
        Q_WORKERS="2",
        LOG_LEVEL="WARNING",
    )
    python = sys.executable
    manage = [python, str(ROOT / "manage.py")]
    log = open(workdir / "server.log", "w")

    def run(*args):
        subprocess.run([*manage, *args], cwd=ROOT, env=env, check=True, stdout=log, stderr=subprocess.STDOUT, timeout=300)

    run("migrate", "--noinput")
    run("setup_schedules")
    run("demo")
    password = secrets.token_urlsafe(12)
    run("shell", "-c", f"from django.contrib.auth import get_user_model; "
                       f"get_user_model().objects.create_superuser('walker', 'walker@demo.test', '{password}')")
    gunicorn = shutil.which("gunicorn", path=str(Path(python).parent)) or "gunicorn"
    web = subprocess.Popen([gunicorn, "hullreach.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "8",
                            "--timeout", "60"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    worker = subprocess.Popen([*manage, "qcluster"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"the web server did not start; see {workdir / 'server.log'}")
        yield base, "walker", password
    finally:
        for process in (worker, web):
            process.terminate()
        for process in (worker, web):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()


@pytest.fixture
def page(browser, live_demo):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
