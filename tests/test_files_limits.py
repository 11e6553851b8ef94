"""Hostile input never ends in exit 1, a hang or unbounded memory (docs/reliability.md,
"Limits"): deeply nested
TOML, files without line ends, endless and huge input, and policies that would break later
commands are refused with exit 2, naming the file and the limit, and nothing is written.
The same through the installed command, with its peak memory, is tests/test_files_e2e.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Cli, Snapshot

from incidentctl import files
from incidentctl.errors import INVALID_INPUT
from incidentctl.policy import MAX_BANDS, MAX_SECTORS

TOML_COMMANDS = [("apply",), ("policy", "load")]
LINE_COMMANDS = [
    ("contacts", "import"),
    ("org", "import"),
    ("grant", "submitter", "--file"),
    ("revoke", "manager", "--file"),
]
ALL_COMMANDS = TOML_COMMANDS + LINE_COMMANDS
ids = " ".join


def write(tmp_path: Path, content: bytes | str, name: str = "input") -> str:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return str(path)


# --- nesting ----------------------------------------------------------------------------------


@pytest.mark.parametrize("command", TOML_COMMANDS, ids=ids)
@pytest.mark.parametrize(
    "text",
    [
        pytest.param("x = " + "[" * 500 + "]" * 500 + "\n", id="arrays"),
        pytest.param("x = " + "{a = " * 400 + "1" + "}" * 400 + "\n", id="inline-tables"),
        pytest.param("bands = [" + "[" * 33 + "]" * 33 + "]\n", id="just-too-deep"),
    ],
)
def test_deeply_nested_toml_is_exit_2_naming_the_file(
    store: Cli, tmp_path: Path, snapshot: Snapshot, command: tuple[str, ...], text: str
) -> None:
    path = write(tmp_path, text, "deep.toml")
    before = snapshot()
    error = store.fails(INVALID_INPUT, *command, path).error_lines[0]
    assert error == f"Error: {path}: arrays or tables nest more than 32 levels deep"
    assert snapshot() == before


def test_nesting_within_the_limit_and_brackets_in_strings_are_fine(
    store: Cli, tmp_path: Path
) -> None:
    text = (
        '# [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ in a comment\n[organisations."1001"]\n'
        'submitter = ["jan@acme.nl"]  # ' + "{" * 40 + "\n"
    )
    assert store.json("apply", write(tmp_path, text, "roles.toml"))["grant"] != []
    nested = "x = " + "[" * 31 + "]" * 31 + "\n"
    error = store.fails(INVALID_INPUT, "apply", write(tmp_path, nested, "n.toml")).error_lines[0]
    assert "unknown top-level key 'x'" in error, "31 levels parse: the file's content is refused"


@pytest.mark.parametrize("command", TOML_COMMANDS, ids=ids)
def test_a_recursion_error_is_still_exit_2(
    store: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    """Should the depth check ever miss a way to nest, tomllib's RecursionError is caught."""
    monkeypatch.setattr(files, "MAX_TOML_DEPTH", 10**6)
    path = write(tmp_path, "x = " + "[" * 5000 + "]" * 5000 + "\n", "deep.toml")
    error = store.fails(INVALID_INPUT, *command, path).error_lines[0]
    assert error.startswith(f"Error: {path}: arrays or tables nest more than")


def test_dotted_keys_are_refused_for_what_they_are_or_by_their_parts(
    store: Cli, tmp_path: Path
) -> None:
    """Dotted keys nest without recursion in tomllib: within the limit of parts they are
    refused for what they are; beyond it (a key of 150,000 parts took 24 GiB in the line
    finder of apply, and 14 s in tomllib) by the limit."""
    path = write(tmp_path, "organisations." + "x." * 30 + "y = 1\n", "dotted.toml")
    error = store.fails(INVALID_INPUT, "apply", path).error_lines[0]
    assert f"{path}, line 1: " in error
    assert "must be a list of e-mail addresses" in error or "unknown role" in error
    for text in ("organisations." + "x." * 32 + "y = 1\n", "[a." + "x." * 100_000 + "y]\n"):
        path = write(tmp_path, text, "dotted.toml")
        for command in TOML_COMMANDS:
            error = store.fails(INVALID_INPUT, *command, path).error_lines[0]
            assert error == (
                f"Error: {path}: more than 32 parts in one dotted key, the most a TOML file "
                "may hold"
            )


# --- what tomllib builds ----------------------------------------------------------------------

