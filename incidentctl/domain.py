"""The domain's words and pure rules (docs/concepts.md, "The rules"): contacts, organisations,
settings, who may do what; the roles themselves are defined in :mod:`incidentctl.roles`.

No I/O here: functions take what they need, ``now`` included, and return values.

Records throughout the package are ``NamedTuple``s: immutable like frozen dataclasses, and
about six times cheaper to define, which every command pays at start-up
(docs/performance.md).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo

from incidentctl import timeutil
from incidentctl.errors import InvalidInput, NotAuthorized
from incidentctl.roles import Role
from incidentctl.vocabulary import SETTING_HELP

# A practical subset of RFC 5321/5322 that real organisations use: dot-atom local part,
# a domain of LDH labels with a dot. Internationalised addresses are not accepted.
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,63}",
    re.ASCII,
)


def is_valid_email(text: str) -> bool:
    """Whether ``text`` is an e-mail address incidentctl accepts."""
    local, _, _domain = text.partition("@")
    return len(text) <= 254 and len(local) <= 64 and _EMAIL.fullmatch(text) is not None


def parse_email(text: str) -> str:
    """An e-mail address as given (surrounding blanks removed); compared case-insensitively."""
    email = text.strip()
    if not is_valid_email(email):
        raise InvalidInput(
            f"not a valid e-mail address: {text!r}",
            hint="e-mail addresses look like jan@example.nl",
        )
    return email


def parse_org_id(text: str) -> str:
    """An organisation id (customer number): printable text without blanks around it."""
    org_id = text.strip()
    if not org_id or len(org_id) > 64 or not org_id.isprintable():
        raise InvalidInput(
            f"not a valid organisation id: {text!r}",
            hint="an organisation id is the customer number, e.g. 1001 (at most 64 characters)",
        )
    return org_id


# Characters refused in names and other free text (docs/concepts.md, "Text"): the C0
# controls but TAB (NUL, ESC, CR, LF, …) can end a line, move the cursor or recolour a
# terminal when the text is shown, and the bidirectional embeddings, overrides and isolates
# (U+202A–U+202E, U+2066–U+2069) make text read differently from what it holds.
_FORBIDDEN_IN_TEXT = re.compile(r"[\x00-\x08\x0a-\x1f\u202a-\u202e\u2066-\u2069]")
# A multi-line text (an incident's body) may also hold line feeds.
_FORBIDDEN_IN_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\u202a-\u202e\u2066-\u2069]")
TEXT_HINT = (
    "text may not hold control characters (except TAB) or Unicode direction controls "
    "(U+202A to U+202E, U+2066 to U+2069)"
)


def check_text(text: str, what: str, *, multiline: bool = False) -> str:
    """Free text (a name, sector, reason, subject, …) as given, refusing the characters
    that can act on a terminal or disguise the text; ``multiline`` allows line feeds."""
    found = (_FORBIDDEN_IN_LINES if multiline else _FORBIDDEN_IN_TEXT).search(text)
    if found is not None:
        raise InvalidInput(
            f"the {what} holds {describe_character(found.group())} at character "
            f"{found.start() + 1}, which is not allowed",
            hint=TEXT_HINT,
        )
    return text


_CONTROL_NAMES = {
    0x00: "NUL",
    0x07: "bell",
    0x0A: "line feed",
    0x0D: "carriage return",
    0x1B: "escape",
}


def describe_character(char: str) -> str:
    """``the control character U+001B`` or ``the direction control U+202E (RIGHT-TO-LEFT
    OVERRIDE)``: a character that cannot be shown as itself."""
    code = ord(char)
    if code < 0x20 or code == 0x7F:
        known = _CONTROL_NAMES.get(code)
        return f"the control character U+{code:04X}" + (f" ({known})" if known else "")
    import unicodedata

    name = unicodedata.name(char, "")
    return f"the direction control U+{code:04X}" + (f" ({name})" if name else "")


NAME_LENGTH = 500
SECTOR_LENGTH = 100
"""Sectors are short labels (``zorg``); a policy's sector names have the same limit, so
every sector an organisation can have can also be named in a policy."""


def parse_name(text: str, what: str = "name", *, longest: int = NAME_LENGTH) -> str:
    """A person's or organisation's name: kept exactly, but not empty or all blanks, and
    free of control characters (:func:`check_text`)."""
    if not text.strip():
        raise InvalidInput(f"the {what} may not be empty")
    if len(text) > longest:
        raise InvalidInput(f"the {what} is longer than {longest} characters")
    return check_text(text, what)


# Employees and maxima, as the policy's bands: far beyond any organisation, and within the
# 64-bit integers SQLite stores (a larger number was an internal error, exit 1).
LARGEST_COUNT = 999_999_999
COUNT_HINT = f"give a whole number from 0 to {LARGEST_COUNT}"


def parse_employees(value: int) -> int:
    """A number of employees."""
    if value < 0:
        raise InvalidInput(f"the number of employees cannot be negative: {value}")
    if value > LARGEST_COUNT:
        raise InvalidInput(f"the number of employees is too large: {value}", hint=COUNT_HINT)
    return value


class Organisation(NamedTuple):
    """A customer (klant/organisatie)."""

    id: str
    name: str
    employees: int
    sector: str | None
    quota_override: int | None
    quota_override_reason: str | None
    domains: tuple[str, ...] = ()
    """The e-mail domains of its addresses; when there are any, its portal admins may add
    only addresses in them (:func:`email_in_domains`)."""


# An e-mail domain as the e-mail pattern above accepts it: LDH labels, at least two.
_DOMAIN = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}",
    re.ASCII,
)
MAX_DOMAINS = 50


def parse_domains(text: str) -> tuple[str, ...]:
    """E-mail domains from ``a.nl,b.nl`` (commas, semicolons or blanks between them), in
    lower case, each once, in the order given; an empty text is none."""
    domains: list[str] = []
    for given in re.split(r"[,;\s]+", text.strip()):
        if not given:
            continue
        domain = given.lower().removeprefix("@")
        if len(domain) > 253 or _DOMAIN.fullmatch(domain) is None:
            raise InvalidInput(
                f"not a valid e-mail domain: {given!r}",
                hint='give domains like vandijk.nl, separated by commas ("" for none)',
            )
        if domain not in domains:
            domains.append(domain)
    if len(domains) > MAX_DOMAINS:
        raise InvalidInput(f"more than {MAX_DOMAINS} e-mail domains for one organisation")
    return tuple(domains)


def email_in_domains(email: str, domains: tuple[str, ...]) -> bool:
    """Whether the address is in one of the domains (exactly: a subdomain is not in it);
    an organisation without domains takes any address."""
    return not domains or email.rpartition("@")[2].lower() in domains


class Contact(NamedTuple):
    """A person who can log in to the portal (contactpersoon)."""

    id: int
    email: str
    org_id: str
    name: str
    active: bool
    portal_admin: bool
    expert_until: date | None

    def is_expert(self, today: date) -> bool:
        """A certified expert on ``today``: the certificate's last day counts
        (docs/concepts.md). The queries that count experts use its SQL twin,
        :func:`incidentctl.store.rules.expert_sql` (held to this by tests/test_rules_sql.py)."""
        return self.expert_until is not None and today <= self.expert_until


Action = Literal["grant", "revoke"]


class RoleChange(NamedTuple):
    """One grant or revoke as made: the history that every role state is derived from."""

    id: int | None
    contact_id: int
    role: Role
    action: Action
    requested_at: datetime
    effective_at: datetime
    actor: str
    reason: str | None


def effective_at(now: datetime, delay: timedelta, previous: RoleChange | None) -> datetime:
    """When a change made ``now`` takes effect: after the propagation delay, and never
    before the previous change of the same contact and role (changes keep their order even
    when the delay setting was shortened between them). Batches compute it in SQL, with
    :func:`incidentctl.store.rules.effective_at_sql` (held to this by tests/test_rules_sql.py)."""
    moment = now + delay
    if previous is not None and previous.effective_at > moment:
        return previous.effective_at
    return moment


# --- settings -------------------------------------------------------------------------

DEFAULT_PROPAGATION_DELAY = timedelta(minutes=10)
DEFAULT_ENFORCEMENT = "2024-01-01T00:00:00+01:00"  # 1 January 2024, 00:00 Europe/Amsterdam


class Settings(NamedTuple):
    """Behaviour every user of the store shares, with its defaults (docs/concepts.md, "Time")."""

    timezone: ZoneInfo
    propagation_delay: timedelta
    enforcement_date: datetime
    simulated_clock: str | None

    @classmethod
    def from_stored(cls, stored: dict[str, str]) -> Settings:
        """Settings from the store's key/value rows; a missing key takes its default."""
        return cls(
            timezone=timeutil.load_timezone(stored.get("timezone", timeutil.DEFAULT_TIMEZONE)),
            propagation_delay=timeutil.parse_duration(stored["propagation_delay"])
            if "propagation_delay" in stored
            else DEFAULT_PROPAGATION_DELAY,
            enforcement_date=timeutil.from_iso(stored.get("enforcement_date", DEFAULT_ENFORCEMENT)),
            simulated_clock=stored.get("clock"),
        )


