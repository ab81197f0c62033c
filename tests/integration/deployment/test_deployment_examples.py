"""The deployment examples hold together: every ``parcelsms`` command line in
``examples/docker-compose.yml`` and ``examples/systemd/*.service`` parses with the real CLI,
every configuration file they mount loads with the real loader (with the environment they
set), and the units pass ``systemd-analyze verify`` where systemd is installed.

No container runs here: what can be checked without Docker is."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from parcelsms.cli.main import main
from parcelsms.config import Settings, load_config

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
COMPOSE = EXAMPLES / "docker-compose.yml"
UNITS = sorted((EXAMPLES / "systemd").glob("*.service"))
# What docker-compose.yml asks the operator to export (any value parses).
COMPOSE_VARIABLES = {"PARCELSMS_PEPPER": "ab" * 32, "POSTGRES_PASSWORD": "example"}


def parsed_command(arguments: list[str]) -> click.Context:
    """``parcelsms ARGUMENTS`` parsed by the real command (nothing runs): its context.

    Raises ``click.UsageError`` for an unknown command or option or a bad value."""
    group = click.Context(main, info_name="parcelsms")
    name, *rest = arguments
    command = main.get_command(group, name)
    if command is None:
        raise click.UsageError(f"no such command: {name}")
    return command.make_context(name, rest, parent=group)


def _interpolated(text: str, variables: dict[str, str]) -> str:
    """Compose's ``${NAME:?message}`` / ``${NAME}`` filled from ``variables``."""
    return re.sub(r"\$\{(\w+)(?::\?[^}]*)?\}", lambda match: variables[match.group(1)], text)


def compose_services() -> dict[str, dict[str, Any]]:
    text = _interpolated(COMPOSE.read_text(), COMPOSE_VARIABLES)
    document = yaml.safe_load(text)
    services: dict[str, dict[str, Any]] = document["services"]
    return services


def parcelsms_services() -> Iterator[tuple[str, dict[str, Any]]]:
    """The services that run the image built from examples/Dockerfile."""
    for name, service in compose_services().items():
        if service.get("image") == "parcelsms:local":
            yield name, service


def _mounted(service: dict[str, Any], container_path: str) -> Path:
    """The file of examples/ that ``service`` mounts at ``container_path``."""
    for volume in service.get("volumes", []):
        source, target, *_ = volume.split(":")
        if target == container_path:
            return (COMPOSE.parent / source).resolve()
    raise AssertionError(f"nothing is mounted at {container_path}")


def _config_loads(context: click.Context, find_file: Any, environ: dict[str, str]) -> Settings:
    config_path = context.params.get("config_path")
    assert config_path, f"{context.info_name} names no --config"
    return load_config(find_file(config_path), environ)


def test_the_image_runs_parcelsms_and_serves_the_mounted_configuration_by_default() -> None:
    dockerfile = (EXAMPLES / "Dockerfile").read_text()
    entrypoint = re.search(r"^ENTRYPOINT (.+)$", dockerfile, re.MULTILINE)
    default = re.search(r"^CMD (.+)$", dockerfile, re.MULTILINE)
    assert entrypoint is not None
    assert default is not None

    assert yaml.safe_load(entrypoint.group(1)) == ["parcelsms"]
    context = parsed_command(yaml.safe_load(default.group(1)))
    assert context.info_name == "serve"
    assert context.params["config_path"] == "/etc/parcelsms/parcelsms.toml"
    assert "USER parcelsms" in dockerfile


def test_the_image_is_built_with_the_hot_paths_compiled_and_checked() -> None:
    dockerfile = (EXAMPLES / "Dockerfile").read_text()
    _, build_stage, running_stage = re.split(r"^FROM ", dockerfile, flags=re.MULTILINE)
    commands = [
        parsed_command(line.split())
        for line in re.findall(r"/opt/parcelsms/bin/parcelsms ([^\\&\n]+)", build_stage)
    ]
    # The build fails, rather than shipping plain Python, when compiling or its stamp fails.
    assert [(c.info_name, c.params["check"], c.params["if_possible"]) for c in commands] == [
        ("compile", False, False),
        ("compile", True, False),
    ]
    assert "gcc" in build_stage
    assert "gcc" not in running_stage


