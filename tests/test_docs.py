"""Docs that cannot drift: the README's generated parts, its commands and CI."""

import re
import subprocess
import sys
from pathlib import Path

from litbase.cli import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_generated_parts_are_current():
    result = subprocess.run([sys.executable, "-m", "cogapp", "--check", "README.md"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_command_has_its_help_in_the_readme():
    documented = set(re.findall(r"^### litbase (\S+)$", README, re.M))
    assert documented == set(cli.commands)
    for name, command in cli.commands.items():
        assert (command.help or "").strip(), f"litbase {name} has no help text"


def test_readme_starts_with_the_two_commands_and_ci_runs_the_second():
    first_block = re.search(r"```bash\n(.*?)```", README, re.S).group(1).splitlines()
    commands = [line.split("#")[0].strip() for line in first_block]
    assert commands == ["bash scripts/start.sh", "bash scripts/test.sh"]
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line and not line.startswith(("#", "set ", "cd "))]
    assert ci == ["bash scripts/test.sh"]


def test_screenshot_is_committed():
    assert "(docs/screenshot.png)" in README
    assert (ROOT / "docs" / "screenshot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


PACKAGE = ROOT / "litbase"
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def test_only_the_package_face_sits_beside_the_layer_packages():
    assert sorted(p.name for p in PACKAGE.glob("*.py")) == ["__init__.py", "__main__.py"]


def test_architecture_names_every_package_and_module():
    """A newcomer finds each module in docs/architecture.md, in its package's row."""
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `(\w+)/` \|(.*)$", ARCHITECTURE, re.M)}
    packages = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
    assert sorted(rows) == packages
    for package in packages:
        for module in (PACKAGE / package).rglob("*.py"):
            if module.stem == "__init__" and module.parent.name != "cli":
                continue
            assert f"`{module.stem}`" in rows[package] or f"`{module.parent.name}/`" in rows[package], (
                f"docs/architecture.md does not place {module.relative_to(ROOT)}")


def test_no_module_is_over_600_lines():
    sizes = {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines())
             for p in PACKAGE.rglob("*.py")}
    assert {path: n for path, n in sizes.items() if n > 600} == {}