def parse_setting(key: str, value: str, *, now: datetime, tz: ZoneInfo) -> str:
    """The text to store for ``settings set KEY VALUE``, validated."""
    if key == "timezone":
        return timeutil.load_timezone(value.strip()).key
    if key == "propagation_delay":
        timeutil.parse_duration(value)
        return value.strip()
    if key == "enforcement_date":
        return timeutil.to_iso(timeutil.parse_time(value, now=now, tz=tz))
    raise InvalidInput(
        f"unknown setting {key!r}", hint="settings are: " + ", ".join(sorted(SETTING_HELP))
    )


# --- who may do what (docs/concepts.md, "Who may do what") ------------------------------

OPERATOR = "operator"


class Actor(NamedTuple):
    """Who runs a command: the local operator, or a portal user given by ``--as``."""

    name: str
    contact: Contact | None = None

    @property
    def is_operator(self) -> bool:
        return self.contact is None

    @property
    def org_id(self) -> str | None:
        """The organisation a portal user is confined to; None for the operator."""
        return None if self.contact is None else self.contact.org_id

    def sees_org(self, org_id: str) -> bool:
        """Whether the organisation exists for this actor at all: a portal user sees only its
        own, and any other is answered exactly as one that does not exist."""
        return self.contact is None or self.contact.org_id == org_id

    def sees_details_of(self, contact: Contact) -> bool:
        """Whether the actor may see the contact's roles, certification and history: the
        operator and a portal admin see their whole organisation, any other portal user
        only itself (it sees its organisation's portal admins by name and address only)."""
        if self.contact is None:
            return True
        if self.contact.org_id != contact.org_id:
            return False
        return self.contact.portal_admin or self.contact.id == contact.id


