"""The type checker passes over ``core/`` and ``db/`` at the strictness ``pyproject.toml`` sets
(``[tool.mypy]``; the README's Development section says which). It runs here so that CI, which
runs exactly the README's test command, runs it too."""

import subprocess
import sys

from core.platform.settings import PROJECT_ROOT


def test_mypy_passes_over_core_and_db() -> None:
    done = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental"], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"mypy found problems:\n{done.stdout}{done.stderr}"
    assert "Success: no issues found" in done.stdout
