"""The README's first command, in-process: a demo store lists its contacts."""

from conftest import Cli


def test_demo_store_lists_contacts(demo: Cli) -> None:
    run = demo.ok("contacts", "list", "--json")
    rows = run.json()
    assert isinstance(rows, list)
    assert {row["email"] for row in rows} >= {"anouk@vandijk.nl", "koen@snel.nl"}
    anouk = next(row for row in rows if row["email"] == "anouk@vandijk.nl")
    assert anouk["roles"] == ["submitter", "manager"]
