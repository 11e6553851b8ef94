"""incidentctl: administer who may submit incidents to Support.

Organisations, contacts, the incident roles and their quotas live in one SQLite store.
"""

__version__ = "0.1.0"
