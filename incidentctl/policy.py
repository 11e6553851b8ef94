"""The quota policy: where an organisation's maximum comes from (docs/roles-and-quota.md,
"Where the maximum comes from").

A maximum is derived from size bands (employees → maximum), optionally per sector so that
comparable customers get comparable room, unless the operator set an override with a reason.
The policy is kept in the store's ``policy_bands`` table and loaded from TOML by
``policy load``; the recount evaluates it in SQL (``incidentctl.store.quota``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

from incidentctl import files
from incidentctl.domain import SECTOR_LENGTH, Organisation, parse_name
from incidentctl.errors import InvalidInput
from incidentctl.files import KeyPath, key_path, toml_key


class Band(NamedTuple):
    """From ``from_employees`` employees on (until the next band), at most ``maximum``."""

    from_employees: int
    maximum: int


class Policy(NamedTuple):
    """Size bands for every organisation, and per-sector bands that replace them."""

    bands: tuple[Band, ...]
    sectors: Mapping[str, tuple[Band, ...]] = MappingProxyType({})

    def bands_for(self, sector: str | None) -> tuple[str | None, tuple[Band, ...]]:
        """(the policy sector that applies or None, its bands); sectors match in any case."""
        if sector:
            wanted = sector.casefold()
            for name, bands in self.sectors.items():
                if name.casefold() == wanted:
                    return name, bands
        return None, self.bands


DEFAULT_POLICY = Policy(
    bands=(
        Band(0, 2),
        Band(10, 3),
        Band(50, 5),
        Band(250, 8),
        Band(1000, 12),
        Band(5000, 20),
    )
)
"""The documented default (docs/roles-and-quota.md): a few more seats as organisations grow,
rising slower than their size, since a good internal support organisation (the vendor's
second reason) funnels questions through a small group."""


class Derivation(NamedTuple):
    """How an organisation's maximum was derived, for ``quota explain``."""

    maximum: int
    source: Literal["override", "sector", "size"]
    policy_maximum: int
    band: Band
    band_until: int | None  # the first size of the next band, None for the last band
    sector: str | None  # the policy sector used, None for the general bands
    override: int | None
    override_reason: str | None


def derive(policy: Policy, org: Organisation) -> Derivation:
    """The maximum for ``org`` under ``policy``, with the steps that gave it."""
    sector, bands = policy.bands_for(org.sector)
    index = 0
    for i, band in enumerate(bands):
        if band.from_employees <= org.employees:
            index = i
    band = bands[index]
    until = bands[index + 1].from_employees if index + 1 < len(bands) else None
    if org.quota_override is not None:
        source: Literal["override", "sector", "size"] = "override"
        maximum = org.quota_override
    else:
        source = "sector" if sector else "size"
        maximum = band.maximum
    return Derivation(
        maximum=maximum,
        source=source,
        policy_maximum=band.maximum,
        band=band,
        band_until=until,
        sector=sector,
        override=org.quota_override,
        override_reason=org.quota_override_reason,
    )


# --- reading and writing the policy ---------------------------------------------------

MAX_BANDS = 100
"""The most bands in one list (the general bands, or one sector's)."""
MAX_SECTORS = 500
"""The most sectors in a policy."""


