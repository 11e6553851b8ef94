"""Words and syntax the user sees in help texts and error hints, in one place.

Kept light: the command line reads these at start-up to build its help.
"""

from incidentctl.roles import defined

ROLE_HELP = defined().help
"""The roles as help texts name them (made from the roles defined at start-up)."""
TIME_HELP = "ISO 8601 (2024-01-01T10:00, offset optional), 'now', or relative (+10m, -2h, +1d)."
DURATION_HELP = "a whole number with a unit s, m, h or d (10m, 1h, 1d)."
SETTING_HELP = {
    "timezone": "IANA timezone for reading and showing times and for business dates",
    "propagation_delay": "how long a role change takes to take effect (DURATION, e.g. 10m)",
    "enforcement_date": "from when only submitters may submit incidents (TIME)",
}
