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


# One tag a line in templates. Two rules, each about structure only (inline markup such as <a>, <code> or a
# short {% if %}…{% endif %} inside a sentence may share a line, since breaking it would add spaces to the page):
# 1. No line opens two of the elements below (block-level HTML, plus the head's and the script tags).
# 2. A {% block/if/for/with %} that does not close on the line it opens stands alone on its line, and so do its
#    {% else/elif/empty %} and its {% end… %}.
STRUCTURAL_ELEMENTS = (
    "html|head|title|meta|link|body|header|nav|main|footer|section|article|aside|div|p|h[1-6]|ul|ol|li|dl|dt|dd"
    "|table|thead|tbody|tr|th|td|form|fieldset|select|option|pre|details|summary|script"
)
OPENING_ELEMENT = re.compile(rf"<({STRUCTURAL_ELEMENTS})\b", re.I)
TEMPLATE_TAG = re.compile(r"{%-?\s*(\w+).*?%}")
BLOCK_TAGS = {"block", "if", "for", "with"}
MIDDLE_TAGS = {"elif", "else", "empty"}


def one_tag_a_line_breaches(text: str) -> list[str]:
    lines = text.replace("\r\n", "\n").split("\n")
    breaches = [
        f"{number}: opens {', '.join(found)}"
        for number, line in enumerate(lines, start=1)
        if len(found := OPENING_ELEMENT.findall(re.sub(r"{#.*?#}", "", line))) > 1
    ]
    open_blocks: list[list[tuple[int, str]]] = []
    for number, line in enumerate(lines, start=1):
        for match in TEMPLATE_TAG.finditer(line):
            name, tag = match.group(1), match.group(0)
            if name in BLOCK_TAGS:
                open_blocks.append([(number, tag)])
            elif name in MIDDLE_TAGS and open_blocks:
                open_blocks[-1].append((number, tag))
            elif name.startswith("end") and name[3:] in BLOCK_TAGS and open_blocks:
                tags = [*open_blocks.pop(), (number, tag)]
                if len({at for at, _ in tags}) > 1:
                    breaches += [f"{at}: {tag} not alone" for at, tag in tags if lines[at - 1].strip() != tag]
    return sorted(breaches, key=lambda breach: int(breach.split(":")[0]))


def test_one_tag_a_line_catches_two_blocks_on_a_line():
    assert one_tag_a_line_breaches("<div>\n<p>a</p>\n</div>") == []
    assert one_tag_a_line_breaches("<p>a <a>b</a>{% if x %} c{% endif %}</p>") == []
    assert one_tag_a_line_breaches("<tr><td>a</td></tr>") == ["1: opens tr, td"]
    assert one_tag_a_line_breaches("{% if x %}<p>\n{% endif %}") == ["1: {% if x %} not alone"]
    assert one_tag_a_line_breaches("{% for x in y %}\n{% empty %}none\n{% endfor %}") == ["2: {% empty %} not alone"]


def test_templates_have_one_tag_a_line():
    breaches = [
        f"{path.relative_to(PROJECT_ROOT)}:{breach}"
        for path in sorted((PROJECT_ROOT / "templates").rglob("*.html"))
        for breach in one_tag_a_line_breaches(path.read_text())
    ]
    assert not breaches
