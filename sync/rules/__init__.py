"""The original connector's decision and mapping rules, as pure functions.

Nothing here does I/O: no HTTP, no database writes. Functions take plain dicts (Hull messages with
`traits_` prefixes already removed, Outreach JSON:API resources in webhook or REST shape), the
connector's settings (a `Connector` or a `RuleSettings` snapshot) and callables for lookups, and
return decisions, request bodies and Hull writes for the sync layer to carry out.

- `settings`: `RuleSettings`, `rule_settings_snapshot` (one query for a whole batch).
- `normalize`: `email_normalize`, `domain_normalize`, `value_canonical`, `values_digest`.
- `identity`: stored ids, lookup filters in claim order, the user→account link plan (§3.4).
- `outgoing_filter`: which Hull messages are sent (§3.2.1, §3.3, §10.1, §10.2) and §3.7.
- `outgoing_body`: the JSON:API `data` for a prospect or an account (§3.2.4, §3.3, §9.2).
- `outreach_values`: what Outreach holds / would receive, compared, so a no-op PATCH is skipped.
- `incoming`: an Outreach prospect/account → the Hull claims, traits and link (§3.5, §3.6).
"""
