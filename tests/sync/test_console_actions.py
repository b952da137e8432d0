import pytest

from sync.console_actions import FetchEstimate, send_targets_parse


def test_typed_targets_are_split_into_hull_ids_and_lowercased_emails_without_duplicates():
    assert send_targets_parse(text=" a1, Ada@Example.com;ada@example.com\n a1 b2 ") == (["a1", "b2"], ["ada@example.com"])


def test_nothing_typed_is_refused():
    with pytest.raises(ValueError, match="at least one"):
        send_targets_parse(text=" , ")


def test_a_fetch_bigger_than_the_hourly_budget_says_how_long_it_is_paced():
    estimate = FetchEstimate(records=2_500_000, requests=25_000, budget_per_hour=10_000)
    assert estimate.summary.endswith("250% of the hourly budget of 10,000 requests. It will be paced over about 3 hours.")