def require_operator(actor: Actor, command: str) -> None:
    """Operator-only commands (organisation settings, recount, policy, clock) refuse --as."""
    if not actor.is_operator:
        raise operator_only(command, actor.name)


def operator_only(command: str, portal_user: str) -> NotAuthorized:
    """The refusal of an operator-only command run with --as."""
    return NotAuthorized(
        f"'{command}' is for the operator only, not for a portal user (--as {portal_user})",
        hint="run it without --as (and without INCIDENTCTL_AS)",
    )


def not_a_portal_admin(actor: Actor, doing: str, ask: str) -> NotAuthorized:
    """The refusal for a portal user who is not a portal admin; ``ask`` names who can help."""
    return NotAuthorized(
        f"{actor.name} is not a portal admin (klantportalbeheerder) and may not {doing}",
        hint=ask,
    )


SHOWN_TO_PORTAL_USERS = "set by the vendor"
"""What a portal user sees instead of the operator's internal reason for an override."""

OTHER_ORGANISATION = "another organisation"
"""What a portal user sees instead of another organisation's id (a contact moved away)."""


def shown_org(viewer: Actor, org: Organisation) -> Organisation:
    """The organisation as ``viewer`` may see it: the operator's reason for an override is
    internal, so a portal user sees that there is one, and its maximum, not why."""
    if viewer.is_operator or org.quota_override_reason is None:
        return org
    return org._replace(quota_override_reason=SHOWN_TO_PORTAL_USERS)


def shown_actor(viewer: Actor, recorded: str) -> str:
    """An audit actor as ``viewer`` may see it: the operator's login stays internal."""
    if viewer.is_operator or not recorded.startswith(OPERATOR + ":"):
        return recorded
    return OPERATOR