# Just over each limit, in the form that costs tomllib most per byte (docs/reliability.md,
# "Limits"; the same at 4 MiB through the installed command, with its peak memory, is in
# tests/test_files_e2e.py).
OVER_A_LIMIT = {
    "keys": (
        "".join(f"a{n}.b.c.d.e.f.g.h = 1\n" for n in range(files.MAX_TOML_KEYS // 8 + 1)),
        f"more than {files.MAX_TOML_KEYS:,} keys (each part of a dotted key counts)",
    ),
    "tables": (
        "".join(f"[t{n}]\n" for n in range(files.MAX_TOML_TABLES + 1)),
        f"more than {files.MAX_TOML_TABLES:,} tables (headers and inline tables)",
    ),
    "inline tables": (
        "x = [" + ",".join(["{}"] * (files.MAX_TOML_TABLES + 1)) + "]\n",
        f"more than {files.MAX_TOML_TABLES:,} tables (headers and inline tables)",
    ),
    "array items": (
        "x = [" + ",".join(["1"] * (files.MAX_TOML_ITEMS + 1)) + "]\n",
        f"more than {files.MAX_TOML_ITEMS:,} array items",
    ),
}


@pytest.mark.parametrize("command", TOML_COMMANDS, ids=ids)
@pytest.mark.parametrize("limit", OVER_A_LIMIT)
def test_a_toml_file_beyond_what_tomllib_may_build_is_refused(
    store: Cli, tmp_path: Path, snapshot: Snapshot, command: tuple[str, ...], limit: str
) -> None:
    text, what = OVER_A_LIMIT[limit]
    assert len(text.encode()) < files.MAX_TOML_BYTES, "refused for what it holds, not its size"
    path = write(tmp_path, text, "big.toml")
    before = snapshot()
    run = store.fails(INVALID_INPUT, *command, path)
    assert run.stderr.splitlines() == [
        f"Error: {path}: {what}, the most a TOML file may hold",
        "Hint: split it into smaller files (docs/reliability.md, 'Limits')",
    ]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("text", "shape"),
    [
        ("[a.b]\nx = 1\n", files.TomlShape(depth=1, parts=2, keys=3, tables=1, items=0)),
        (
            '[[a."b.c"]]\ny.z = [1, 2, [3]]\n',
            files.TomlShape(depth=2, parts=2, keys=4, tables=1, items=4),
        ),
        ("x = {a = 1, b.c = 2}\n", files.TomlShape(depth=1, parts=2, keys=4, tables=1, items=0)),
        (
            "t = 1979-05-27T07:32:00.5\nf = 1.5  # a.b.c = [{\n",
            files.TomlShape(depth=0, parts=1, keys=2, tables=0, items=0),
        ),
        (
            "x = [\n  1,  # [\n  2,\n]\ns = '''a.b = [{'''\n",
            files.TomlShape(depth=1, parts=1, keys=2, tables=0, items=3),
        ),
        ('"a.b" = "[x]"\n', files.TomlShape(depth=0, parts=1, keys=1, tables=0, items=0)),
    ],
)
def test_the_scan_counts_keys_tables_and_items_outside_strings_and_comments(
    text: str, shape: files.TomlShape
) -> None:
    assert files.toml_shape(text) == shape


# --- size and line length ---------------------------------------------------------------------


@pytest.mark.parametrize("command", TOML_COMMANDS, ids=ids)
def test_a_toml_file_over_the_size_limit_is_refused(
    store: Cli, tmp_path: Path, snapshot: Snapshot, command: tuple[str, ...]
) -> None:
    comment = "# " + "x" * 1000 + "\n"
    text = comment * (files.MAX_TOML_BYTES // len(comment) + 1)
    path = write(tmp_path, text, "big.toml")
    before = snapshot()
    run = store.fails(INVALID_INPUT, *command, path)
    assert run.error_lines[0] == (
        f"Error: {path}: the file is larger than 4 MiB, the most a TOML file may be"
    )
    assert snapshot() == before
    # Just under the limit is read (and judged on its content).
    fits = write(tmp_path, text[: files.MAX_TOML_BYTES - 200], "fits.toml")
    assert "larger than" not in store(*command, fits).stderr


@pytest.mark.parametrize("command", LINE_COMMANDS, ids=ids)
def test_a_line_over_64_kib_is_refused_naming_it(
    store: Cli, tmp_path: Path, snapshot: Snapshot, command: tuple[str, ...]
) -> None:
    header = b"email,org,name\n" if command[0] == "contacts" else b"id,name,employees\n"
    if command[0] in ("grant", "revoke"):
        header = b"email\n"
    path = write(tmp_path, header + b"a" * (64 * 1024 + 1) + b"\nmore\n")
    before = snapshot()
    error = store.fails(INVALID_INPUT, *command, path).error_lines[0]
    assert (
        error == f"Error: {path}, line 2: the line is longer than 64 KiB, the most a line may hold"
    )
    assert snapshot() == before


def test_a_line_of_exactly_64_kib_is_read(store: Cli, tmp_path: Path) -> None:
    name = "N" * (64 * 1024 - len("kees@acme.nl,1001,"))
    path = write(tmp_path, "email,org,name\nkees@acme.nl,1001," + name + "\n")
    error = store.fails(INVALID_INPUT, "contacts", "import", path).error_lines[0]
    assert "longer than 500 characters" in error, "read, then refused for what it holds"


@pytest.mark.parametrize("command", LINE_COMMANDS[:1] + LINE_COMMANDS[2:3], ids=ids)
def test_an_unclosed_quote_cannot_gather_the_rest_of_the_file(
    store: Cli, tmp_path: Path, command: tuple[str, ...]
) -> None:
    header = b"email,org,name\n" if command[0] == "contacts" else b"email,note\n"
    body = b'x@acme.nl,"never closed\n' + b"a short line\n" * 10_000
    path = write(tmp_path, header + body)
    error = store.fails(INVALID_INPUT, *command, path).error_lines[0]
    assert error.startswith(f"Error: {path}, line 2: the record is longer than 64 KiB")


@pytest.mark.parametrize("command", ALL_COMMANDS, ids=ids)
def test_dev_zero_is_exit_2_naming_the_limit(
    store: Cli, snapshot: Snapshot, command: tuple[str, ...]
) -> None:
    before = snapshot()
    error = store.fails(INVALID_INPUT, *command, "/dev/zero").error_lines[0]
    if command in TOML_COMMANDS:
        assert (
            error == "Error: /dev/zero: the file is larger than 4 MiB, the most a TOML file may be"
        )
    else:
        assert error.startswith("Error: /dev/zero, line 1: the line is longer than 64 KiB")
    assert snapshot() == before


@pytest.mark.parametrize("command", ALL_COMMANDS, ids=ids)
def test_endless_stdin_is_exit_2(store: Cli, command: tuple[str, ...]) -> None:
    """What cannot be told from a file: more than the limit from a pipe (CliRunner gives
    the input as a whole; the installed command reads a real pipe in test_files_e2e.py)."""
    error = store.fails(INVALID_INPUT, *command, "-", input=b"a" * (5 * 1024 * 1024)).error_lines[0]
    assert error.startswith("Error: <stdin>")
    assert "64 KiB" in error or "4 MiB" in error


# --- endless valid input ---------------------------------------------------------------------

# A stream of valid rows repeated beyond the limit of lines (made small here: the real limits
# are reached by the installed command in tests/test_files_e2e.py), and of blank lines.
ENDLESS_ROWS = {
    ("contacts", "import"): ("email,org,name\n", lambda n: f"u{n}@acme.nl,1001,User {n}\n"),
    ("org", "import"): ("id,name,employees\n", lambda n: f"9{n},Org {n},5\n"),
    ("grant", "submitter", "--file"): ("", lambda n: "jan@acme.nl\n"),
    ("revoke", "manager", "--file"): ("", lambda n: "jan@acme.nl\n"),
}


@pytest.mark.parametrize("blank", [False, True], ids=["rows", "blank lines"])
@pytest.mark.parametrize("command", LINE_COMMANDS, ids=ids)
def test_more_lines_than_the_limit_are_exit_2_naming_it(
    store: Cli,
    snapshot: Snapshot,
    monkeypatch: pytest.MonkeyPatch,
    command: tuple[str, ...],
    blank: bool,
) -> None:
    csv = command[0] in ("contacts", "org")
    limit = 50
    monkeypatch.setattr(files, "MAX_CSV_LINES" if csv else "MAX_ADDRESS_LINES", limit)
    header, row = ENDLESS_ROWS[command]
    body = "".join("\n" if blank else row(n) for n in range(limit + 10))
    fits = header + "".join(row(n) for n in range(limit - len(header.splitlines())))
    assert store(*command, "-", input=fits).exit_code == 0, "the limit itself is read"
    before = snapshot()
    run = store.fails(INVALID_INPUT, *command, "-", input=header + body)
    assert run.stderr.splitlines() == [
        f"Error: <stdin>, line {limit + 1}: more than {limit} lines (rows and blank lines), the "
        "most this input may have",
        "Hint: is this the right file, or an endless stream? split a real one "
        "(docs/reliability.md, 'Limits')",
    ]
    assert snapshot() == before


# --- policies that would break later commands --------------------------------------------------


def bands_text(count: int, step: int = 10) -> str:
    return "[" + ",".join(f"{{from_employees={n * step},maximum={n}}}" for n in range(count)) + "]"


def test_the_largest_policy_loads_and_every_command_still_works(store: Cli, tmp_path: Path) -> None:
    """MAX_BANDS bands in every list and MAX_SECTORS sectors: 50,100 bands. Grants and the
    recount evaluate the maximum without a bound variable per band (SQLite allows 32,766),
    and the policy as ``policy show`` prints it loads again (it fits the TOML size limit)."""
    bands = bands_text(MAX_BANDS)
    sectors = "".join(f'[sectors."sector {n}"]\nbands = {bands}\n' for n in range(MAX_SECTORS))
    path = write(tmp_path, f"bands = {bands}\n{sectors}", "large.toml")
    store.ok("org", "set", "2002", "--sector", "Sector 7")
    store.ok("grant", "submitter", "gina@globex.nl")
    loaded = store.json("policy", "load", path)
    assert len(loaded["policy"]["sectors"]) == MAX_SECTORS
    assert store.json("quota", "1001")["maximum"] == 3  # 30 employees: the band from 30
    store.ok("grant", "submitter", "jan@acme.nl", "piet@acme.nl", "admin@acme.nl")
    # 2002 (5 employees, sector 7's first band): maximum 0, so over quota with Gina.
    store.ok("contacts", "add", "hans@globex.nl", "--org", "2002", "--name", "Hans")
    store.fails(5, "grant", "submitter", "--file", "-", input="hans@globex.nl\n")
    store.ok("revoke", "submitter", "piet@acme.nl")
    report = store.json("recount")
    assert report["status"] == "done"
    assert report["over_quota"] == [{"org": "2002", "used": 1, "maximum": 0}]
    assert store.json("quota", "explain", "2002")["policy_sector"] == "sector 7"
    shown = store.ok("policy", "show").stdout
    assert len(shown.encode()) < files.MAX_TOML_BYTES
    assert (
        store.json("policy", "load", write(tmp_path, shown, "shown.toml"))["policy"]
        == (loaded["policy"])
    )


@pytest.mark.parametrize(
    ("text", "named"),
    [
        pytest.param(
            f"bands = {bands_text(MAX_BANDS + 1)}\n",
            "bands: 101 bands, more than the 100 a list may have",
            id="too-many-bands",
        ),
        pytest.param(
            f"bands = {bands_text(1)}\n[sectors.zorg]\nbands = {bands_text(MAX_BANDS + 1)}\n",
            "sectors.zorg.bands: 101 bands",
            id="too-many-sector-bands",
        ),
        pytest.param(
            f"bands = {bands_text(1)}\n"
            + "".join(f"[sectors.s{n}]\nbands = {bands_text(1)}\n" for n in range(MAX_SECTORS + 1)),
            "sectors: 501 sectors, more than the 500 a policy may have",
            id="too-many-sectors",
        ),
        pytest.param(
            f'bands = {bands_text(1)}\n[sectors."{"z" * 101}"]\nbands = {bands_text(1)}\n',
            "is longer than 100 characters",
            id="sector-name-too-long",
        ),
        pytest.param(
            f'bands = {bands_text(1)}\n[sectors."zorg\\u202e"]\nbands = {bands_text(1)}\n',
            "U+202E",
            id="sector-name-with-a-direction-control",
        ),
        pytest.param(
            f"bands = {bands_text(20_000, 1)}\n",
            "20000 bands",
            id="20000-bands",
        ),
    ],
)
def test_a_policy_beyond_the_limits_is_refused(
    store: Cli, tmp_path: Path, snapshot: Snapshot, text: str, named: str
) -> None:
    path = write(tmp_path, text, "policy.toml")
    before = snapshot()
    error = store.fails(INVALID_INPUT, "policy", "load", path).error_lines[0]
    assert error.startswith(f"Error: {path}: ")
    assert named in error
    assert snapshot() == before
    store.ok("grant", "submitter", "jan@acme.nl", "--dry-run")
