"""The documentation a user who clones the repository reads: links that resolve, and an
instance-format page that keeps up with the code.

- Every relative link in README.md, docs/**/*.md, instances/**/README.md and
  benchmarks/README.md names a file or folder inside the repository that a clone has (no
  ``../shared/``, nothing missing, nothing git-ignored). Anchors are not checked.
- docs/instance-format.md names every column the reader knows, every policy key and
  override flag, every output column and summary key, and every option of the commands it
  describes. The lists come from the code, so adding a column without documenting it fails
  here.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import fields
from pathlib import Path
from urllib.parse import unquote

import click
import pytest

from models import changes, policy, validation
from optimiser.core.result import Metrics
from optimiser.planning import outputs, transfers

ROOT = Path(__file__).resolve().parents[1]
FORMAT = ROOT / "docs" / "instance-format.md"


def _doc_files() -> list[Path]:
    found = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")),
             *sorted((ROOT / "instances").rglob("README.md")), ROOT / "benchmarks" / "README.md"]
    return [p for p in dict.fromkeys(found) if p.is_file()]


DOCS = _doc_files()

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
_INLINE = re.compile(r"\]\(\s*(<[^>\n]*>|[^)\s]+)")
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]\n]+\]:\s*(<[^>\n]*>|\S+)")
_HTML = re.compile(r"""(?:href|src)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def links(path: Path) -> list[tuple[int, str]]:
    """(line number, target) of every link in a Markdown file, outside code."""
    out: list[tuple[int, str]] = []
    fenced = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:
            continue
        text = _CODE_SPAN.sub("code", line)
        for pattern in (_INLINE, _REFERENCE, _HTML):
            out += [(number, m.group(1).strip("<>").strip()) for m in pattern.finditer(text)]
    return out


def local_target(source: Path, target: str) -> Path | None:
    """The path a relative link points at (None for web links and same-page anchors)."""
    if not target or target.startswith(("#", "//")) or _SCHEME.match(target):
        return None
    bare = unquote(target.split("#", 1)[0].split("?", 1)[0])
    if not bare:
        return None
    base = ROOT if bare.startswith("/") else source.parent
    return (base / bare.lstrip("/")).resolve()


def _ignored(paths: list[Path]) -> set[Path]:
    """Which of ``paths`` git ignores (a clone would not have them); empty without git."""
    if not paths or shutil.which("git") is None or not (ROOT / ".git").exists():
        return set()
    listing = "\n".join(str(p.relative_to(ROOT)) for p in paths) + "\n"
    done = subprocess.run(["git", "check-ignore", "--stdin"], cwd=ROOT, input=listing,
                          capture_output=True, text=True, check=False)
    return {(ROOT / line).resolve() for line in done.stdout.splitlines() if line}


def broken_links(path: Path) -> list[str]:
    """Every link of ``path`` that a clone of the repository could not follow."""
    problems: list[str] = []
    inside: list[tuple[int, str, Path]] = []
    for number, target in links(path):
        resolved = local_target(path, target)
        if resolved is None:
            continue
        where = f"{path.relative_to(ROOT)}:{number}: {target}"
        if not resolved.is_relative_to(ROOT):
            problems.append(f"{where}: outside the repository")
        elif not resolved.exists():
            problems.append(f"{where}: no such file")
        else:
            inside.append((number, target, resolved))
    ignored = _ignored([r for _, _, r in inside])
    problems += [f"{path.relative_to(ROOT)}:{n}: {t}: git-ignored, not in a clone"
                 for n, t, r in inside if r in ignored]
    return problems


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve_inside_the_repository(path: Path) -> None:
    assert broken_links(path) == []


