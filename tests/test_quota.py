"""The quota (docs/roles-and-quota.md, "The quota"): experts don't count and can always be granted,
a lapsed certification counts again, over-quota organisations keep their holders but
refuse new non-expert grants, and ``quota explain`` shows where a maximum comes from."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Cli, Snapshot
from grant_support import NOW_ARGS, add_contact, holders, role_events, statuses

# Every command of these tests runs at a pinned time, so certificates lapse on cue.
BEFORE_LAPSE = ("--now", "2024-06-30T23:59")  # the certificate's last day still counts
AFTER_LAPSE = ("--now", "2024-07-01T00:00")
EXPERT_UNTIL = "2024-06-30"


@pytest.fixture
def full(store: Cli) -> Cli:
    """Acme (maximum 3) with its three seats taken, an expert and a fourth contact."""
    add_contact(store, "eva@acme.nl", "1001", "--expert-until", EXPERT_UNTIL)
    add_contact(store, "kees@acme.nl")
    store.ok(*NOW_ARGS, "grant", "submitter", "admin@acme.nl", "jan@acme.nl", "piet@acme.nl")
    return store


def quota(cli: Cli, org: str = "1001", now: tuple[str, ...] = NOW_ARGS) -> dict[str, object]:
    document = cli.json(*now, "quota", org)
    assert isinstance(document, dict)
    return document


# --- experts ----------------------------------------------------------------------------------


def test_experts_do_not_count_and_can_be_granted_when_the_quota_is_full(full: Cli) -> None:
    assert quota(full)["remaining"] == 0

    document = full.json(*NOW_ARGS, "grant", "submitter", "eva@acme.nl")

    assert statuses(document) == {"eva@acme.nl": "granted"}
    status = quota(full)
    assert (status["maximum"], status["used"], status["remaining"]) == (3, 3, 0)
    assert status["experts"] == 1
    assert status["over_quota"] is False
    assert "eva@acme.nl" in holders(full, "submitter", *NOW_ARGS)


def test_an_expert_in_a_refused_batch_is_not_granted_either(full: Cli, snapshot: Snapshot) -> None:
    before = snapshot()
    run = full(*NOW_ARGS, "grant", "submitter", "eva@acme.nl", "kees@acme.nl", "--json")
    assert run.exit_code == 5
    document = run.json()
    assert document["applied"] is False
    assert statuses(document)["kees@acme.nl"] == "refused"
    assert snapshot() == before


def test_many_experts_fit_where_no_seat_is_left(store: Cli) -> None:
    experts = [f"expert{n}@acme.nl" for n in range(6)]
    for email in experts:
        add_contact(store, email, "1001", "--expert-until", "2030-01-01")
    store.ok(*NOW_ARGS, "grant", "submitter", "admin@acme.nl", "jan@acme.nl", "piet@acme.nl")
    document = store.json(*NOW_ARGS, "grant", "submitter", *experts)
    assert document["summary"]["granted"] == 6
    status = quota(store)
    assert (status["used"], status["experts"]) == (3, 6)


def test_a_lapsed_certification_counts_again(full: Cli) -> None:
    full.ok(*NOW_ARGS, "grant", "submitter", "eva@acme.nl")
    on_last_day = quota(full, now=BEFORE_LAPSE)
    assert (on_last_day["used"], on_last_day["experts"]) == (3, 1)

    after = quota(full, now=AFTER_LAPSE)

    assert (after["used"], after["experts"]) == (4, 0)
    assert after["over_quota"] is True
    assert after["remaining"] == 0


def test_an_expert_whose_certification_lapsed_is_refused_when_full(full: Cli) -> None:
    run = full(*AFTER_LAPSE, "grant", "submitter", "eva@acme.nl", "--json")
    assert run.exit_code == 5
    assert "quota exceeded" in run.json()["results"][0]["reason"]


def test_a_certification_set_to_a_past_date_counts(full: Cli) -> None:
    full.ok(*NOW_ARGS, "grant", "submitter", "eva@acme.nl")
    full.ok("contacts", "set", "eva@acme.nl", "--expert-until", "2024-04-30")
    assert quota(full)["used"] == 4
    full.ok("contacts", "set", "eva@acme.nl", "--expert-until", "none")
    assert quota(full)["used"] == 4
    full.ok("contacts", "set", "eva@acme.nl", "--expert-until", "2025-01-01")
    assert quota(full)["used"] == 3


def test_a_holder_who_becomes_an_expert_frees_a_seat(full: Cli) -> None:
    full.ok("contacts", "set", "jan@acme.nl", "--expert-until", "2030-12-31")
    assert quota(full)["used"] == 2
    assert statuses(full.json(*NOW_ARGS, "grant", "submitter", "kees@acme.nl")) == {
        "kees@acme.nl": "granted"
    }


# --- over quota -------------------------------------------------------------------------------


def _over_quota_rules_hold(cli: Cli, holders_before: list[str]) -> None:
    """Nobody was revoked, new non-experts are refused, experts and managers still fit."""
    assert holders(cli, "submitter", *NOW_ARGS) == holders_before
    assert not [e for e in role_events(cli) if e["action"] == "revoke"]
    status = quota(cli)
    assert status["over_quota"] is True
    assert status["remaining"] == 0
    run = cli(*NOW_ARGS, "grant", "submitter", "kees@acme.nl", "--json")
    assert run.exit_code == 5
    assert statuses(run.json()) == {"kees@acme.nl": "refused"}
    assert statuses(cli.json(*NOW_ARGS, "grant", "submitter", "eva@acme.nl")) == {
        "eva@acme.nl": "granted"
    }
    assert statuses(cli.json(*NOW_ARGS, "grant", "manager", "kees@acme.nl")) == {
        "kees@acme.nl": "granted"
    }


def test_a_lowered_override_keeps_the_holders(full: Cli) -> None:
    before = holders(full, "submitter", *NOW_ARGS)
    full.ok("org", "set", "1001", "--quota", "1", "--reason", "contract downgraded")
    status = quota(full)
    assert (status["maximum"], status["used"]) == (1, 3)
    _over_quota_rules_hold(full, before)


def test_a_policy_with_lower_bands_keeps_the_holders(full: Cli, tmp_path: Path) -> None:
    before = holders(full, "submitter", *NOW_ARGS)
    policy = tmp_path / "policy.toml"
    policy.write_text("bands = [{ from_employees = 0, maximum = 1 }]\n")
    full.ok("policy", "load", str(policy))
    assert quota(full)["maximum"] == 1
    _over_quota_rules_hold(full, before)


def test_a_shrunk_organisation_keeps_its_holders(full: Cli) -> None:
    before = holders(full, "submitter", *NOW_ARGS)
    full.ok("org", "set", "1001", "--employees", "4")  # band 0-9: maximum 2
    assert quota(full)["maximum"] == 2
    _over_quota_rules_hold(full, before)


def test_a_lapsed_certification_puts_the_organisation_over_quota(full: Cli) -> None:
    full.ok(*NOW_ARGS, "grant", "submitter", "eva@acme.nl")
    before = holders(full, "submitter", *AFTER_LAPSE)
    assert quota(full, now=AFTER_LAPSE)["over_quota"] is True
    run = full(*AFTER_LAPSE, "grant", "submitter", "kees@acme.nl", "--json")
    assert run.exit_code == 5
    assert "uses 4 of its 3" in run.json()["results"][0]["reason"]
    assert holders(full, "submitter", *AFTER_LAPSE) == before
    assert not [e for e in role_events(full) if e["action"] == "revoke"]
    add_contact(full, "fleur@acme.nl", "1001", "--expert-until", "2025-12-31")
    assert statuses(full.json(*AFTER_LAPSE, "grant", "submitter", "fleur@acme.nl")) == {
        "fleur@acme.nl": "granted"
    }


def test_revokes_bring_an_over_quota_organisation_back_seat_by_seat(full: Cli) -> None:
    full.ok("org", "set", "1001", "--quota", "1", "--reason", "downgrade")
    full.ok(*NOW_ARGS, "revoke", "submitter", "admin@acme.nl")
    assert quota(full)["over_quota"] is True
    full.ok(*NOW_ARGS, "revoke", "submitter", "jan@acme.nl")
    status = quota(full)
    assert (status["used"], status["over_quota"], status["remaining"]) == (1, False, 0)
    assert full(*NOW_ARGS, "grant", "submitter", "kees@acme.nl", "--json").exit_code == 5
    full.ok(*NOW_ARGS, "revoke", "submitter", "piet@acme.nl")
    assert statuses(full.json(*NOW_ARGS, "grant", "submitter", "kees@acme.nl")) == {
        "kees@acme.nl": "granted"
    }


def test_clearing_the_override_returns_to_the_policy(full: Cli) -> None:
    full.ok("org", "set", "1001", "--quota", "10", "--reason", "pilot customer")
    full.ok(*NOW_ARGS, "grant", "submitter", "kees@acme.nl")
    assert quota(full)["maximum"] == 10
    full.ok("org", "set", "1001", "--clear-quota")
    status = quota(full)
    assert (status["maximum"], status["used"], status["over_quota"]) == (3, 4, True)


def test_an_override_needs_a_reason(store: Cli, snapshot: Snapshot) -> None:
    before = snapshot()
    run = store.fails(2, "org", "set", "1001", "--quota", "5")
    assert "reason" in run.stderr
    store.fails(2, "org", "set", "1001", "--quota", "5", "--reason", "  ")
    store.fails(2, "org", "set", "1001", "--quota", "-1", "--reason", "r")
    assert snapshot() == before


def test_an_override_is_audited_with_its_reason(store: Cli) -> None:
    store.ok("org", "set", "1001", "--quota", "7", "--reason", "framework agreement 2024")
    (event,) = store.json("log", "--action", "org.set")
    assert event["org"] == "1001"
    assert event["reason"] == "framework agreement 2024"
    assert event["after"]["quota_override"] == 7


def test_quota_json_document(store: Cli) -> None:
    store.ok("grant", "submitter", "gina@globex.nl")
    document = store.json("quota", "2002")
    assert document == {
        "org": "2002",
        "maximum": 2,
        "used": 1,
        "remaining": 1,
        "experts": 0,
        "over_quota": False,
        "published": None,
    }
    every = store.json("quota")
    assert [d["org"] for d in every] == ["1001", "2002"]


def test_an_organisation_added_after_the_recount_has_no_published_figure(store: Cli) -> None:
    store.ok("recount")
    store.ok("org", "add", "3003", "--name", "Initech", "--employees", "5")
    every = {d["org"]: d["published"] for d in store.json("quota")}
    listed = {d["id"]: d["quota"]["published"] for d in store.json("org", "list")}
    for published in (every, listed):
        assert published["3003"] is None
        assert published["1001"] is not None
        assert isinstance(published["1001"]["maximum"], int)
    assert store.json("quota", "3003")["published"] is None
    assert "None" not in store.ok("quota").stdout
    assert "None" not in store.ok("org", "list").stdout


def test_the_quota_table_says_what_its_json_says(demo: Cli) -> None:
    """The table is read by a statement of its own (docs/performance.md): after a recount,
    an override below the seats in use (over quota) and a new organisation (no publication),
    each row equals the JSON of its organisation, for the operator and a portal user."""
    demo.ok("recount")
    demo.ok("org", "set", "1002", "--quota", "1", "--reason", "r", "--yes")
    demo.ok("org", "add", "3003", "--name", "Initech", "--employees", "5")

    def rows(*args: str) -> list[list[str]]:
        lines = demo.ok(*args, "quota").stdout.splitlines()
        assert lines[0] == "Org\tMaximum\tUsed\tRemaining\tExperts\tOver quota\tPublished"
        return [line.split("\t") for line in lines[1:]]

    def expected(*args: str) -> list[list[str]]:
        listed = []
        for q in demo.json(*args, "quota"):
            published = q["published"]
            listed.append(
                [
                    *(str(q[key]) for key in ("org", "maximum", "used", "remaining", "experts")),
                    "yes" if q["over_quota"] else "no",
                    "-"
                    if published is None
                    else f"{published['used']}/{published['maximum']} "
                    f"({published['business_date']})",
                ]
            )
        return listed

    everything = rows()
    assert everything == expected()
    over = {row[0]: row[5] for row in everything}
    assert (over["1002"], over["1001"]) == ("yes", "no")
    assert everything[-1][0] == "3003"
    assert everything[-1][6] == "-"
    assert everything[0][6] != "-"
    portal = ("--as", "anouk@vandijk.nl")
    assert rows(*portal) == expected(*portal) == [everything[0]]


def test_quota_human_output(full: Cli) -> None:
    full.ok("org", "set", "1001", "--quota", "2", "--reason", "r")
    run = full.ok(*NOW_ARGS, "quota", "1001")
    assert "Maximum:" in run.stdout
    assert "yes, by 1" in run.stdout
    listing = full.ok(*NOW_ARGS, "quota")
    assert "1001" in listing.stdout
    assert "2002" in listing.stdout


def test_quota_of_an_unknown_organisation_exits_3(store: Cli) -> None:
    store.fails(3, "quota", "9999")
    store.fails(3, "quota", "explain", "9999")


@pytest.mark.parametrize(
    "args",
    [
        ["explain"],
        ["explain", "1001", "2002"],
        ["1001", "2002"],
        ["show"],
        ["show", "1001", "2002"],
        ["list", "1001"],
        ["explain", "1001", "--csv"],
        ["1001", "--colour"],
    ],
)
def test_quota_with_wrong_arguments_exits_2(store: Cli, args: list[str]) -> None:
    store.fails(2, "quota", *args)


# --- quota show, list and the shortcut ---------------------------------------------------------


@pytest.mark.parametrize("form", [[], ["--csv"]])
def test_quota_id_is_short_for_quota_show_id(store: Cli, form: list[str]) -> None:
    store.ok("grant", "submitter", "jan@acme.nl")
    shown = store.ok("quota", "show", "1001", *form).stdout
    assert "1001" in shown
    assert store.ok("quota", "1001", *form).stdout == shown
    assert store.json("quota", "show", "1001") == store.json("quota", "1001")


def test_quota_alone_is_quota_list(store: Cli) -> None:
    every = store.json("quota", "list")
    assert [d["org"] for d in every] == ["1001", "2002"]
    assert store.json("quota") == every
    assert store.ok("quota", "--csv").stdout == store.ok("quota", "list", "--csv").stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--json", "1001"],
        ["1001", "--json"],
        ["--json", "show", "1001"],
        ["show", "--json", "1001"],
    ],
)
def test_options_may_stand_before_or_after_the_id(store: Cli, args: list[str]) -> None:
    assert store.ok("quota", *args).json() == store.json("quota", "show", "1001")


def test_options_before_a_command_are_the_commands(store: Cli) -> None:
    assert store.ok("quota", "--json", "explain", "1001").json()["band"]["maximum"] == 3
    assert store.ok("quota", "--csv", "list").stdout.startswith("org,maximum,")


@pytest.mark.parametrize("org_id", ["show", "explain", "list"])
def test_an_organisation_named_as_a_command_is_reached_through_quota_show(
    store: Cli, org_id: str
) -> None:
    """The id of a customer may be any text: one that is a command's name is shown by
    ``quota show ID`` (and ``quota explain ID``), and ``quota -- ID`` takes it as an id."""
    store.ok("org", "add", org_id, "--name", f"{org_id.title()} B.V.", "--employees", "12")
    shown = store.json("quota", "show", org_id)
    assert shown["org"] == org_id
    assert store.ok("quota", "--json", "--", org_id).json() == shown
    assert store.json("quota", "explain", org_id)["org"] == org_id
    assert org_id in [d["org"] for d in store.json("quota")]


def test_quota_help_names_the_commands_and_the_shortcut(cli: Cli) -> None:
    text = cli.ok("quota", "--help").stdout
    assert "Usage: incidentctl quota [OPTIONS] [ID | show ID | explain ID | list]" in text
    commands = text[text.index("Commands:") :]
    assert [line.split()[0] for line in commands.splitlines()[1:] if line.strip()] == [
        "show",
        "explain",
        "list",
    ]
    assert "short for 'quota show ID'" in " ".join(text.split())


# --- quota explain ----------------------------------------------------------------------------


def test_explain_a_size_band(store: Cli) -> None:
    document = store.json("quota", "explain", "1001")
    assert document == {
        "org": "1001",
        "employees": 30,
        "sector": None,
        "maximum": 3,
        "source": "size",
        "policy_sector": None,
        "policy_maximum": 3,
        "band": {"from_employees": 10, "until_employees": 50, "maximum": 3},
        "override": None,
    }
    human = store.ok("quota", "explain", "1001").stdout
    assert "30 employees" in human
    assert "10-49 employees -> maximum 3" in human
    assert "the general size bands (no sector given)" in human
    assert "Override:     none" in human
    assert "3 (from the policy)" in human


def test_explain_the_last_band_is_open_ended(store: Cli) -> None:
    store.ok("org", "add", "3003", "--name", "Big", "--employees", "12000")
    document = store.json("quota", "explain", "3003")
    assert document["band"] == {"from_employees": 5000, "until_employees": None, "maximum": 20}
    assert "5000+ employees" in store.ok("quota", "explain", "3003").stdout


def test_explain_a_sector_band(store: Cli, tmp_path: Path) -> None:
    general = store.json("quota", "explain", "2002")
    assert (general["source"], general["sector"], general["policy_sector"]) == (
        "size",
        "zorg",
        None,
    )
    assert (
        "the policy has no bands for sector 'zorg'" in store.ok("quota", "explain", "2002").stdout
    )
    policy = tmp_path / "policy.toml"
    policy.write_text(
        "bands = [{ from_employees = 0, maximum = 2 }, { from_employees = 10, maximum = 4 }]\n"
        "\n"
        "[sectors.Zorg]\n"  # sector names match in any case
        "bands = [{ from_employees = 0, maximum = 3 }, { from_employees = 100, maximum = 9 }]\n"
    )
    store.ok("policy", "load", str(policy))

    document = store.json("quota", "explain", "2002")

    assert document["source"] == "sector"
    assert document["sector"] == "zorg"
    assert document["policy_sector"] == "Zorg"
    assert document["maximum"] == 3
    assert document["band"] == {"from_employees": 0, "until_employees": 100, "maximum": 3}
    human = store.ok("quota", "explain", "2002").stdout
    assert "the bands of sector 'Zorg' (comparable customers)" in human
    assert "0-99 employees -> maximum 3" in human
    assert store.json("quota", "2002")["maximum"] == 3
    # An organisation without a sector keeps the general bands.
    assert store.json("quota", "explain", "1001")["band"]["maximum"] == 4


def test_explain_an_override_with_its_reason(store: Cli) -> None:
    store.ok("org", "set", "1001", "--quota", "1", "--reason", "pilot: one seat")
    document = store.json("quota", "explain", "1001")
    assert document["maximum"] == 1
    assert document["source"] == "override"
    assert document["policy_maximum"] == 3
    assert document["override"] == {"maximum": 1, "reason": "pilot: one seat"}
    human = store.ok("quota", "explain", "1001").stdout
    assert "1, because: pilot: one seat" in human
    assert "1 (from the override)" in human
    assert "10-49 employees -> maximum 3" in human


def test_many_organisations_in_one_batch_are_each_checked(store: Cli, tmp_path: Path) -> None:
    """More organisations than the per-organisation count limit use the whole-store count."""
    rows = ["email,org,name"]
    for n in range(60):
        store.ok("org", "add", f"9{n:03}", "--name", f"Org {n}", "--employees", "1")
        rows += [f"a{n}@o{n}.nl,9{n:03},A", f"b{n}@o{n}.nl,9{n:03},B", f"c{n}@o{n}.nl,9{n:03},C"]
    store.ok("contacts", "import", "-", input="\n".join(rows) + "\n")
    first = [f"a{n}@o{n}.nl" for n in range(60)]
    store.ok("grant", "submitter", *first)
    pairs = [email for n in range(60) for email in (f"b{n}@o{n}.nl", f"c{n}@o{n}.nl")]
    # Each organisation has maximum 2 and uses 1; every one of them would go to 3.
    run = store("grant", "submitter", *pairs, "--json")
    assert run.exit_code == 5
    assert run.json()["summary"]["refused"] == 120
    assert "uses 1 of its 2" in run.json()["results"][0]["reason"]
    # One seat each fits.
    document = store.json("grant", "submitter", *pairs[::2])
    assert document["summary"]["granted"] == 60
    assert all(d["used"] == 2 for d in store.json("quota") if d["org"].startswith("9"))
