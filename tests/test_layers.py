"""The faces run no SQL: queries and ORM writes live in the domains, which the faces call.

The console, the public pages and the IVR (webhooks and call-flow steps) may open a database session or a
transaction and hand it to domain functions (tickets/, voicemail/, agents/, figures/, access/,
storage/); they never build a query, execute one, or load and write rows themselves.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FACES = ("console", "selfservice", "ivr")

# What only a domain may do with a database session.
FORBIDDEN = {
    "builds a query": re.compile(r"\bselect\("),
    "executes a statement": re.compile(r"\.execute\("),
    "uses the legacy Query API": re.compile(r"\.query\("),
    "loads rows": re.compile(r"\.scalars?\("),
    "loads a row by key": re.compile(r"\b(session|db)\.get\("),
    "writes rows": re.compile(r"\b(session|db)\.(add|add_all|delete|merge|flush|refresh|bulk_\w+)\("),
}
# From SQLAlchemy a face may take the Session type (to pass it on) and the exceptions: not
# select, update, insert, delete, func or text, with which statements are written.
ALLOWED_SQLALCHEMY = re.compile(r"^\s*from sqlalchemy\.(orm import Session|exc import [\w, ]+)\s*(#.*)?$")
SQLALCHEMY_IMPORT = re.compile(r"^\s*(from sqlalchemy\b|import sqlalchemy\b)")


def _face_sources() -> list[Path]:
    return sorted(path for face in FACES for path in (ROOT / face).rglob("*.py"))


def _violations(path: Path, root: Path = ROOT) -> list[str]:
    """Each line of `path` that does what only a domain may, as 'file:line: what: code'."""
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        code = line.split("#", 1)[0]
        where = f"{path.relative_to(root)}:{number}"
        found += [f"{where}: {what}: {line.strip()}" for what, pattern in FORBIDDEN.items() if pattern.search(code)]
        if SQLALCHEMY_IMPORT.match(line) and not ALLOWED_SQLALCHEMY.match(line):
            found.append(f"{where}: imports SQL from SQLAlchemy: {line.strip()}")
    return found


def test_the_faces_are_where_the_rule_looks() -> None:
    sources = {path.relative_to(ROOT).as_posix() for path in _face_sources()}
    expected = {"console/api.py", "console/views/callbacks.py", "selfservice/api.py", "ivr/flows/callback_call.py"}
    assert expected <= sources


@pytest.mark.parametrize("line", [
    "    rows = db.scalars(select(Ticket).limit(20))",
    "    session.execute(update(Agent).values(state='away'))",
    "    entry = ctx.session.get(CallbackRequest, entry_id)",
    "        db.delete(event)",
    "from sqlalchemy import func, select",
])
def test_the_rule_catches_sql_in_a_face(tmp_path: Path, line: str) -> None:
    face = tmp_path / "view.py"
    face.write_text(f"def view(db, session, ctx):\n{line}\n", encoding="utf-8")
    violations = _violations(face, tmp_path)
    assert violations and all(violation.startswith("view.py:2: ") for violation in violations)


def test_faces_run_no_sql() -> None:
    violations = [violation for path in _face_sources() for violation in _violations(path)]
    assert not violations, ("SQL in a face: move it to a domain function (tickets/, voicemail/, agents/, "
                            "figures/, access/) and call that instead:\n" + "\n".join(violations))