def from_document(document: Mapping[str, Any], source: str = "policy") -> Policy:
    """A policy from a parsed TOML or JSON document, validated; InvalidInput names the key.

    The limits keep every later command fast whatever was loaded: a policy is read by each
    quota check, and its bands become rows of a table the recount joins (docs/roles-and-quota.md).
    """
    unknown = set(document) - {"bands", "sectors"}
    if unknown:
        raise InvalidInput(
            f"{source}: unknown key {sorted(unknown)[0]!r}",
            hint="a policy has 'bands' and optionally 'sectors' (see docs/roles-and-quota.md)",
        )
    if "bands" not in document:
        raise InvalidInput(f"{source}: 'bands' is missing", hint="give at least one band")
    bands = _bands(document["bands"], source, ("bands",))
    sectors_doc = document.get("sectors", {})
    if not isinstance(sectors_doc, Mapping):
        raise InvalidInput(f"{source}: 'sectors' must be a table of sectors")
    if len(sectors_doc) > MAX_SECTORS:
        raise InvalidInput(
            f"{source}: sectors: {len(sectors_doc)} sectors, more than the {MAX_SECTORS} "
            "a policy may have",
            hint="give sectors only where comparable customers need other bands",
        )
    sectors: dict[str, tuple[Band, ...]] = {}
    seen: set[str] = set()
    for name, sector_doc in sectors_doc.items():
        where = f"{source}: {key_path(('sectors', name))}"
        if not name.strip():
            raise InvalidInput(f"{where}: a sector name may not be empty")
        try:
            parse_name(name, "sector name", longest=SECTOR_LENGTH)
        except InvalidInput as exc:
            raise InvalidInput(f"{where}: {exc.message}", hint=exc.hint) from exc
        if name.casefold() in seen:
            raise InvalidInput(f"{where}: sector given twice (names are compared in any case)")
        seen.add(name.casefold())
        if not isinstance(sector_doc, Mapping) or set(sector_doc) != {"bands"}:
            raise InvalidInput(f"{where}: a sector has exactly one key, 'bands'")
        sectors[name] = _bands(sector_doc["bands"], source, ("sectors", name, "bands"))
    return Policy(bands=bands, sectors=sectors)


def _bands(value: Any, source: str, path: KeyPath) -> tuple[Band, ...]:
    where = f"{source}: {key_path(path)}"
    if not isinstance(value, Sequence) or isinstance(value, str) or not value:
        raise InvalidInput(f"{where}: must be a non-empty list of bands")
    if len(value) > MAX_BANDS:
        raise InvalidInput(
            f"{where}: {len(value)} bands, more than the {MAX_BANDS} a list may have",
            hint="a band per size class is enough: the maximum holds until the next band",
        )
    bands: list[Band] = []
    for number, item in enumerate(value):
        at = f"{source}: {key_path((*path, number))}"
        if not isinstance(item, Mapping) or set(item) != {"from_employees", "maximum"}:
            raise InvalidInput(f"{at}: a band has exactly 'from_employees' and 'maximum'")
        start, maximum = item["from_employees"], item["maximum"]
        for key, amount in (("from_employees", start), ("maximum", maximum)):
            if not isinstance(amount, int) or isinstance(amount, bool) or not 0 <= amount < 10**9:
                raise InvalidInput(f"{at}: {key} must be a whole number from 0, got {amount!r}")
        if not bands and start != 0:
            raise InvalidInput(f"{at}: the first band must start at from_employees = 0")
        if bands and start <= bands[-1].from_employees:
            raise InvalidInput(f"{at}: bands must be in increasing order of from_employees")
        bands.append(Band(start, maximum))
    return tuple(bands)


def to_document(policy: Policy) -> dict[str, Any]:
    """The policy as a plain document (``policy show --json``, the audit log)."""
    document: dict[str, Any] = {"bands": _band_list(policy.bands)}
    if policy.sectors:
        document["sectors"] = {
            name: {"bands": _band_list(bands)} for name, bands in policy.sectors.items()
        }
    return document


def _band_list(bands: Sequence[Band]) -> list[dict[str, int]]:
    return [{"from_employees": b.from_employees, "maximum": b.maximum} for b in bands]


def to_toml(policy: Policy) -> str:
    """The policy in the TOML form ``policy load`` reads."""
    lines = ["# incidentctl quota policy: employees -> maximum number of submitters", ""]
    lines += _toml_bands("bands", policy.bands)
    for name, bands in policy.sectors.items():
        lines += ["", f"[sectors.{toml_key(name)}]"]
        lines += _toml_bands("bands", bands)
    return "\n".join(lines) + "\n"


def _toml_bands(key: str, bands: Sequence[Band]) -> list[str]:
    rows = [f"  {{ from_employees = {b.from_employees}, maximum = {b.maximum} }}," for b in bands]
    return [f"{key} = [", *rows, "]"]


def parse_toml(data: bytes, source: str) -> Policy:
    """A policy file as ``policy load`` reads it."""
    document, _ = files.toml_document(data, source)
    return from_document(document, source)
