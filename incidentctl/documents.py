"""Every document of docs/json.md, built in one place: the ``--json`` documents and, beside
each listing's, the columns of its ``--csv`` form.

A command hands its service's values to the function of its document here and prints the
result (:mod:`incidentctl.output`). Where SQLite builds a document for speed (``contacts
list``, the results of ``grant``/``revoke``), the keys are still defined here and the store
builds its JSON from them; the store function that does so is named beside the keys.

Keys may be added, never renamed or removed (docs/json.md, "Stable keys"); the tests of
``tests/test_json_contract.py`` and ``tests/test_csv_contract.py`` pin every one.
"""

from __future__ import annotations

# --- contacts --------------------------------------------------------------------------------

CONTACT_KEYS = ("email", "org", "name", "active", "portal_admin", "expert_until")
"""The keys of a contact in every document that shows one."""

CONTACT_LISTING_KEYS = (*CONTACT_KEYS, "roles")
"""``contacts list --json`` (one object per contact) and the columns of ``contacts list
--csv``, in order. SQLite builds both forms, from these keys:
:func:`incidentctl.store.contacts.listing`."""
