"""The incident roles of the portal, defined once (docs/roles-and-quota.md).

Everything else is derived from :func:`defined`: reading a role's name or a Dutch alias,
the help texts and error messages that list the roles, shell completion, the roles column
of ``contacts list`` (its SQL is generated from the definitions), the ``check`` document
and who may do what (each role gives one portal permission), the demo data, and the store's
``roles`` table, which ``role_changes.role`` references. Adding a role is a definition here
and one migration step (docs/architecture.md, "Adding a role").

Kept light (no imports beyond the standard library's smallest): the command line reads the
definitions at start-up to build its help.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple


class PortalPermission(NamedTuple):
    """Something the portal lets a contact do, that a role can give. The portal has these
    two; what decides each, besides the roles that give it, is in :mod:`incidentctl.permissions`."""

    key: str  # its key in the check document
    does: str  # what it lets a contact do, after "may"


SUBMIT = PortalPermission("submit", "submit incidents")
VIEW_ALL = PortalPermission("view_all", "view all incidents")
PERMISSIONS = (SUBMIT, VIEW_ALL)
"""Every portal permission, in the order ``check`` shows them."""


class Role(NamedTuple):
    """One incident role of the portal."""

    name: str  # as scripts, JSON, CSV and the store write it
    dutch: str  # the portal's own name, shown beside the name
    aliases: tuple[str, ...]  # other spellings of the Dutch name the portal's texts use
    quota: bool  # whether holders count toward the organisation's maximum (docs/roles-and-quota.md)
    permission: PortalPermission  # what holding it in effect lets a contact do

    @property
    def label(self) -> str:
        """``submitter (Incidentenbeheer)``: how people see a role."""
        return f"{self.name} ({self.dutch})"

    @property
    def spellings(self) -> tuple[str, ...]:
        """Every name the role is read by, in any case: its name, its Dutch name and aliases."""
        return (self.name, self.dutch, *self.aliases)


_NAME = re.compile(r"[a-z][a-z_]{0,30}")
"""Role names are short lower-case words: they appear in generated SQL (as literals), in
JSON and in CSV cells, so nothing that needs quoting or escaping anywhere."""


class Roles:
    """The roles, in the order they are listed (``contacts list``, ``contacts show``, help).

    Immutable once made, and checked when made: names are unique words, no spelling names
    two roles, exactly one role carries the quota (the seats ``quota`` counts) and it is the
    one role that gives submitting, and every portal permission is given by some role.
    """

    __slots__ = ("_by_spelling", "_roles")

    def __init__(self, *roles: Role) -> None:
        by_spelling: dict[str, Role] = {}
        for role in roles:
            if _NAME.fullmatch(role.name) is None:
                raise ValueError(f"a role name is a short lower-case word, not {role.name!r}")
            for spelling in role.spellings:
                taken = by_spelling.setdefault(spelling.lower(), role)
                if taken is not role:
                    raise ValueError(f"{spelling!r} names both {taken.name} and {role.name}")
        if sum(role.quota for role in roles) != 1:
            raise ValueError("exactly one role carries the quota")
        for permission in PERMISSIONS:
            if all(role.permission != permission for role in roles):
                raise ValueError(f"no role gives the permission to {permission.does}")
        # The quota limits who may submit: a second role that gives submitting would let
        # any number of contacts around it.
        if [role for role in roles if role.permission == SUBMIT] != [
            role for role in roles if role.quota
        ]:
            raise ValueError("the role that gives submitting is the one that carries the quota")
        self._roles = roles
        self._by_spelling = by_spelling

    def __iter__(self) -> Iterator[Role]:
        return iter(self._roles)

    def __len__(self) -> int:
        return len(self._roles)

    def __repr__(self) -> str:
        return f"Roles({', '.join(role.name for role in self._roles)})"

    def find(self, text: str) -> Role | None:
        """The role a name or Dutch alias (any case, blanks around it ignored) names."""
        return self._by_spelling.get(text.strip().lower())

    def named(self, name: str) -> Role:
        """The role of a name as the store and JSON write it (KeyError for another)."""
        role = self._by_spelling.get(name)
        if role is None or role.name != name:
            raise KeyError(name)
        return role

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(role.name for role in self._roles)

    @property
    def quota_role(self) -> Role:
        """The role whose holders count toward the quota, the one role that gives
        submitting: the submitter role."""
        return next(role for role in self._roles if role.quota)

    def giving(self, permission: PortalPermission) -> tuple[Role, ...]:
        """The roles that give ``permission``, in order."""
        return tuple(role for role in self._roles if role.permission == permission)

    @property
    def help(self) -> str:
        """``submitter (Incidentenbeheer) or manager (Incidentmanagement); Dutch names work
        too.``: the roles in a help text or hint."""
        return either([role.label for role in self._roles]) + "; Dutch names work too."


def either(items: list[str]) -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


SUBMITTER = Role(
    "submitter",
    "Incidentenbeheer",
    ("Incidentbeheer",),
    quota=True,
    permission=SUBMIT,
)
MANAGER = Role(
    "manager",
    "Incidentmanagement",
    ("Incidentenmanagement",),
    quota=False,
    permission=VIEW_ALL,
)

DEFINED = Roles(SUBMITTER, MANAGER)
"""The roles of the portal. A new one also needs its migration step (docs/architecture.md,
"Adding a role"). Read it through :func:`defined`, never by importing this name, so that
everything derived follows the one definition (a test defines a role of its own)."""


def defined() -> Roles:
    """The roles of the portal (:data:`DEFINED`)."""
    return DEFINED


def parse_role(text: str) -> Role:
    """A role by its name or a Dutch alias, in any case (exit 2 for anything else)."""
    roles = defined()
    role = roles.find(text)
    if role is None:
        from incidentctl.errors import InvalidInput

        raise InvalidInput(f"unknown role {text!r}", hint=f"a role is {roles.help}")
    return role
