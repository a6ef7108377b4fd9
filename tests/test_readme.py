"""The README's first screen stays true: two commands, the same ones CI runs."""

import re
from pathlib import Path

from growthzones.layers import REGISTRY

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text()


def first_screen_commands():
    head = "\n".join(README.splitlines()[:20])
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", head, flags=re.S)]


def test_first_screen_has_exactly_two_commands_and_ci_runs_them():
    cmds = first_screen_commands()
    assert len(cmds) == 2 and all("\n" not in c for c in cmds)
    assert "growthzones run" in cmds[0] and "pytest" in cmds[1]
    ci = (REPO / ".ci" / "run").read_text()
    for c in cmds:
        # CI may add quiet flags to pip; the commands are otherwise the same
        assert c.replace("pip install -e", "pip install -q -e") in ci, c


def test_readme_lists_every_criterion_and_the_screenshot_exists():
    table = README.split("<!-- criteria-table")[1].split("<!-- /criteria-table -->")[0]
    missing = [n for n in REGISTRY if f"`{n}`" not in table]
    assert not missing, f"refresh the README table (growthzones criteria --markdown): {missing}"
    assert (REPO / "docs" / "map.png").stat().st_size > 50_000
