import pytest
from django.core.checks import run_checks

from hullreach import checks


def ids():
    return {problem.id for problem in checks.settings_check(None)}


def test_it_names_a_django_q_retry_that_is_not_above_timeout(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 600, "retry": 600}
    assert "hullreach.E002" in ids()


def test_it_names_unlimited_task_attempts(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "max_attempts": 0}
    assert "hullreach.E003" in ids()


def test_it_names_production_without_a_secret_key(settings):
    settings.PRODUCTION = True
    settings.SECRET_KEY = settings.DEVELOPMENT_SECRET_KEY
    assert "hullreach.E001" in ids()


@pytest.mark.parametrize(
    "overrides, problem",
    [
        ({"PUBLIC_URL": "http://hullreach.example.com"}, "hullreach.E007"),
        ({"SANDBOX_ENABLED": True}, "hullreach.E008"),
        ({"DEBUG": True}, "hullreach.E009"),
        ({"REDIS_URL": ""}, "hullreach.W006"),
    ],
)
def test_it_names_each_production_misconfiguration(settings, overrides, problem):
    settings.PRODUCTION = True
    settings.SECRET_KEY = "a-long-random-production-secret-key-0123456789"
    for key, value in overrides.items():
        setattr(settings, key, value)
    assert problem in ids()


def test_it_names_production_on_sqlite(settings, monkeypatch):
    settings.PRODUCTION = True
    monkeypatch.setattr(checks, "database_is_sqlite", lambda: True)
    assert "hullreach.E005" in ids()


def test_it_is_quiet_about_a_complete_production_configuration(settings, monkeypatch):
    settings.PRODUCTION = True
    settings.SECRET_KEY = "a-long-random-production-secret-key-0123456789"
    settings.PUBLIC_URL = "https://hullreach.example.com"
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    settings.SANDBOX_ENABLED = False
    settings.DEBUG = False
    settings.OUTREACH_CLIENT_ID = "id"
    settings.OUTREACH_CLIENT_SECRET = "secret"
    monkeypatch.setattr(checks, "database_is_sqlite", lambda: False)
    assert ids() == set()


def test_the_checks_run_with_django_checks(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "retry": 1}
    assert "hullreach.E002" in {p.id for p in run_checks()}
