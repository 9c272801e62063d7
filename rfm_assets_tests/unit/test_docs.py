"""README.md and docs/*.md name only files, variables and commands that exist.

Rules the docs follow, enforced here:
- Files and folders are written in backticks as their path from the repository root, never
  abbreviated (`rfm_assets/core/rfm.py`, `sql/`); a bare name with a source extension must be a root
  file (`pyproject.toml`). `<name>`, `*`, `{a,b}` are patterns: every alternative must match a file.
  Not checked: what runs create (under `data/` or `.venv/`, absolute, or starting with a placeholder
  or `$`; `$PWD/` is the root).
- Every `RFM_*` name is read in rfm_assets/settings.py.
- Commands (in backticks or code blocks): `make <target>` (the Makefile's; `make run ARGS=...` are
  `rfm-assets run` arguments), `rfm-assets <subcommand> --flag` (the --help of rfm_assets/cli.py's
  parser), `python -m <module> --flag` and `dagster ... -m <module>` (found from the root; flags are
  string literals of the module).
- The project's dotted module names import; a last part that is no module is defined at the top of
  its module (`rfm_assets.definitions.defs`).
- Links resolve relative to the linking file, anchors to a heading; the README links every docs/ page.
"""

from __future__ import annotations

import contextlib
import glob
import importlib.util
import io
import re
import shlex
import sys
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
SOURCE_EXT = {".py", ".sql", ".yml", ".yaml", ".toml", ".md", ".txt", ".cfg", ".ini", ".sh"}
DATA_EXT = {".csv", ".json", ".parquet", ".duckdb", ".png", ".xlsx"}
PACKAGES = ("rfm_assets", "rfm_assets_tests", "benchmarks")
FENCE = re.compile(r"^```.*?^```[ \t]*$", re.M | re.S)
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
VARIABLE = re.compile(r"\bRFM_[A-Z0-9_]*[A-Z0-9]\b")
DOTTED = re.compile(rf"^(?:{'|'.join(PACKAGES)})(?:\.\w+)+$")


@cache
def make_targets() -> frozenset[str]:
    """Targets with a rule in the Makefile (not target-specific variable lines)."""
    rules = re.findall(r"^([\w.-]+(?:[ \t]+[\w.-]+)*)[ \t]*:(?!=)([^=\n]*)$", (REPO / "Makefile").read_text(), re.M)
    return frozenset(name for names, _ in rules for name in names.split()) - {".PHONY"}


@cache
def cli_flags() -> dict[str, frozenset[str]]:
    """`rfm-assets` subcommand -> its flags, from the real parser's --help ('' = the top level)."""
    from rfm_assets.cli import main

    def help_text(argv: list[str]) -> str:
        out = io.StringIO()
        with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
            main(argv)
        return out.getvalue()

    top = help_text(["--help"])
    subs = re.findall(r"\{([\w,-]+)\}", top)[0].split(",")
    flags = {sub: frozenset(re.findall(r"--[\w-]+", help_text([sub, "--help"]))) for sub in subs}
    return {"": frozenset(re.findall(r"--[\w-]+", top)), **flags}


@cache
def settings_variables() -> frozenset[str]:
    """The RFM_* names rfm_assets/settings.py reads (it names each one literally)."""
    return frozenset(VARIABLE.findall((REPO / "rfm_assets" / "settings.py").read_text()))


