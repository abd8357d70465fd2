"""The drivers of the differential suite and how to run them (see README.md)."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

COMPAT = Path(__file__).resolve().parent
JAVA_LIB = COMPAT / "peers" / "java" / "target" / "lib"
DEBIAN_PYTHON = "/usr/bin/python3"


def java() -> str:
    home = os.environ.get("JAVA_HOME")
    return str(Path(home) / "bin" / "java") if home else "java"


@dataclasses.dataclass(frozen=True)
class Driver:
    name: str  # also the prefix of every topic and group its scenarios make
    command: tuple[str, ...]
    timeout_s: float  # for one run of all its scenarios against one broker
    env: tuple[tuple[str, str], ...] = ()

    def _run(self, args: list[str], timeout_s: float) -> subprocess.CompletedProcess:
        return subprocess.run(list(self.command) + args, capture_output=True, text=True,
                              timeout=timeout_s, env={**os.environ, **dict(self.env)},
                              cwd=COMPAT)

    def scenarios(self) -> list[str]:
        run = self._run(["--list"], 120)
        if run.returncode != 0:
            raise RuntimeError(f"{self.name} --list failed ({run.returncode}):\n{run.stderr[-4000:]}")
        return [line.strip() for line in run.stdout.splitlines() if line.strip()]

    def run_all(self, bootstrap: str) -> "DriverRun":
        """Every scenario against one broker; a crash or timeout fails the rest."""
        args = ["--bootstrap", bootstrap, "--prefix", self.name]
        try:
            run = self._run(args, self.timeout_s)
            code, out, err = run.returncode, run.stdout, run.stderr
        except subprocess.TimeoutExpired as e:
            code = None
            out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
            err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        results: dict[str, dict[str, Any]] = {}
        for line in out.splitlines():
            if not line.startswith("{"):
                continue
            record = json.loads(line)
            results[record["scenario"]] = record
        return DriverRun(self.name, bootstrap, code, results, err)


@dataclasses.dataclass
class DriverRun:
    driver: str
    bootstrap: str
    returncode: Any  # None when it timed out
    results: dict[str, dict[str, Any]]
    stderr: str

    def outcome(self, scenario: str) -> dict[str, Any]:
        if scenario in self.results:
            return self.results[scenario]
        how = "timed out" if self.returncode is None else f"exited with code {self.returncode}"
        return {"scenario": scenario,
                "failed": f"the {self.driver} driver {how} before this scenario\n{self.stderr[-3000:]}"}


def all_drivers() -> list[Driver]:
    """Every driver, or those COMPAT_DRIVERS names (comma-separated), for work on one."""
    lib = f"{COMPAT / 'drivers' / 'java' / 'build'}:{JAVA_LIB}/*"
    jvm = (java(), "-Xms64m", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
           "-Dorg.slf4j.simpleLogger.defaultLogLevel=error")
    venv_python = str(COMPAT / ".venv" / "bin" / "python")
    py_driver = str(COMPAT / "drivers" / "python" / "driver.py")
    drivers = [
        Driver("java", jvm + ("-cp", lib, "dev.atoll.compat.JavaDriver"), 240),
        Driver("tools", (venv_python, str(COMPAT / "drivers" / "tools" / "driver.py")), 300),
        Driver("go", (str(COMPAT / "drivers" / "go" / "compat-go"),), 180),
        Driver("pynew", (venv_python, py_driver), 180),
        Driver("pydeb", (DEBIAN_PYTHON, py_driver), 180),
        Driver("node", ("node", str(COMPAT / "drivers" / "node" / "driver.mjs")), 180),
    ]
    chosen = [n for n in os.environ.get("COMPAT_DRIVERS", "").split(",") if n]
    unknown = set(chosen) - {d.name for d in drivers}
    if unknown:
        raise ValueError(f"COMPAT_DRIVERS names unknown drivers: {sorted(unknown)}")
    return [d for d in drivers if not chosen or d.name in chosen]
