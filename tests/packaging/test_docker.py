"""The Dockerfile, its commands run here as the build would run them: the build context is the repository
less .dockerignore, its RUN lines install that context (offline, into a folder of the test, with the
Dockerfile's ENV), and its ENTRYPOINT runs the suite against the emulator from WORKDIR. With a Docker
daemon and OPENAI_CONFORMANCE_DOCKER=1 (the build downloads the base image and the dependencies) the
image itself is built and run."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUN_ARGS = ["run", "--target", "emulator", "--include", "retrieveModel", "--phases", "positive"]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    return [
        (w.upper(), rest.strip())
        for w, _, rest in (ln.strip().partition(" ") for ln in joined.splitlines())
        if w
    ]


def ignored(relative: str, patterns: list[str]) -> bool:
    """Docker's .dockerignore matching: patterns relative to the context root, `**` any folders, `*` and
    `?` within one name; a matched folder excludes what it holds."""
    for pattern in patterns:
        regex = re.escape(pattern.strip("/")).replace(r"\*\*/", "(.*/)?").replace(r"\*", "[^/]*")
        if re.fullmatch(regex.replace(r"\?", "[^/]") + "(/.*)?", relative):
            return True
    return False


def build_context(target: Path) -> Path:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    patterns = [p.strip() for p in lines if p.strip() and not p.startswith("#")]
    assert not any(p.startswith("!") for p in patterns), "exceptions are not emulated here"

    def skip(folder: str, names: list[str]) -> set[str]:
        base = Path(folder).relative_to(ROOT).as_posix()
        return {n for n in names if ignored(f"{base}/{n}".removeprefix("./"), patterns)}

    shutil.copytree(ROOT, target, symlinks=True, ignore=skip)
    return target


def test_the_dockerfile_installs_a_working_cli_from_its_build_context(tmp_path: Path) -> None:
    steps = instructions()
    base = dict(steps)["FROM"]
    found = re.fullmatch(r"python:(\d+)\.(\d+)-slim", base)
    assert found, base
    floor = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert tuple(map(int, found.groups())) >= tuple(map(int, floor.removeprefix(">=").split(".")))

    context = build_context(tmp_path / "context")
    assert not (context / "tests").exists() and not (context / ".git").exists()
    assert (context / "conformance" / "data").is_symlink()  # COPY keeps the package's links

    site, work = tmp_path / "site", tmp_path / "work"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "PYTEST_", "GITHUB_", "CI"))}
    env |= {
        "PIP_TARGET": str(site),
        "PIP_NO_INDEX": "1",
        "PIP_NO_DEPS": "1",
        "PIP_NO_BUILD_ISOLATION": "0",  # inverted by pip: 0 means --no-build-isolation
        "PYTHONPATH": str(site),
        "PATH": f"{site / 'bin'}:{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    places: dict[str, Path] = {}
    entrypoint: list[str] = []
    command: list[str] = []
    for instruction, arguments in steps:
        if instruction == "ENV":
            env |= dict(pair.split("=", 1) for pair in shlex.split(arguments))
        elif instruction == "COPY":
            source, destination = shlex.split(arguments)
            assert source == "."
            places[destination] = context
        elif instruction == "RUN":
            script = arguments
            for destination, here in places.items():
                script = re.sub(rf"{re.escape(destination)}\b", str(here), script)
            done = subprocess.run(["sh", "-ec", script], env=env, capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stdout + done.stderr
        elif instruction == "WORKDIR":
            work.mkdir()
        elif instruction == "ENTRYPOINT":
            entrypoint = json.loads(arguments)
        elif instruction == "CMD":
            command = json.loads(arguments)
    assert not context.exists(), "the RUN line removes the sources it installed"

    def container(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*entrypoint, *args], cwd=work, env=env, capture_output=True, text=True, timeout=300
        )

    where = subprocess.run(
        [sys.executable, "-c", "import conformance; print(conformance.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert where.stdout.startswith(str(site)), where
    default = container(*command)
    assert default.returncode == 0 and "usage: openai-conformance" in default.stdout
    done = container(*RUN_ARGS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (work / "reports" / "latest" / "report.html").is_file()


def _docker_ready() -> bool:
    if not os.environ.get("OPENAI_CONFORMANCE_DOCKER") or shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=60).returncode == 0


@pytest.mark.skipif(not _docker_ready(), reason="needs a Docker daemon and OPENAI_CONFORMANCE_DOCKER=1")
def test_the_image_runs_the_suite(tmp_path: Path) -> None:  # pragma: no cover - not on the CI machine
    tag = "openai-conformance:test"
    built = subprocess.run(["docker", "build", "-t", tag, str(ROOT)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr[-3000:]
    user = f"{os.getuid()}:{os.getgid()}"
    done = subprocess.run(
        [
            "docker",
            "run",
            "--rm",
            "--network",
            "none",
            "--user",
            user,
            "-v",
            f"{tmp_path}:/work",
            tag,
            *RUN_ARGS,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "reports" / "latest" / "results.json").is_file()
