"""Fixtures shared by the sync tests."""

import pytest

from tests.sync.outgoing_world import map_in, map_out


@pytest.fixture
def leads(connector, hull):
    """A synchronized segment "Leads"; title and phone go out; Outreach's title comes back."""
    segment = hull.segment("Leads")
    connector.synchronized_user_segments = [segment.hull_id]
    connector.save()
    map_out(connector, "title", "title")
    map_out(connector, "phone", "workPhones")
    map_in(connector, "outreach/title", "title")
    return segment
