"""What can be checked of infra/ here: every file parses; the units verify; the image is non-root
with a health check; the compose file has the services and fields it needs."""

from __future__ import annotations

import json
import runpy
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from kefu.cli.serve import DEFAULTS

INFRA = Path(__file__).resolve().parents[2] / "infra"


def test_the_compose_file_migrates_then_runs_the_api_and_a_separate_worker_as_their_roles() -> None:
    compose = yaml.safe_load((INFRA / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"db", "migrate", "grants", "api", "worker", "intake"}
    assert services["migrate"]["command"] == ["kefu", "db", "migrate"]
    assert services["worker"]["command"] == ["kefu", "projections", "run"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["grants"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    roles = {"migrate": "kefu_owner", "api": "kefu_api", "worker": "kefu_worker"}
    roles_of = {**roles, "intake": "kefu_api"}
    for name, role in roles_of.items():
        url = services[name]["environment"]["KEFU_DATABASE_URL"]
        assert url.startswith(f"postgresql://{role}:"), url
        assert (INFRA / services[name]["build"]["dockerfile"].removeprefix("infra/")).exists()
    for name in ("api", "worker", "intake"):
        assert services[name]["depends_on"]["grants"]["condition"] == (
            "service_completed_successfully"
        )
    assert "PROMETHEUS_MULTIPROC_DIR" in (INFRA / "Containerfile").read_text(encoding="utf-8")
    for volume in [*services["db"]["volumes"], *services["grants"]["volumes"]]:
        source = volume.split(":")[0]
        assert source in compose["volumes"] or (INFRA / source).exists(), source
    passwords = (INFRA / "sql" / "compose-passwords.sql").read_text(encoding="utf-8")
    assert all(f"ALTER ROLE {role} PASSWORD" in passwords for role in roles.values())


def test_the_mail_intake_listens_and_shares_the_apis_attachments() -> None:
    compose = yaml.safe_load((INFRA / "compose.yaml").read_text(encoding="utf-8"))
    intake, api = compose["services"]["intake"], compose["services"]["api"]
    assert intake["command"][:3] == ["kefu", "intake", "smtp"]
    port = intake["command"][intake["command"].index("--port") + 1]
    assert intake["ports"] == [f"127.0.0.1:{port}:{port}"]
    assert intake["environment"]["KEFU_INTAKE_ADDRESS"]
    shared = set(intake["volumes"]) & set(api["volumes"])
    assert shared == {"attachments:/var/lib/kefu/attachments"}
    assert "attachments" in compose["volumes"]
    image = (INFRA / "Containerfile").read_text(encoding="utf-8")
    assert "KEFU_ATTACHMENTS_DIR=/var/lib/kefu/attachments" in image
    for name in ("kefu-intake.service", "kefu-api.service"):
        unit = (INFRA / "systemd" / name).read_text(encoding="utf-8")
        assert "Environment=KEFU_ATTACHMENTS_DIR=/var/lib/kefu/attachments" in unit
        assert "StateDirectory=kefu/attachments" in unit
    unit = (INFRA / "systemd" / "kefu-intake.service").read_text(encoding="utf-8")
    assert "ExecStart=/opt/kefu/bin/kefu intake smtp --lmtp" in unit


def test_the_image_builds_the_console_charts_from_the_lock_file_into_the_wheel() -> None:
    lines = (INFRA / "Containerfile").read_text(encoding="utf-8").splitlines()
    stage = lines.index("FROM node:20-slim AS console")
    copy_lock = "COPY kefu/console/package.json kefu/console/package-lock.json ./"
    install = "RUN npm ci --omit=dev"
    into_build = "COPY --from=console /src/kefu/console/node_modules ./kefu/console/node_modules"
    wheel = next(i for i, line in enumerate(lines) if line.startswith("RUN pip wheel"))
    assert stage < lines.index(copy_lock) < lines.index(install) < lines.index(into_build) < wheel


def test_the_api_runs_kefu_serve_without_workers_from_the_gunicorn_configuration() -> None:
    image = (INFRA / "Containerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    command = json.loads(next(line for line in image.splitlines() if line.startswith("CMD "))[4:])
    assert command[:5] == [
        "kefu",
        "serve",
        "--no-workers",
        "--config",
        "/etc/kefu/gunicorn.conf.py",
    ]
    assert "COPY infra/gunicorn.conf.py /etc/kefu/gunicorn.conf.py" in image
    unit = (INFRA / "systemd" / "kefu-api.service").read_text(encoding="utf-8")
    assert (
        "ExecStart=/opt/kefu/bin/kefu serve --no-workers --config /etc/kefu/gunicorn.conf.py"
        in unit
    )


def test_the_gunicorn_configuration_marks_a_dead_workers_live_gauges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    live, other, counter = (
        tmp_path / "gauge_livesum_4242.db",
        tmp_path / "gauge_livesum_4343.db",
        tmp_path / "counter_4242.db",
    )
    for path in (live, other, counter):
        path.write_bytes(b"")
    config = runpy.run_path(str(INFRA / "gunicorn.conf.py"))
    assert config["worker_class"] == "kefu.http.worker.ProblemThreadWorker"
    config["child_exit"](None, SimpleNamespace(pid=4242))
    assert not live.exists()
    assert other.exists() and counter.exists()  # another worker's; counts of the dead one stay


def test_the_image_runs_as_a_user_and_checks_its_health() -> None:
    text = (INFRA / "Containerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    lines = text.splitlines()
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert any(line.startswith("HEALTHCHECK ") and "/health" in line for line in lines)
    assert lines[[i for i, line in enumerate(lines) if line.startswith("FROM ")][-1]].endswith(
        "-slim"
    )


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_the_systemd_units_verify(tmp_path: Path) -> None:
    # verify insists the ExecStart programs exist: point them at this environment's install.
    bin_dir = Path(sys.executable).parent
    units = []
    for unit in sorted((INFRA / "systemd").glob("*.service")):
        text = unit.read_text(encoding="utf-8").replace("/opt/kefu/bin/", f"{bin_dir}/")
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
        units.append(str(tmp_path / unit.name))
    result = subprocess.run(
        ["systemd-analyze", "verify", *units], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed here")
def test_the_nginx_configuration_passes_nginx_t(tmp_path: Path) -> None:
    site = (
        (INFRA / "nginx" / "kefu.conf")
        .read_text(encoding="utf-8")
        .replace("listen 80", "listen 18080")
    )
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
        f"http {{ access_log off; {site} }}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        ["nginx", "-t", "-c", str(conf), "-p", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_the_nginx_configuration_buffers_requests_and_hides_metrics() -> None:
    text = (INFRA / "nginx" / "kefu.conf").read_text(encoding="utf-8")
    assert "proxy_request_buffering on;" in text
    assert "location = /metrics" in text
    assert text.count("{") == text.count("}")


def test_the_gunicorn_configuration_writes_out_kefu_serves_defaults() -> None:
    config = runpy.run_path(str(INFRA / "gunicorn.conf.py"))
    written = {key: config[key] for key in DEFAULTS if key != "child_exit"}
    assert written == {key: value for key, value in DEFAULTS.items() if key != "child_exit"}
    assert callable(config["child_exit"]) and callable(DEFAULTS["child_exit"])