def test_every_compose_command_parses_and_its_mounted_configuration_loads() -> None:
    commands = {}
    for name, service in parcelsms_services():
        context = parsed_command(service["command"])
        commands[name] = context
        if context.info_name == "simulate-carrier":
            continue
        environ = {key: str(value) for key, value in service.get("environment", {}).items()}
        settings = _config_loads(context, lambda path, s=service: _mounted(s, path), environ)
        assert settings.database.url.startswith("postgresql://parcelsms:example@postgres")
        assert settings.security.pepper is None  # it comes from PARCELSMS_PEPPER
        assert environ["PARCELSMS_PEPPER"] == COMPOSE_VARIABLES["PARCELSMS_PEPPER"]

    roles = sorted(c.params.get("role") or c.info_name for c in commands.values())
    assert roles == ["api", "api", "migrate", "pipeline", "pipeline", "simulate-carrier"]


def test_the_compose_channels_reach_the_simulator_and_the_balancer_is_the_only_trusted_proxy() -> (
    None
):
    services = compose_services()
    api = services["api-1"]
    settings = load_config(_mounted(api, "/etc/parcelsms/parcelsms.toml"), {})
    carrier = parsed_command(services["carrier"]["command"])
    balancer = services["balancer"]["networks"]["parcelsms"]["ipv4_address"]

    assert {channel.host for channel in settings.channels} == {"carrier"}
    assert {channel.port for channel in settings.channels} == {carrier.params["port"]}
    assert [str(proxy) for proxy in settings.server.trusted_proxies] == [f"{balancer}/32"]
    caddy = (COMPOSE.parent / "compose" / "Caddyfile").read_text()
    for name in ("api-1", "api-2"):
        port = parsed_command(services[name]["command"]).params["port"]
        assert f"{name}:{port}" in caddy


def _unit(path: Path) -> dict[str, list[str]]:
    """``Key=value`` lines of a unit, by key (a key may repeat)."""
    entries: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            entries.setdefault(key.strip(), []).append(value.strip())
    return entries


def _unit_environment(unit: dict[str, list[str]]) -> dict[str, str]:
    environ: dict[str, str] = {}
    for file in unit.get("EnvironmentFile", []):
        example = EXAMPLES / "systemd" / (Path(file.lstrip("-")).name + ".example")
        for line in example.read_text().splitlines():
            if "=" in line and not line.startswith("#"):
                key, _, value = line.partition("=")
                environ[key] = value
    for assignment in unit.get("Environment", []):
        key, _, value = assignment.partition("=")
        environ[key] = value
    return environ


@pytest.mark.parametrize("unit_path", UNITS, ids=[unit.name for unit in UNITS])
def test_each_unit_runs_a_real_parcelsms_command_on_the_example_configuration(
    unit_path: Path,
) -> None:
    unit = _unit(unit_path)
    [exec_start] = unit["ExecStart"]
    program, *arguments = shlex.split(exec_start.replace("%i", "8081"))

    assert Path(program).name == "parcelsms"
    context = parsed_command(arguments)
    assert context.info_name == "serve"
    settings = _config_loads(
        context, lambda path: EXAMPLES / "systemd" / Path(path).name, _unit_environment(unit)
    )
    assert settings.database.url.startswith("sqlite:////var/lib/parcelsms/")
    assert unit["Restart"] == ["on-failure"]
    assert unit["User"] == ["parcelsms"]
    assert unit["StateDirectory"] == ["parcelsms"]
    assert unit["NoNewPrivileges"] == ["yes"]
    assert unit["ProtectSystem"] == ["strict"]
    assert unit["CapabilityBoundingSet"] == [""]


def test_the_one_box_unit_lets_the_supervisor_stop_its_processes_in_order() -> None:
    unit = _unit(EXAMPLES / "systemd" / "parcelsms.service")

    assert unit["KillMode"] == ["mixed"]


def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    # verify checks that ExecStart's program exists: point it at this installation's.
    installed = str(Path(sys.executable).with_name("parcelsms"))
    copies = []
    for unit in UNITS:
        text = unit.read_text().replace("/opt/parcelsms/venv/bin/parcelsms", installed)
        name = unit.name.replace("@.", "@8081.")
        (tmp_path / name).write_text(text)
        copies.append(str(tmp_path / name))

    done = subprocess.run(
        [analyze, "verify", "--man=no", *copies], capture_output=True, text=True, check=False
    )

    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr
