"""``scripts/serve``, the README's first command: it says what it does while it installs,
and starts ``parcelsms serve`` with the demo. Run here on a copy of the script whose
``python3`` and ``.venv`` are stand-ins that record how they were called."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "serve"

# A python3 that "creates" a venv whose python does nothing and whose parcelsms prints its
# arguments; each call is reported on stderr, so the order of messages can be checked.
FAKE_PYTHON3 = """#!/usr/bin/env bash
echo "python3 $*" >&2
if [ "$1 $2" = "-m venv" ]; then
  mkdir -p "$3/bin"
  printf '#!/usr/bin/env bash\\necho "venv-python $*" >&2\\n' > "$3/bin/python"
  printf '#!/usr/bin/env bash\\necho "parcelsms $*"\\n' > "$3/bin/parcelsms"
  chmod +x "$3/bin/python" "$3/bin/parcelsms"
fi
"""


def _checkout(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    (tmp_path / "scripts").mkdir()
    shutil.copy(SCRIPT, tmp_path / "scripts" / "serve")
    bin_directory = tmp_path / "fake-bin"
    bin_directory.mkdir()
    python3 = bin_directory / "python3"
    python3.write_text(FAKE_PYTHON3)
    python3.chmod(python3.stat().st_mode | stat.S_IXUSR)
    env = dict(os.environ, PATH=f"{bin_directory}{os.pathsep}{os.environ['PATH']}")
    return tmp_path / "scripts" / "serve", env


def _run(script: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(script), *args], env=env, capture_output=True, text=True, timeout=30, check=True
    )


def test_the_first_run_says_it_installs_before_it_does_then_starts_the_demo(
    tmp_path: Path,
) -> None:
    script, env = _checkout(tmp_path)
    result = _run(script, env, "--port", "9000")

    messages = result.stderr.splitlines()
    installing = next(i for i, line in enumerate(messages) if line.startswith("Installing"))
    first_step = next(i for i, line in enumerate(messages) if line.startswith("python3 -m venv"))
    starting = next(i for i, line in enumerate(messages) if line.startswith("Starting"))
    assert installing < first_step < starting
    assert "first run" in messages[installing]
    # The hot paths are compiled (or kept as plain Python) before the platform starts.
    assert result.stdout.splitlines() == [
        "parcelsms compile --if-possible",
        "parcelsms serve --demo --port 9000",
    ]


def test_a_later_run_skips_the_install_and_only_says_it_starts(tmp_path: Path) -> None:
    script, env = _checkout(tmp_path)
    _run(script, env)
    result = _run(script, env)

    lines = result.stderr.splitlines()
    # The stand-in venv python reports its calls on stderr: those are not messages.
    calls = [line for line in lines if line.startswith("venv-python ")]
    assert [line for line in lines if line not in calls] == [
        "Starting parcelsms (the demo account is created on the first start)…"
    ]
    # The sources are byte-compiled on every start (cheap once done), before serve runs.
    assert calls == ["venv-python -m compileall -q src"]
    assert lines.index(calls[0]) < lines.index(
        "Starting parcelsms (the demo account is created on the first start)…"
    )
    assert result.stdout.splitlines() == [
        "parcelsms compile --if-possible",
        "parcelsms serve --demo",
    ]
