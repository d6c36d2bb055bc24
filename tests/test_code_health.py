"""Checks that keep the code base as the README and CONVENTIONS describe it."""

from __future__ import annotations

import ast
import re
import subprocess
import sys

from tests.conftest import PROJECT_ROOT

CODE = ("leaderboard", "evaluator", "lbclient")
FRAMEWORKS = ("django", "rest_framework", "celery", "leaderboard", "environ", "kombu")


def python_files(*folders: str):
    for folder in folders:
        yield from sorted((PROJECT_ROOT / folder).rglob("*.py"))


def imported_modules(path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_the_engine_imports_no_framework():
    found = {
        f"{path.relative_to(PROJECT_ROOT)}: {name}"
        for path in python_files("evaluator")
        for name in imported_modules(path)
        if name.split(".")[0] in FRAMEWORKS
    }
    assert not found
    # And at run time: importing every public module pulls none in (no import hidden in a dependency).
    code = (
        "import importlib, pkgutil, sys, evaluator\n"
        "for m in pkgutil.walk_packages(evaluator.__path__, 'evaluator.'):\n"
        "    if m.name != 'evaluator.__main__': importlib.import_module(m.name)\n"
        f"print(sorted(n for n in sys.modules if n.split('.')[0] in {FRAMEWORKS!r}))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"


def env_reads() -> set[str]:
    """Every environment variable the code reads (``env.<type>("NAME"`` or ``os.environ.get("NAME"``)."""
    pattern = re.compile(r"""\b(?:env\.\w+|environ\.get|getenv)\(\s*["']([A-Z][A-Z0-9_]*)["']""")
    return {name for path in python_files(*CODE) for name in pattern.findall(path.read_text())}


def readme_settings() -> set[str]:
    section = (PROJECT_ROOT / "README.md").read_text().split("## Settings", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", row.split("|")[1])}


def test_the_readme_settings_table_names_every_variable_the_code_reads():
    assert env_reads() == readme_settings()


def test_env_example_lists_every_variable_of_the_readme():
    lines = (PROJECT_ROOT / ".env.example").read_text().splitlines()
    listed = {line.lstrip("# ").split("=", 1)[0] for line in lines if "=" in line}
    assert listed == readme_settings()


def lines_matching(pattern: str, *folders: str) -> list[str]:
    """``path:line`` of every line of the folders' Python files that ``pattern`` finds."""
    return [
        f"{path.relative_to(PROJECT_ROOT)}:{number}"
        for path in python_files(*folders)
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(pattern, line)
    ]


def test_no_fmt_skip_without_a_reason():
    bare = lines_matching(r"#\s*fmt:\s*skip\s*$", *CODE, "tests", "benchmarks")
    assert not bare, "say why after the pragma: `# fmt: skip  # a table: ...`"


def test_no_module_edits_the_import_path():
    edits = lines_matching(r"sys\.path\s*(\.insert|\.append|\[|\+=|=)|PYTHONPATH", *CODE, "benchmarks", "scripts")
    assert not edits, "run scripts as modules from the checkout (python -m benchmarks.X) instead"
