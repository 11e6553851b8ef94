"""The values TAB completes (README, "Shell completion"): role names in both languages,
and organisation ids and contact addresses from the store given by --db or
INCIDENTCTL_DB (or the default), as the portal user given by --as or INCIDENTCTL_AS may see
them (docs/concepts.md, "Shell completion").

Typer calls these only while completing, with the command line parsed so far; the root
callback has not run then, so the store path is read from the parsed --db here. Each
answer keeps the case the user typed for the part already typed: addresses and role names
compare in any case, but a shell keeps only answers that start with what was typed.
"""

import os
from pathlib import Path

import typer

from incidentctl.paths import DB_ENV

AS_ENV = "INCIDENTCTL_AS"


def role_names(incomplete: str) -> list[tuple[str, str]]:
    """Every spelling a role is read by (:mod:`incidentctl.roles`), as the portal writes
    them: the names, saying what each role may do, then the Dutch names, saying which role."""
    from incidentctl.roles import defined

    roles = defined()
    names = [(role.name, f"may {role.permission.does} ({role.dutch})") for role in roles]
    dutch = [(spelling, role.name) for role in roles for spelling in role.spellings[1:]]
    return _matching(names + dutch, incomplete, any_case=True)


def contact_emails(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Addresses of existing contacts (not for ``add``, which takes a new one)."""
    if ctx.info_name == "add":
        return []
    from incidentctl.services import completion

    found = completion.contacts(_store_path(ctx), incomplete, _acting_as(ctx))
    return _matching(found, incomplete, any_case=True)


def org_ids(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Ids of existing organisations (not for ``org add``, which takes a new one)."""
    if ctx.info_name == "add" and ctx.parent is not None and ctx.parent.info_name == "org":
        return []
    from incidentctl.services import completion

    found = completion.organisations(_store_path(ctx), incomplete, _acting_as(ctx))
    return _matching(found, incomplete)


def _acting_as(ctx: typer.Context) -> str | None:
    """The portal user the command would act as: ``--as`` on the line being completed, else
    INCIDENTCTL_AS; None for the operator, "" for an empty one (the command refuses it, so
    it completes nothing)."""
    given = ctx.find_root().params.get("as_email")
    if given is None:
        given = os.environ.get(AS_ENV)
    return None if given is None else str(given).strip()


def _store_path(ctx: typer.Context) -> Path | None:
    """The store the command would use; None when --db or INCIDENTCTL_DB is empty (the
    command itself refuses that)."""
    db = ctx.find_root().params.get("db")
    if db is not None and not str(db).strip():
        return None
    if db is None and os.environ.get(DB_ENV) == "":
        return None
    from incidentctl.paths import store_path

    return store_path(db)


def _matching(
    values: list[tuple[str, str]] | tuple[tuple[str, str], ...],
    incomplete: str,
    *,
    any_case: bool = False,
) -> list[tuple[str, str]]:
    from incidentctl.output import printable

    answers = []
    for value, help_text in values:
        if any_case and value[: len(incomplete)].lower() == incomplete.lower():
            value = incomplete + value[len(incomplete) :]
        if value.startswith(incomplete):
            answers.append((value, printable(help_text)))
    return answers
