"""``parcelsms compile``: build, check or remove the compiled hot paths (mypyc).

``scripts/serve`` runs it with ``--if-possible``, ``scripts/test`` and ``examples/Dockerfile``
without (``docs/deployment.md``, "Compiled hot paths"). Without a build, or when the sources
changed after it, parcelsms runs the same code as plain Python.
"""

from __future__ import annotations

import sys
import time

import click

from parcelsms.compiled_modules import (
    COMPILED_MODULES,
    build,
    build_is_current,
    build_unavailable,
    clean,
    package_root,
)


@click.command("compile")
@click.option("--check", is_flag=True, help="Only say whether a current build is in place.")
@click.option("--clean", "remove", is_flag=True, help="Remove the build (plain Python from now).")
@click.option(
    "--if-possible",
    is_flag=True,
    help="When compiling is not possible or fails, say so and exit 0.",
)
def compile_command(check: bool, remove: bool, if_possible: bool) -> None:
    """Compile the hot paths (SMPP, receipts, storage rows) to C with mypyc."""
    root = package_root()
    if check:
        if build_is_current(root, COMPILED_MODULES):
            click.echo(f"compiled: {len(COMPILED_MODULES)} modules, current ({root})")
            return
        click.echo("not compiled (or the sources changed since): plain Python")
        sys.exit(1)
    if remove:
        removed = clean(root)
        click.echo(f"removed {len(removed)} compiled files; parcelsms runs as plain Python")
        return
    if build_is_current(root, COMPILED_MODULES):
        click.echo(f"already compiled: {len(COMPILED_MODULES)} modules, current")
        return
    problem = build_unavailable()
    if problem is not None:
        if if_possible:
            click.echo(f"not compiling ({problem}); parcelsms runs as plain Python", err=True)
            return
        raise click.ClickException(f"cannot compile: {problem}")
    click.echo(f"compiling {len(COMPILED_MODULES)} modules with mypyc (a minute or two)…", err=True)
    started = time.monotonic()
    try:
        build(root)
    except (Exception, SystemExit) as failure:  # mypyc exits on a type error
        reason = f"{type(failure).__name__}: {failure}"
        if if_possible:
            click.echo(f"compiling failed ({reason}); parcelsms runs as plain Python", err=True)
            return
        raise click.ClickException(f"compiling failed: {reason}") from failure
    click.echo(f"compiled in {time.monotonic() - started:.0f} s ({root})", err=True)
