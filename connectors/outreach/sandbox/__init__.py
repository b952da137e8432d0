"""The Outreach simulator: the subset of Outreach API v2 hullreach uses, with its quirks."""
