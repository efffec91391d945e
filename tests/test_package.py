"""The package as users get it: the wheel, the installed command, the extras, the bind address."""

from __future__ import annotations

import email
import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from experiments import lab

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("sim", "experiments", "dashboards", "benchmarks")
BUNDLED = sorted(p.name for p in (ROOT / "experiments" / "bundled").glob("*.toml"))
# Generous: the machine is shared, and a loaded one must not turn a slow start into a failure.
TIMEOUT = 180
# A clean install fetches every dependency (from pip's cache when it has them).
CLEAN_INSTALL_TIMEOUT = 1200


def _quiet_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MAKEFLAGS", "MFLAGS")}
    return env | {"PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg"} | extra


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


@pytest.fixture(scope="module")
def wheel_and_site(tmp_path_factory) -> tuple[Path, Path]:
    """A wheel built from a copy of the sources, and the folder it was installed into."""
    if importlib.util.find_spec("setuptools") is None:
        pytest.skip("setuptools is not installed: pip install -e '.[dev]' brings it")
    tmp = tmp_path_factory.mktemp("package")
    # A copy, so the build's build/ and *.egg-info never land in the checkout.
    source = tmp / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, source / package, ignore=ignore)
    (source / "docs").mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE", "docs/ODD.md"):
        shutil.copy2(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", "-q"]
    # The test process's own sys.path (setuptools included) reaches the build backend.
    env = _quiet_env(PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    built = _run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp / "dist"), "."],
        source,
        env,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp / "dist").glob("accountability_lab-*.whl")
    site = tmp / "site"
    installed = _run(
        [*pip, "install", "--no-deps", "--no-index", "--target", str(site), str(wheel)], tmp, env
    )
    assert installed.returncode == 0, installed.stderr
    return wheel, site


def test_wheel_carries_every_file_the_code_reads(wheel_and_site):
    wheel, _ = wheel_and_site
    names = set(zipfile.ZipFile(wheel).namelist())
    assert BUNDLED, "no bundled experiments in the checkout"
    missing = [
        f"experiments/bundled/{n}" for n in BUNDLED if f"experiments/bundled/{n}" not in names
    ]
    read_beside = ("dashboards/about.md", "dashboards/keys.vue", "dashboards/docs/ODD.md")
    missing += [n for n in read_beside if n not in names]
    # The package list is written out in pyproject.toml: a new module or subpackage must join it.
    modules = {p.relative_to(ROOT).as_posix() for k in PACKAGES for p in (ROOT / k).rglob("*.py")}
    missing += sorted(modules - names)
    assert not missing, f"the wheel lacks {missing}"
    assert not any(n.startswith(("tests/", "docs/")) for n in names)


def test_wheel_metadata_declares_the_command_extras_and_licence(wheel_and_site):
    wheel, _ = wheel_and_site
    with zipfile.ZipFile(wheel) as archive:
        info = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = email.message_from_string(archive.read(info).decode())
        entry_points = archive.read(info.replace("METADATA", "entry_points.txt")).decode()
    assert "accountability-lab = experiments.lab:main" in entry_points
    assert metadata["License-Expression"] == "Apache-2.0"
    classifiers = metadata.get_all("Classifier")
    for version in ("3.12", "3.13"):
        assert f"Programming Language :: Python :: {version}" in classifiers
    requires = metadata.get_all("Requires-Dist")
    core = [r for r in requires if "extra ==" not in r]
    assert any(r.replace(" ", "").startswith("mesa[rec]") and "<4" in r for r in core)
    # A researcher who wants the model alone does not install Dask or the dashboard's extras.
    for name in ("dask", "salib", "solara-assets", "pytest"):
        assert not any(r.lower().startswith(name) for r in core), (name, core)
    urls = dict(line.split(", ", 1) for line in metadata.get_all("Project-URL"))
    assert urls["Mesa"].startswith("https://") and "Human Learning Systems" in urls
    extras = set(metadata.get_all("Provides-Extra"))
    assert {"sweeps", "dashboard", "dev"} <= extras


def test_installed_wheel_works_outside_the_checkout(wheel_and_site, tmp_path):
    _, site = wheel_and_site
    env = _quiet_env(PYTHONPATH=str(site))
    # Every package comes from the installed wheel, not from this checkout or an editable install;
    # the dashboard's ODD tab reads the copy the wheel carries.
    where = _run(
        [
            sys.executable,
            "-c",
            "import sim, experiments, experiments.lab, dashboards.app as app; "
            "print(sim.__file__, experiments.lab.__file__, app.__file__, app.ODD, sep='\\n')",
        ],
        tmp_path,
        env,
    )
    assert where.returncode == 0, where.stderr
    paths = [Path(line) for line in where.stdout.splitlines()]
    assert len(paths) == 4, where.stdout
    for path in paths:
        assert path.is_relative_to(site), path
    assert paths[-1] == site / "dashboards" / "docs" / "ODD.md"

    listed = _run([sys.executable, "-m", "experiments", "list"], tmp_path, env)
    assert listed.returncode == 0, listed.stderr
    rows = listed.stdout.splitlines()[1:-1]  # between the header and the note on estimates
    assert {line.split()[0] for line in rows} == {Path(n).stem for n in BUNDLED}

    script = site / "bin" / "accountability-lab"
    assert script.is_file(), sorted(p.name for p in (site / "bin").iterdir())
    params = _run([str(script), "params"], tmp_path, env)
    assert params.returncode == 0, params.stderr
    assert "incentive_strength" in params.stdout


