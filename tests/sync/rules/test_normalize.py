"""Normal forms for emails and domains."""

import pytest

from sync.rules.normalize import domain_normalize, email_normalize


@pytest.mark.parametrize(
    "raw,normal",
    [(" Alberto@Close.IO ", "alberto@close.io"), ("a+b@x.com", "a+b@x.com"), (None, ""), ("", "")],
)
def test_emails_lose_case_and_surrounding_spaces(raw, normal):
    assert email_normalize(raw) == normal


@pytest.mark.parametrize(
    "raw,normal",
    [
        (" Bluth.COM ", "bluth.com"),
        ("https://www.bluth.com/about?x=1#top", "bluth.com"),
        ("http://bluth.com:8080", "bluth.com"),
        ("www.bluth.com.", "bluth.com"),
        ("sub.bluth.com", "sub.bluth.com"),
        ("wwwbluth.com", "wwwbluth.com"),
        (None, ""),
    ],
)
def test_domains_lose_case_spaces_scheme_www_port_and_path(raw, normal):
    assert domain_normalize(raw) == normal
