"""Results on disk: tidy Parquet parts written atomically, a manifest with provenance, resume.

DIR/
  manifest.json     experiment text and hash, versions, git commit, times; each run's seed, status
  parts/*.parquet   results, one row per (run, recorded step); each part holds many runs
  failures.jsonl    runs that raised, with their parameters and error
  analysis/         tables and figures from ``python -m experiments analyse``

A part is written to a temporary file and renamed, so a run is either wholly stored or not at all;
rerunning the same command skips stored runs, so none is lost or duplicated.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from experiments.design import Run
from experiments.spec import Experiment, SpecError
from sim.files import atomic_write


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _git_commit() -> str | None:
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def provenance() -> dict[str, Any]:
    """Versions of everything that shaped the numbers."""
    return {
        "accountability_lab": _version("accountability-lab"),
        "git_commit": _git_commit(),
        "python": platform.python_version(),
        **{name: _version(name) for name in ("mesa", "numpy", "pandas", "pyarrow", "SALib")},
        "platform": platform.platform(),
    }


class Store:
    """One experiment's results directory."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.parts = self.root / "parts"
        self.manifest_path = self.root / "manifest.json"
        self.failures_path = self.root / "failures.jsonl"

    @property
    def exists(self) -> bool:
        """Whether this directory already holds an experiment."""
        return self.manifest_path.exists()

    def manifest(self) -> dict[str, Any]:
        """The manifest as stored."""
        try:
            return json.loads(self.manifest_path.read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise SpecError(f"{self.root} has no readable manifest.json ({err})") from None

    def open(self, exp: Experiment, runs: list[Run]) -> None:
        """Create the directory for ``exp``, or check that it already holds ``exp``."""
        if self.exists:
            held = self.manifest()
            if held.get("experiment", {}).get("sha256") != exp.digest:
                raise SpecError(
                    f"{self.root} holds experiment {held.get('experiment', {}).get('name')!r} "
                    f"from another file: choose a new --out directory for {exp.name!r}"
                )
            for tmp in self.parts.glob(".*.tmp"):  # left by a killed writer; never renamed
                tmp.unlink()
            return
        if self.root.exists() and any(self.root.iterdir()):
            raise SpecError(f"{self.root} is not empty and holds no experiment: choose a new --out")
        self.parts.mkdir(parents=True, exist_ok=True)
        self.write_manifest(
            {
                "experiment": {"name": exp.name, "sha256": exp.digest, "text": exp.text},
                "provenance": provenance(),
                "started": _now(),
                "sessions": [],
                "runs": self._run_table(runs, set(), set()),
            }
        )

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """Replace the manifest atomically."""
        atomic_write(
            self.manifest_path, lambda tmp: Path(tmp).write_text(json.dumps(manifest, indent=1))
        )

    @staticmethod
    def _run_table(runs: list[Run], done: set[int], failed: set[int]) -> dict[str, list]:
        status = [
            "done" if r.run_id in done else "failed" if r.run_id in failed else "pending"
            for r in runs
        ]
        return {
            "run_id": [r.run_id for r in runs],
            "seed": [r.seed for r in runs],
            "status": status,
        }

    def done_ids(self) -> set[int]:
        """Run ids stored in the result parts."""
        ids: set[int] = set()
        for part in sorted(self.parts.glob("part-*.parquet")):
            ids.update(pq.read_table(part, columns=["run_id"]).column("run_id").to_pylist())
        return ids

    def failures(self) -> dict[int, dict[str, Any]]:
        """Latest failure record of each run that raised (later successes win elsewhere)."""
        out: dict[int, dict[str, Any]] = {}
        if self.failures_path.exists():
            for line in self.failures_path.read_text().splitlines():
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:  # a line cut short by a kill
                    continue
                out[rec["run_id"]] = rec
        return out

    def write_part(self, df: pd.DataFrame) -> Path:
        """Store a batch of runs' rows as one new part, atomically."""
        existing = [int(p.stem.split("-")[1]) for p in self.parts.glob("part-*.parquet")]
        path = self.parts / f"part-{max(existing, default=-1) + 1:06d}.parquet"
        atomic_write(path, lambda tmp: df.to_parquet(tmp, index=False))
        return path

    def record_failures(self, records: list[dict[str, Any]]) -> None:
        """Append failed runs; flushed to disk before the sweep goes on."""
        if not records:
            return
        with self.failures_path.open("a") as fh:
            for rec in records:
                fh.write(json.dumps(rec, default=str) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def close_session(self, runs: list[Run], session: dict[str, Any]) -> dict[str, int]:
        """Write each run's status and this session's record into the manifest."""
        done = self.done_ids()
        failed = set(self.failures()) - done
        manifest = self.manifest()
        manifest["runs"] = self._run_table(runs, done, failed)
        manifest["sessions"].append(session | {"finished": _now()})
        manifest["finished"] = _now() if len(done) == len(runs) else None
        self.write_manifest(manifest)
        return self.counts(runs, done, failed)

    @staticmethod
    def counts(runs: list[Run], done: set[int], failed: set[int]) -> dict[str, int]:
        """Done, failed and remaining runs."""
        planned = {r.run_id for r in runs}
        return {
            "planned": len(planned),
            "done": len(done & planned),
            "failed": len(failed & planned),
            "remaining": len(planned - done - failed),
        }