def test_core_commands_import_nothing_from_the_extras(tmp_path):
    # `pip install .` without extras: sim and the command must not need what only extras bring.
    blocked = ("SALib", "dask", "distributed", "markdown_it", "ipyvuetify", "solara_assets")
    out = tmp_path / "run.csv"
    code = (
        "import sys\n"
        f"for name in {blocked!r}: sys.modules[name] = None\n"
        "from experiments.lab import main\n"
        f"assert main(['run', '--steps', '2', '--out', {str(out)!r}]) == 0\n"
        "assert main(['params']) == 0\n"
        "assert main(['sweeps', 'list']) == 0\n"
    )
    done = _run([sys.executable, "-c", code], tmp_path, _quiet_env(PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stderr
    assert out.is_file()


def test_unknown_command_is_one_line_with_a_suggestion_and_status_2(capsys):
    assert lab.main(["rnu"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "'rnu'" in err and "did you mean 'run'" in err
    assert lab.main([]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_commands_reach_sim_and_experiments(capsys):
    assert lab.main(["limit", "--alignment", "0.7", "--incentive", "0.7"]) == 0
    assert '"alignment": 0.7' in capsys.readouterr().out
    assert lab.main(["sweeps", "list"]) == 0
    assert "goodhart" in capsys.readouterr().out
    assert lab.main(["--help"]) == 0
    usage = capsys.readouterr().out
    assert all(f"  {name} " in usage for name in lab.COMMANDS)


class _Started(Exception):
    pass


def _capture_exec(monkeypatch) -> dict:
    started: dict = {}

    def execve(path, argv, env):
        started.update(argv=argv, env=env)
        raise _Started

    monkeypatch.setattr(lab.os, "execve", execve)
    monkeypatch.setattr(lab.os, "name", "posix")
    return started


def test_serve_binds_localhost_whatever_the_environment_says(monkeypatch):
    # Solara itself would read HOST from the environment: serve must always pass --host.
    monkeypatch.setenv("HOST", "0.0.0.0")
    monkeypatch.setenv("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "True")
    started = _capture_exec(monkeypatch)
    with pytest.raises(_Started):
        lab.main(["serve"])
    argv = started["argv"]
    assert argv[argv.index("--host") + 1] == "localhost"
    assert argv[argv.index("--port") + 1] == "8765"
    assert Path(argv[argv.index("run") + 1]) == ROOT / "dashboards" / "app.py"
    assert started["env"]["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"


def test_serve_binds_the_network_only_when_asked(monkeypatch, capsys):
    started = _capture_exec(monkeypatch)
    with pytest.raises(_Started):
        lab.main(["serve", "--host", "0.0.0.0", "--port", "8080"])
    argv = started["argv"]
    assert argv[argv.index("--host") + 1] == "0.0.0.0"
    assert argv[argv.index("--port") + 1] == "8080"
    assert lab.main(["serve", "--port", "99999"]) == 2
    assert "1 to 65535" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_an_exported_host_does_not_reach_make_run():
    def bind_address(*args: str, **env: str) -> str:
        dry = _run(["make", "-n", "run", *args], ROOT, _quiet_env(**env))
        assert dry.returncode == 0, dry.stderr
        (line,) = [line for line in dry.stdout.splitlines() if "solara run" in line]
        words = line.split()
        return words[words.index("--host") + 1]

    assert bind_address(HOST="0.0.0.0") == "localhost"
    assert bind_address() == "localhost"
    assert bind_address("HOST=0.0.0.0") == "0.0.0.0"


@pytest.mark.slow
def test_wheel_installs_into_a_clean_venv_and_runs_a_sweep(wheel_and_site, tmp_path):
    # What a researcher does: a fresh virtual environment outside the checkout, the wheel with its
    # extras from the package index, then the command, a small sweep and the dashboard's import.
    wheel, _ = wheel_and_site
    venv = tmp_path / "venv"
    env = _quiet_env()
    created = _run([sys.executable, "-m", "venv", str(venv)], tmp_path, env)
    assert created.returncode == 0, created.stderr
    python = venv / "bin" / "python"
    install = [str(python), "-m", "pip", "--disable-pip-version-check", "--no-input", "-q"]
    installed = subprocess.run(
        [*install, "install", "--no-compile", f"{wheel}[sweeps,dashboard]"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=CLEAN_INSTALL_TIMEOUT,
        check=False,
    )
    assert installed.returncode == 0, installed.stderr[-2000:]

    command = venv / "bin" / "accountability-lab"
    listed = _run([str(command), "sweeps", "list"], tmp_path, env)
    assert listed.returncode == 0, listed.stderr
    assert {Path(n).stem for n in BUNDLED} <= {
        line.split()[0] for line in listed.stdout.split("\n")[1:-1] if line
    }

    tiny = tmp_path / "tiny.toml"
    tiny.write_text(
        'name = "tiny"\nregimes = ["outcomes", "learning"]\nreplications = 2\nsteps = 4\n'
        'seed = 1\nrecord = "final"\n[vary]\nincentive_strength = [0.5, 1.0]\n'
    )
    swept = _run(
        [str(command), "sweeps", "run", str(tiny), "--out", str(tmp_path / "out")], tmp_path, env
    )
    assert swept.returncode == 0, swept.stderr
    status = _run([str(command), "sweeps", "status", str(tmp_path / "out")], tmp_path, env)
    assert status.returncode == 0, status.stderr
    assert "8" in status.stdout and "done" in status.stdout, status.stdout

    where = _run(
        [str(python), "-c", "import dashboards.app as app, sim; print(app.__file__, sim.__file__)"],
        tmp_path,
        env,
    )
    assert where.returncode == 0, where.stderr
    assert all(Path(p).is_relative_to(venv) for p in where.stdout.split())
