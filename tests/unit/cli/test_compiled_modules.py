"""The compiled hot paths: a stale build is never imported, and ``parcelsms compile``.

The guard is tried on a throwaway package whose "compiled" module is a file of garbage: were
it imported, the import would fail, so a passing import proves the source was used. One test
builds a real (tiny) package with mypyc, as ``parcelsms compile`` does.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from parcelsms import compiled_modules
from parcelsms.cli import compile_command
from parcelsms.compiled_modules import (
    COMPILED_MODULES,
    PURE_PYTHON_VARIABLE,
    STAMP_NAME,
    build,
    build_is_current,
    build_unavailable,
    clean,
    guard_stale_build,
    package_root,
    pure_python_requested,
    running_compiled,
    source_digest,
)

EXTENSION = importlib.machinery.EXTENSION_SUFFIXES[0]


@pytest.fixture
def fake_root(tmp_path: Path) -> Iterator[Path]:
    """``<tmp>/hotpkg`` with modules ``hot`` and ``other``, each with a garbage extension
    beside it; on ``sys.path`` for the test, and forgotten afterwards."""
    package = tmp_path / "hotpkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in ("hot", "other"):
        (package / f"{name}.py").write_text(f"def answer() -> str:\n    return '{name} source'\n")
        (package / f"{name}{EXTENSION}").write_bytes(b"not a shared object")
    sys.path.insert(0, str(tmp_path))
    finders = list(sys.meta_path)
    yield tmp_path
    sys.path.remove(str(tmp_path))
    sys.meta_path[:] = finders
    for name in [name for name in sys.modules if name.split(".")[0] == "hotpkg"]:
        del sys.modules[name]


def _stamp(root: Path, modules: list[str], digest: str) -> None:
    stamp = {"modules": modules, "digest": digest, "files": []}
    (root / "hotpkg" / STAMP_NAME).write_text(json.dumps(stamp))


def test_without_the_guard_the_compiled_file_wins(fake_root: Path) -> None:
    # What the guard protects against: Python prefers the extension beside the source.
    with pytest.raises(ImportError):
        importlib.import_module("hotpkg.other")


def test_a_stale_build_is_passed_over_for_the_source(fake_root: Path) -> None:
    _stamp(fake_root, ["hotpkg.hot"], "a digest of other sources")
    assert guard_stale_build(fake_root, ["hotpkg.hot"], package="hotpkg") is False
    assert importlib.import_module("hotpkg.hot").answer() == "hot source"


def test_a_missing_stamp_means_no_build(fake_root: Path) -> None:
    assert guard_stale_build(fake_root, ["hotpkg.hot"], package="hotpkg") is False
    assert importlib.import_module("hotpkg.hot").answer() == "hot source"


def test_a_current_build_is_used(fake_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PURE_PYTHON_VARIABLE, raising=False)
    _stamp(fake_root, ["hotpkg.hot"], source_digest(fake_root, ["hotpkg.hot"]))
    assert guard_stale_build(fake_root, ["hotpkg.hot"], package="hotpkg") is True
    # Nothing stands between the import and the (here: garbage) compiled module.
    with pytest.raises(ImportError):
        importlib.import_module("hotpkg.hot")


def test_editing_a_source_makes_the_build_stale(fake_root: Path) -> None:
    _stamp(fake_root, ["hotpkg.hot"], source_digest(fake_root, ["hotpkg.hot"]))
    assert build_is_current(fake_root, ["hotpkg.hot"], package="hotpkg")
    (fake_root / "hotpkg" / "hot.py").write_text("def answer() -> str:\n    return 'edited'\n")
    assert not build_is_current(fake_root, ["hotpkg.hot"], package="hotpkg")


def test_a_build_of_other_modules_is_not_current(fake_root: Path) -> None:
    _stamp(fake_root, ["hotpkg.hot"], source_digest(fake_root, ["hotpkg.hot"]))
    assert not build_is_current(fake_root, ["hotpkg.hot", "hotpkg.other"], package="hotpkg")


def test_pure_python_can_be_asked_for(fake_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _stamp(fake_root, ["hotpkg.hot"], source_digest(fake_root, ["hotpkg.hot"]))
    monkeypatch.setenv(PURE_PYTHON_VARIABLE, "1")
    assert guard_stale_build(fake_root, ["hotpkg.hot"], package="hotpkg") is False
    assert importlib.import_module("hotpkg.hot").answer() == "hot source"


def test_clean_removes_only_the_extensions_the_build_wrote(tmp_path: Path) -> None:
    package = tmp_path / "hotpkg"
    package.mkdir()
    written = package / f"hot{EXTENSION}"
    kept = package / f"kept{EXTENSION}"
    outside = tmp_path.parent / f"outside-{tmp_path.name}{EXTENSION}"
    for path in (written, kept, outside):
        path.write_bytes(b"x")
    listed = [f"hotpkg/hot{EXTENSION}", "hotpkg", f"../{outside.name}", "hotpkg/hot.py"]
    (package / "hot.py").write_text("")
    (package / STAMP_NAME).write_text(json.dumps({"modules": [], "files": listed}))
    assert clean(tmp_path, package="hotpkg") == [written]
    assert not written.exists()
    assert kept.exists()
    assert outside.exists()
    assert (package / "hot.py").exists()
    assert not (package / STAMP_NAME).exists()
    outside.unlink()


def test_the_platform_runs_the_build_it_has() -> None:
    # scripts/test compiles first and says so; elsewhere the state on disk decides.
    expected = os.environ.get("PARCELSMS_EXPECT_COMPILED") == "1" or (
        build_is_current(package_root(), COMPILED_MODULES) and not pure_python_requested()
    )
    assert running_compiled() is expected


def test_every_listed_module_exists() -> None:
    root = package_root()
    missing = [m for m in COMPILED_MODULES if not compiled_modules.source_path(root, m).is_file()]
    assert missing == []


def test_check_says_whether_a_current_build_is_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compile_command, "build_is_current", lambda root, modules: False)
    result = CliRunner().invoke(compile_command.compile_command, ["--check"])
    assert result.exit_code == 1
    assert "plain Python" in result.output
    monkeypatch.setattr(compile_command, "build_is_current", lambda root, modules: True)
    result = CliRunner().invoke(compile_command.compile_command, ["--check"])
    assert result.exit_code == 0
    assert "current" in result.output


def _compile_twice(
    monkeypatch: pytest.MonkeyPatch, unavailable: str | None, build: Callable[[Path], None]
) -> tuple[Result, Result]:
    """``parcelsms compile``, then ``--if-possible``, on a stale build with these stand-ins."""
    monkeypatch.setattr(compile_command, "build_is_current", lambda root, modules: False)
    monkeypatch.setattr(compile_command, "build_unavailable", lambda: unavailable)
    monkeypatch.setattr(compile_command, "build", build)
    runner = CliRunner()
    return (
        runner.invoke(compile_command.compile_command, []),
        runner.invoke(compile_command.compile_command, ["--if-possible"]),
    )


def test_without_a_compiler_it_fails_unless_told_it_may_skip(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[Path] = []
    refused, skipped = _compile_twice(monkeypatch, "no C compiler (cc)", built.append)
    assert refused.exit_code == 1
    assert "cannot compile: no C compiler (cc)" in refused.output
    assert skipped.exit_code == 0
    assert "plain Python" in skipped.output
    assert built == []


def test_a_failed_build_is_an_error_unless_told_it_may_skip(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def type_error(root: Path) -> None:
        raise SystemExit(1)  # what mypyc does when the sources do not type-check

    failed, skipped = _compile_twice(monkeypatch, None, type_error)
    assert failed.exit_code == 1
    assert "compiling failed: SystemExit: 1" in failed.output
    assert skipped.exit_code == 0
    assert "compiling failed (SystemExit: 1); parcelsms runs as plain Python" in skipped.output


@pytest.mark.slow
def test_build_compiles_and_stamps_a_package(tmp_path: Path) -> None:
    problem = build_unavailable()
    assert problem is None, f"scripts/test installs what compiling needs: {problem}"
    package = tmp_path / "tinypkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "tiny.py").write_text(
        "def total(values: list[int]) -> int:\n"
        "    result = 0\n"
        "    for value in values:\n"
        "        result += value\n"
        "    return result\n"
    )
    # What site-packages holds beside the package must not take part in the build.
    (tmp_path / "mypy_extensions.py").write_text("")
    build(tmp_path, ["tinypkg.tiny"], package="tinypkg")
    assert build_is_current(tmp_path, ["tinypkg.tiny"], package="tinypkg")
    stamp = json.loads((package / STAMP_NAME).read_text())
    assert any(name.startswith("tinypkg/tiny.") for name in stamp["files"])
    assert all((tmp_path / name).is_file() for name in stamp["files"])
    sys.path.insert(0, str(tmp_path))
    try:
        tiny = importlib.import_module("tinypkg.tiny")
        assert str(tiny.__file__).endswith(EXTENSION)
        assert tiny.total([1, 2, 3]) == 6
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name.split(".")[0] == "tinypkg"]:
            del sys.modules[name]
    removed = clean(tmp_path, package="tinypkg")
    assert sorted(str(path.relative_to(tmp_path)) for path in removed) == sorted(stamp["files"])
    assert not build_is_current(tmp_path, ["tinypkg.tiny"], package="tinypkg")
