"""An ``apply`` error names the key path (``organisations."1001".submitter[2]``, entries
counted from 1) and a line only where that line is certain (docs/apply.md): dotted keys, inline
tables and multi-line arrays get the line their key or entry is on, and an error whose line
cannot be told says so by naming none."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Cli, Snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidentctl import applyfile
from incidentctl.errors import INVALID_INPUT, NOT_FOUND, QUOTA_EXCEEDED


def write(tmp_path: Path, text: str, name: str = "roles.toml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


CASES = [
    pytest.param(
        '# who may submit\n# (reviewed weekly)\n\norganisations."1001".submitter = '
        '["jan@acme.nl", "nobody@acme.nl"]\n',
        NOT_FOUND,
        4,
        'nobody@acme.nl: no such contact (at organisations."1001".submitter[2])',
        id="dotted-key-on-line-4",
    ),
    pytest.param(
        '[organisations]\n"1001".submitter = [\n  "jan@acme.nl",\n  "x@@acme.nl",\n]\n',
        INVALID_INPUT,
        4,
        "not a valid e-mail address: 'x@@acme.nl' (at organisations.\"1001\".submitter[2])",
        id="dotted-key-under-a-table",
    ),
    pytest.param(
        '[organisations]\n\n"1001" = { submitter = ["jan@acme.nl"], '
        'manager = ["ghost@acme.nl"] }\n',
        NOT_FOUND,
        3,
        'ghost@acme.nl: no such contact (at organisations."1001".manager[1])',
        id="inline-table",
    ),
    pytest.param(
        'organisations."1001".submitter = []\n\norganisations."9999".submitter = []\n',
        NOT_FOUND,
        3,
        "no organisation '9999' (at organisations.\"9999\")",
        id="unknown-organisation-by-dotted-key",
    ),
    pytest.param(
        '[organisations."1001"]\nsubmitter = ["jan@acme.nl"]\n\n[owners.x]\ny = 1\n',
        INVALID_INPUT,
        4,
        "unknown top-level key 'owners' (expected [organisations.ID]) (at owners)",
        id="unknown-table-by-dotted-header",
    ),
    pytest.param(
        '[organisations."1001"]\nsubmitter = [\'jan@acme.nl\', """[not, an = array]""",\n'
        "  'nobody@acme.nl']\n",
        INVALID_INPUT,
        2,
        "not a valid e-mail address: '[not, an = array]' (at organisations.\"1001\".submitter[2])",
        id="brackets-inside-strings",
    ),
    pytest.param(
        '[organisations."1001"]\nsubmitter = ["jan@acme.nl",\n  # "piet@acme.nl",\n'
        '  "Jan@Acme.nl"]\n',
        INVALID_INPUT,
        4,
        'Jan@Acme.nl is listed twice (first on line 2) (at organisations."1001".submitter[2])',
        id="duplicate",
    ),
    pytest.param(
        '[organisations."1001"]\nsubmitter = ["jan@acme.nl"]\nIncidentenbeheer = []\n',
        INVALID_INPUT,
        3,
        "role submitter is listed twice (first on line 2) "
        '(at organisations."1001".Incidentenbeheer)',
        id="role-twice",
    ),
    pytest.param(
        '[organisations."10 01"]\nsubmitter = []\n',
        NOT_FOUND,
        1,
        "no organisation '10 01' (at organisations.\"10 01\")",
        id="quoted-id",
    ),
]


@pytest.mark.parametrize(("text", "code", "line", "message"), CASES)
def test_an_error_names_the_key_path_and_the_certain_line(
    store: Cli, tmp_path: Path, snapshot: Snapshot, text: str, code: int, line: int, message: str
) -> None:
    path = write(tmp_path, text)
    before = snapshot()
    error = store.fails(code, "apply", path).error_lines[0]
    assert error == f"Error: {path}, line {line}: {message}"
    assert snapshot() == before


def test_an_unknown_contact_by_a_dotted_key(store: Cli, tmp_path: Path) -> None:
    text = '# who\n\n\norganisations."1001".submitter = ["jan@acme.nl", "nobody@acme.nl"]\n'
    error = store.fails(NOT_FOUND, "apply", write(tmp_path, text)).error_lines[0]
    assert error.endswith(
        ', line 4: nobody@acme.nl: no such contact (at organisations."1001".submitter[2])'
    ), "today's bug: it said line 1"


def test_without_a_certain_line_only_the_key_path_is_named(
    store: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(applyfile, "locate", lambda text: applyfile.Locations())
    text = '[organisations."1001"]\nsubmitter = ["jan@acme.nl", "nobody@acme.nl"]\n'
    path = write(tmp_path, text)
    error = store.fails(NOT_FOUND, "apply", path).error_lines[0]
    assert error == (
        f'Error: {path}: nobody@acme.nl: no such contact (at organisations."1001".submitter[2])'
    )
    duplicate = '[organisations."1001"]\nsubmitter = ["jan@acme.nl", "JAN@acme.nl"]\n'
    error = store.fails(INVALID_INPUT, "apply", write(tmp_path, duplicate)).error_lines[0]
    assert 'listed twice (first as organisations."1001".submitter[1])' in error


def test_an_array_whose_length_disagrees_gives_no_line_for_its_entries() -> None:
    """Should the walk and tomllib ever disagree on an array, its entries get no line."""
    where = applyfile.Locations(
        lines={("organisations", "1001", "submitter", 0): 7},
        lengths={("organisations", "1001", "submitter"): 2},
    )
    section = applyfile.OrgSection("1001", None, ("organisations", "1001"))
    problems = applyfile._roles(section, {"submitter": ["x@"]}, where)
    assert [(p.line, p.path) for p in problems] == [
        (None, ("organisations", "1001", "submitter", 0))
    ]


def test_the_quota_refusal_names_the_table(store: Cli, tmp_path: Path) -> None:
    store.ok("contacts", "add", "kees@acme.nl", "--org", "1001", "--name", "K")
    store.ok("contacts", "add", "els@acme.nl", "--org", "1001", "--name", "E")
    text = (
        "\n[organisations]\n"
        '"1001".submitter = ["jan@acme.nl", "piet@acme.nl", "kees@acme.nl", "els@acme.nl"]\n'
    )
    error = store.fails(QUOTA_EXCEEDED, "apply", write(tmp_path, text)).error_lines[0]
    assert ", line 3: quota exceeded" in error
    assert error.endswith('(at organisations."1001")')


def test_a_role_key_of_another_kind_in_a_dotted_header(store: Cli, tmp_path: Path) -> None:
    text = '[organisations."1001".submitter]\nx = 1\n'
    error = store.fails(INVALID_INPUT, "apply", write(tmp_path, text)).error_lines[0]
    assert error.endswith(
        ', line 1: submitter must be a list of e-mail addresses (at organisations."1001".submitter)'
    )


# --- the line is right in any layout ----------------------------------------------------------

LAYOUTS = ["table", "dotted", "table-dotted", "inline"]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    layout=st.sampled_from(LAYOUTS),
    before=st.lists(st.sampled_from(["", "# [x] = 'y'", 'other = "]"']), max_size=3),
    position=st.integers(0, 2),
    multiline=st.booleans(),
)
def test_the_line_of_an_entry_is_right_in_any_layout(
    store_template: Path,
    tmp_path: Path,
    layout: str,
    before: list[str],
    position: int,
    multiline: bool,
) -> None:
    import shutil
    import tempfile

    emails = ["jan@acme.nl", "piet@acme.nl", "admin@acme.nl"]
    emails.insert(position, "ghost@acme.nl")
    separator = ",\n    " if multiline else ", "
    array = "[" + separator.join(f'"{e}"' for e in emails) + "]"
    # "other" lines are only valid inside a table; in front of the file they are comments.
    lead = [line if line.startswith("#") or not line else f"# {line}" for line in before]
    if layout == "table":
        body = ['[organisations."1001"]', *lead, f"submitter = {array}"]
    elif layout == "dotted":
        body = [*lead, f'organisations."1001".submitter = {array}']
    elif layout == "table-dotted":
        body = ["[organisations]", *lead, f'"1001".submitter = {array}']
    else:
        body = ["[organisations]", *lead, f'"1001" = {{ submitter = {array} }}']
    if layout == "inline" and multiline:
        body[-1] = body[-1].replace(",\n    ", ", ")  # inline tables are one line (TOML 1.0)
    text = "\n".join(body) + "\n"
    first = len(body) - 1 + 1  # the line of the key
    expected = first + (position if multiline and layout != "inline" else 0)
    with tempfile.TemporaryDirectory(dir=tmp_path) as folder:
        db = Path(folder) / "store.db"
        shutil.copy2(store_template, db)
        path = Path(folder) / "roles.toml"
        path.write_text(text, encoding="utf-8")
        error = Cli()("--db", str(db), "apply", str(path)).failed(NOT_FOUND)
    assert error.startswith(f"Error: {path}, line {expected}: ghost@acme.nl: no such contact"), text
    assert error.endswith(f'(at organisations."1001".submitter[{position + 1}])'), text