def test_link_checker_sees_what_a_clone_lacks(tmp_path: Path) -> None:
    page = ROOT / "docs" / "page.md"  # never written: only its folder matters
    assert local_target(page, "../shared/spec/instance-format.md") == \
        (ROOT / "shared" / "spec" / "instance-format.md")
    assert local_target(page, "geography.md#snapping") == ROOT / "docs" / "geography.md"
    assert local_target(page, "https://example.org/x.md") is None
    assert local_target(page, "#contents") is None
    sample = tmp_path / "sample.md"
    sample.write_text("see [spec](../../shared/spec.md) and [`x`](<a b.md>)\n"
                      "```\n[not a link](nowhere.md)\n```\n"
                      "`[code](nowhere.md)` [ref]: ../ref.md\n[ref]: other.md\n",
                      encoding="utf-8")
    assert [t for _, t in links(sample)] == ["../../shared/spec.md", "a b.md", "other.md"]


def test_readme_links_the_instance_format() -> None:
    targets = {local_target(ROOT / "README.md", t) for _, t in links(ROOT / "README.md")}
    assert FORMAT.resolve() in targets, "README.md should link docs/instance-format.md"


# --------------------------------------------------------------------- instance-format.md


def _format_text() -> str:
    return FORMAT.read_text(encoding="utf-8")


def section(heading: str) -> str:
    """The text of the ``## heading...`` section of instance-format.md (to the next ``## ``)."""
    text = _format_text()
    start = re.search(rf"^## {re.escape(heading)}.*$", text, re.MULTILINE)
    assert start is not None, f"instance-format.md has no section '## {heading}'"
    end = re.search(r"^## ", text[start.end():], re.MULTILINE)
    return text[start.start(): start.end() + end.start() if end else len(text)]


def _missing(names: Iterable[str], text: str) -> list[str]:
    """The names ``text`` never shows in code (`name`, or `name ...` as in `--gap G`)."""
    return [n for n in names if not re.search(rf"`{re.escape(n)}(?![\w-])", text)]


@pytest.mark.parametrize(("heading", "columns"), [
    ("units.csv", validation.UNIT_COLUMNS),
    ("patients.csv", validation.PATIENT_COLUMNS),
    ("networks.csv", validation.NETWORK_COLUMNS),
    ("geography/", validation.PLACE_COLUMNS + validation.LINK_COLUMNS),
])
def test_every_column_is_documented(heading: str, columns: tuple[str, ...]) -> None:
    assert _missing(columns, section(heading)) == []


def test_every_policy_key_is_documented() -> None:
    text = section("policy.toml")
    keys = [f"{s}.{k}" if s else k for s, k in policy.SCHEMA]
    assert _missing(keys, text) == []
    assert [s for s in policy.SECTIONS if f"[{s}]" not in text] == []


def test_every_override_flag_is_documented() -> None:
    text = section("Command-line overrides")
    flags = {"--" + ("gap" if name == "mip_gap" else name).replace("_", "-")
             for name in policy.OVERRIDES}
    assert _missing(sorted(flags), text) == []


def test_every_output_column_and_summary_key_is_documented() -> None:
    text = section("What each command writes")
    names = [*outputs.ASSIGNMENT_COLUMNS, *outputs.SUMMARY_KEYS,
             *(f.name for f in fields(Metrics)), *transfers.TRANSFER_COLUMNS]
    assert _missing(dict.fromkeys(names), text) == []


def test_changes_toml_is_documented() -> None:
    text = section("What each command writes")
    tables = [f"[[{t}]]" if t != "policy" else "[policy]" for t in changes.TABLES]
    assert [t for t in tables if t not in text] == []
    assert _missing(changes.SET_KEYS, text) == []


def _command_options(name: str) -> list[str]:
    from bedplan.cli import cli

    command = cli.get_command(click.Context(cli), name)
    if command is None:  # not part of this version yet
        return []
    return [opt for param in command.params if isinstance(param, click.Option)
            for opt in (*param.opts, *param.secondary_opts)
            if opt.startswith("--") and opt != "--help"]


@pytest.mark.parametrize("name", ["validate", "reallocate", "suggest", "scenario", "plan",
                                  "distance"])
def test_every_option_of_the_described_commands_is_documented(name: str) -> None:
    text = _format_text()  # a flag counts anywhere: `bedplan reallocate INSTANCE --out OUT`
    assert [o for o in _command_options(name)
            if not re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", text)] == []
