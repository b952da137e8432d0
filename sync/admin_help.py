"""The connector page's help texts, in the words of the staff who set customers up.

Each says what the setting does and what happens when it is left empty; the starting point is
the original connector's descriptions (shared/reference/original-connector.md §1.2).
"""

HELP = {
    "name": "A short name staff use for this customer (letters, digits, hyphens).",
    "paused": (
        "A paused connector accepts nothing from Hull or Outreach and runs no schedules. Use it while a "
        "customer fixes their setup; resume to continue. Webhooks received while paused are not processed."
    ),
    "fetch_interval_minutes": (
        "How often prospects and accounts changed in Outreach are fetched, as a safety net for webhooks "
        "Outreach fails to deliver. 0 turns it off (then only webhooks and manual fetches bring data in)."
    ),
    "hull_id": "The Hull connector id (from the connector's Settings page in Hull). Hull sends it with every call.",
    "hull_organization": "The Hull organization host, e.g. acme.hullapp.io.",
    "user_claims": (
        "How a Hull user and an Outreach prospect are recognised as the same person, in both directions. "
        "Default: Hull email ↔ Outreach emails. Outreach rejects prospects whose email is on the customer's own "
        "domain or on outreach.io."
    ),
    "link_users_in_hull": (
        "When checked, the Outreach account of a prospect becomes the Hull user's account. Careful: a Hull "
        "account is created for EVERY Outreach account a prospect is linked to, and other connectors that link "
        "users may disagree. Unchecked: users are not linked to accounts from Outreach."
    ),
    "synchronized_user_segments": (
        "Users in one of these segments are sent to Outreach as prospects. Empty: no user is sent to Outreach "
        "(\"Send to Outreach\" still works)."
    ),
    "prospect_outgoing_user_segments": (
        "An Outreach prospect field that receives the names of the user's Hull segments. Empty: segment names "
        "are not sent."
    ),
    "prospect_outgoing_account_segments": (
        "An Outreach prospect field that receives the names of the user's account segments. Empty: not sent."
    ),
    "link_users_in_service": (
        "When checked, Hull associates the prospect with its account in Outreach (the account is looked up, "
        "or created if the Hull account is in an account segment below). Unchecked: Outreach links are left alone."
    ),
    "account_claims": (
        "How a Hull account and an Outreach account are recognised as the same company. Default: Hull domain ↔ "
        "Outreach domain. Outreach rejects accounts sent without a name: keep an outgoing name mapping."
    ),
    "synchronized_account_segments": (
        "Accounts in one of these segments are sent to Outreach. Empty: no account is sent (and with linking on, "
        "a prospect's account is only looked up, never created)."
    ),
    "outgoing_account_segments": (
        "An Outreach account field that receives the names of the account's Hull segments. Empty: not sent."
    ),
    "events_to_fetch": (
        "Outreach activity (opens, clicks, replies, calls...) to bring into Hull as events on the user. Events name "
        "the prospect by its Outreach id only: fetch all prospects first, or users without email are created. "
        "None checked: no events are fetched."
    ),
}

SECTION_HELP = {
    "Connect with Outreach": "Hull's access to the customer's Outreach: who authorised it, when the token expires, the webhook.",
    "User identity": "Applies in both directions.",
    "Users from Outreach": "Prospect fields written to Hull users go in the mappings below (Outreach → Hull, user).",
    "Users to Outreach": "Which Hull users become prospects; their fields go in the mappings below (Hull → Outreach, user).",
    "Account identity": "Applies in both directions.",
    "Accounts from Outreach": "Account fields written to Hull go in the mappings below (Outreach → Hull, account).",
    "Accounts to Outreach": "Which Hull accounts become Outreach accounts; fields in the mappings below.",
    "Events": "Outreach activity fetched every few minutes.",
}
