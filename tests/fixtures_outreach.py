"""Outreach sandbox fixtures (shared by every test through conftest)."""