@cache
def find_module(name: str):  # noqa: ANN201 - a ModuleSpec or None
    """The module's spec, found from the repository root, importing only its parent packages."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    try:
        return importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None


def module_problem(name: str) -> str | None:
    """None when the dotted name is a module, or a top-level name of one (packages are walked down)."""
    parts = name.split(".")
    for i in range(1, len(parts) + 1):
        spec = find_module(".".join(parts[:i]))
        if spec is None:
            return f"no module {'.'.join(parts[:i])!r} (in {name!r})"
        rest = parts[i:]
        if not rest:
            return None
        if spec.submodule_search_locations is None:  # a plain module: the rest is an attribute
            source = Path(str(spec.origin)).read_text()
            defined = re.search(rf"^(?:(?:async )?def |class )?{re.escape(rest[0])}\b\s*[(:=]", source, re.M)
            return None if len(rest) == 1 and defined else f"{name!r}: {'.'.join(rest)} not defined"
    return None


def _braces(pattern: str) -> list[str]:
    head, brace, tail = pattern.partition("{")
    alternatives, _, rest = tail.partition("}")
    return [head + alt + rest for alt in alternatives.split(",")] if brace else [pattern]


SKIP, OK = "skip", "ok"


def path_check(token: str) -> str:
    """SKIP unless the token is a repository path (module docstring); then OK, or what is wrong."""
    token = token.strip("'\"()[],;").rstrip(":.") if not token.endswith("/") else token.strip("'\"()[],;")
    token = token.removeprefix("$PWD/")
    if token.startswith(("/", "$", "~", "*", "data/", ".venv/")) or not re.fullmatch(r"[\w.*{},/-]+", token):
        return SKIP
    suffix = Path(token.rstrip("/")).suffix
    if "/" in token:
        top = token.split("/")[0]
        if not (token.endswith("/") or suffix in SOURCE_EXT | DATA_EXT or (REPO / top).exists()):
            return SKIP
    elif suffix not in SOURCE_EXT:
        return SKIP
    if all(glob.glob(p, root_dir=REPO) for p in _braces(token)):
        return OK
    return f"no such file: {token}"


def command_problems(line: str) -> tuple[list[str], int]:
    """Problems of the make / rfm-assets / python -m / dagster commands on one line, and how many."""
    problems, checked = [], 0
    for segment in re.split(r"&&|\|\||;|\|", line.split(" #")[0]):
        try:
            tokens = shlex.split(segment)
        except ValueError:
            tokens = segment.split()
        tokens = [t.strip("[]") for t in tokens]
        while tokens and re.match(r"^[A-Z_]+=", tokens[0]):
            tokens.pop(0)
        if not tokens:
            continue
        prog, args = tokens[0].rsplit("/", 1)[-1], tokens[1:]
        if prog == "make":
            checked += 1
            for arg in args:
                if arg.startswith("ARGS="):
                    problems += cli_problems(["run", *shlex.split(arg[5:])])
                elif not arg.startswith("-") and "=" not in arg and arg not in make_targets():
                    problems.append(f"no make target {arg!r}")
        elif prog == "rfm-assets":
            checked += 1
            problems += cli_problems(args)
        elif prog in {"python", "python3", "python3.11", "dagster"} and "-m" in args:
            checked += 1
            module = args[args.index("-m") + 1]
            spec = find_module(module)
            if spec is None or spec.origin is None:  # the project's own modules: reported as dotted names
                problems += [] if DOTTED.match(module) else [f"no module {module!r} for `{segment.strip()}`"]
            elif prog != "dagster":
                known = set(re.findall(r"[\"'](--[\w-]+)[\"']", Path(spec.origin).read_text()))
                flags = [a.split("=")[0] for a in args[args.index(module) + 1 :] if a.startswith("--")]
                problems += [f"`python -m {module}` has no flag {f}" for f in flags if f not in known]
    return problems, checked


def cli_problems(args: list[str]) -> list[str]:
    flags = cli_flags()
    sub = args[0] if args and not args[0].startswith("-") else ""
    if sub not in flags:
        return [f"rfm-assets has no subcommand {sub!r} (it has {', '.join(sorted(s for s in flags if s))})"]
    named = [a.split("=")[0] for a in args if a.startswith("--")]
    return [f"`rfm-assets {sub}` has no flag {f}" for f in named if f not in flags[sub]]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(text: str) -> set[str]:
    return {slug(heading) for heading in re.findall(r"^#{1,6} (.+)$", FENCE.sub("", text), re.M)}


def check_page(page: Path, text: str) -> tuple[list[str], Counter[str]]:
    """Every problem of one Markdown page, and how many names of each kind were checked."""
    problems, checked = [], Counter()
    prose = FENCE.sub("", text)
    code = [line for block in FENCE.findall(text) for line in block.splitlines()[1:-1]]
    code += [line for line in prose.splitlines() if line.startswith("    ")]
    prose = "\n".join(line for line in prose.splitlines() if not line.startswith("    "))
    spans = [re.sub(r"\s+", " ", s).strip() for s in re.findall(r"`([^`]+)`", prose)]
    for item in spans + code:
        found, n = command_problems(item)
        problems += found
        checked["commands"] += n
        for token in re.sub(r"<[^<>]*>", "*", item).split():
            if DOTTED.match(token.strip("'\"(),;")):
                checked["modules"] += 1
                problems += [p for p in [module_problem(token.strip("'\"(),;"))] if p]
            elif (status := path_check(token)) != SKIP:
                checked["paths"] += 1
                problems += [status] if status != OK else []
    for name in sorted(set(VARIABLE.findall(text))):
        checked["variables"] += 1
        if name not in settings_variables():
            problems.append(f"{name} is not read in rfm_assets/settings.py")
    for target in LINK.findall(prose):
        if "://" in target or target.startswith("mailto:"):
            continue
        checked["links"] += 1
        file, _, anchor = target.partition("#")
        dest = (page.parent / file).resolve() if file else page
        if file and not dest.exists():
            problems.append(f"link to a missing file: {target}")
        elif anchor and anchor not in anchors(dest.read_text() if file else text):
            problems.append(f"link to a missing heading: {target}")
    return problems, checked


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_name_in_the_docs_exists(page):
    problems, checked = check_page(page, page.read_text())
    assert not problems, f"{page.relative_to(REPO)} names things that do not exist:\n" + "\n".join(problems)
    assert checked["links"] >= 1, "each page links back or on to another page"


def test_the_docs_exercise_every_kind_of_check():
    """The real pages name enough of each kind that the checks above cannot pass by finding nothing."""
    total = Counter()
    for page in PAGES:
        total += check_page(page, page.read_text())[1]
    assert total["paths"] >= 40 and total["variables"] >= 18 and total["commands"] >= 10, total
    assert total["modules"] >= 3 and total["links"] >= 10, total


def test_every_docs_page_is_linked_from_the_readme():
    linked = {(REPO / t.partition("#")[0]).resolve() for t in LINK.findall((REPO / "README.md").read_text())}
    assert [p for p in PAGES[1:] if p.resolve() not in linked] == []


def test_a_wrong_name_of_each_kind_is_reported():
    """Each line names one thing that does not exist; each must be reported, and nothing else."""
    bad = {
        "`rfm_assets/core/no_such_module.py`": "no such file: rfm_assets/core/no_such_module.py",
        "`rfm_assets_tests/unit/no_such_dir/`": "no such file: rfm_assets_tests/unit/no_such_dir/",
        "`warehouse.py`": "no such file: warehouse.py",
        "`sql/<table>.yaml`": "no such file: sql/*.yaml",
        "`rfm_assets/{settings,no_such}.py`": "no such file: rfm_assets/{settings,no_such}.py",
        "`RFM_NO_SUCH_VARIABLE`": "RFM_NO_SUCH_VARIABLE is not read",
        "`make no-such-target`": "no make target 'no-such-target'",
        '`make run ARGS="--no-such-flag 1"`': "`rfm-assets run` has no flag --no-such-flag",
        "`rfm-assets no-such-command`": "rfm-assets has no subcommand 'no-such-command'",
        "`rfm-assets generate --out x --no-such-flag`": "`rfm-assets generate` has no flag --no-such-flag",
        "`python -m benchmarks.no_such`": "no module 'benchmarks.no_such'",
        "`.venv/bin/python -m benchmarks.run --no-such-flag`": "`python -m benchmarks.run` has no flag",
        "`rfm_assets.definitions.no_such_name`": "no_such_name not defined",
        "[a page](no_such_page.md)": "link to a missing file: no_such_page.md",
        "[a heading](methods.md#no-such-heading)": "link to a missing heading: methods.md#no-such-heading",
        "# A heading\n[here](#a-headin)": "link to a missing heading: #a-headin",
    }
    for line, expected in bad.items():
        problems, _ = check_page(REPO / "docs" / "probe.md", line + "\n")
        assert len(problems) == 1 and expected in problems[0], (line, problems)


def test_right_names_of_each_kind_pass():
    good = (
        "`rfm_assets/core/rfm.py` `sql/<table>.yml` `dbt_like_views/*.sql` `sql/` `pyproject.toml` "
        '`rfm_assets/{settings,jobs}.py` `RFM_WAREHOUSE` `make run ARGS="--from 2011-01 --verbose"` '
        "`rfm-assets generate --out DIR [--scale S]` `.venv/bin/python -m benchmarks.run --lines 1M` "
        "`rfm_assets.definitions.defs` `rfm_assets.core.package_data` `data/warehouse.duckdb` "
        "`<warehouse dir>/exports/x.csv` `Price/UnitPrice` [m](methods.md#cluster-names) [r](../README.md)\n"
        "## A heading\n[h](#a-heading)"
    )
    problems, checked = check_page(REPO / "docs" / "probe.md", good)
    assert problems == []
    assert checked == Counter(paths=6, variables=1, commands=3, modules=3, links=3), checked
