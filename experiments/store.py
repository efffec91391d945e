"""Results on disk: tidy Parquet parts written atomically, a manifest with provenance, resume.

DIR/
  manifest.json     experiment text and hash, versions, git commit, times; each run's seed, status;
                    each session (started as "running", ended "done" or "interrupted"); the sha256
                    of every part
  parts/*.parquet   results, one row per (run, recorded step); each part holds many runs, and
                    carries Parquet page checksums
  failures.jsonl    runs that raised, with their parameters and error (latest record wins)
  .lock             held (flock) by the one sweep writing into DIR; a second one is refused
  analysis/         tables and figures from ``python -m experiments analyse``

The manifest is written before anything else, so a directory with parts always says what they are.
A part is written to a temporary file, its sha256 recorded in the manifest, and only then renamed
into place, so a run is either wholly stored or not at all, and every part on disk is vouched for by
the manifest; rerunning the same command skips stored runs, so none is lost or duplicated. Every
read (``status``, ``load``, resume) checks each part against its recorded hash and its page
checksums: a damaged part is named in one error and never read as data. Runs that failed are not
stored, so a rerun retries them (as BehaviorSpace does): "remaining" counts them.

A session is recorded when it starts, as "running" with its process id, so one ended by kill -9 or
a power cut still shows: ``status`` and the next sweep report it as interrupted.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import platform
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from experiments.design import Run
from experiments.spec import Experiment, SpecError
from sim.files import atomic_write


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _alive(pid: object) -> bool:
    """Whether process ``pid`` of this machine still exists."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


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
        self.lock_path = self.root / ".lock"
        self._session: int | None = None  # index in the manifest of the session this process runs

    @property
    def exists(self) -> bool:
        """Whether this directory already holds an experiment."""
        return self.manifest_path.exists()

    def manifest(self) -> dict[str, Any]:
        """The manifest as stored.

        Raises:
            SpecError: It is missing, cannot be read, is not JSON, or does not describe an
                experiment.
        """
        if not self.exists:
            raise SpecError(f"{self.root} holds no experiment (no manifest.json)")
        try:
            held = json.loads(self.manifest_path.read_text())
        except (OSError, ValueError) as err:  # ValueError: bad JSON or bad UTF-8
            raise SpecError(
                f"{self.manifest_path} is not readable JSON ({err}): restore it, or run the "
                "experiment into a new directory"
            ) from None
        exp = held.get("experiment") if isinstance(held, dict) else None
        if not (
            isinstance(exp, dict)
            and all(isinstance(exp.get(k), str) for k in ("name", "sha256", "text"))
            and isinstance(held.get("sessions"), list)
        ):
            raise SpecError(
                f"{self.manifest_path} is not an experiments manifest (it needs experiment name, "
                "sha256 and text, and sessions): restore it, or run into a new directory"
            )
        return held

    @contextmanager
    def open(self, exp: Experiment, runs: list[Run]) -> Iterator[None]:
        """Hold the directory for one sweep of ``exp``: create it, or check that it holds ``exp``.

        Raises:
            SpecError: DIR holds something else, another experiment, or another sweep is using it.
        """
        if self.root.exists() and not self.root.is_dir():
            raise SpecError(
                f"--out {self.root} is a file: give a directory, new or holding {exp.name}"
            )
        if (
            self.root.is_dir()
            and not self.exists
            and not self.lock_path.exists()
            and any(self.root.iterdir())
        ):
            self._refuse_foreign()  # before creating anything in someone else's directory
        self.root.mkdir(parents=True, exist_ok=True)
        with self.lock_path.open("a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise SpecError(
                    f"{self.root} is in use by another sweep: wait for it to finish, "
                    "or choose another --out"
                ) from None
            self._prepare(exp, runs)
            yield  # the kernel drops the lock when the file closes, or the process dies

    def _refuse_foreign(self) -> None:
        raise SpecError(f"{self.root} is not empty and holds no experiment: choose a new --out")

    def _prepare(self, exp: Experiment, runs: list[Run]) -> None:
        if self.exists:
            held = self.manifest()["experiment"]
            if held["sha256"] != exp.digest:
                raise SpecError(
                    f"{self.root} holds experiment {held['name']!r} from another file: "
                    f"choose a new --out directory for {exp.name!r}"
                )
            self.parts.mkdir(exist_ok=True)
            for tmp in self.parts.glob(".*.tmp"):  # left by a killed writer; never renamed
                tmp.unlink()
            self._adopt_unhashed_parts()
            return
        # A creator killed before its manifest was in place leaves only the lock and a temporary.
        leftovers = list(self.root.glob(".manifest.json.*.tmp"))
        if set(self.root.iterdir()) - {self.lock_path, *leftovers}:
            self._refuse_foreign()
        for tmp in leftovers:
            tmp.unlink()
        self.write_manifest(
            {
                "experiment": {"name": exp.name, "sha256": exp.digest, "text": exp.text},
                "provenance": provenance(),
                "started": _now(),
                "sessions": [],
                "runs": self._run_table(runs, set(), set()),
                "parts": {},
            }
        )
        self.parts.mkdir()

    def _adopt_unhashed_parts(self) -> None:
        """Record the hash of each part of a directory written before parts were hashed."""
        manifest = self.manifest()
        if isinstance(manifest.get("parts"), dict):
            return
        manifest["parts"] = {}
        for part in sorted(self.parts.glob("part-*.parquet")):
            data = part.read_bytes()
            self._parse_part(part, data, ["run_id"])  # only a readable part is vouched for
            manifest["parts"][part.name] = _sha256(data)
        self.write_manifest(manifest)

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
        for table in self.read_parts(["run_id"]):
            ids.update(table.column("run_id").to_pylist())
        return ids

    def read_parts(self, columns: list[str] | None = None) -> Iterator[pa.Table]:
        """Each stored part in order, as an Arrow table (only ``columns`` if given).

        Each part's bytes are checked against the sha256 the manifest recorded when the part was
        written, then parsed with its page checksums verified, from the same bytes.

        Raises:
            SpecError: A part is damaged or was not written by this experiment; the error names it.
        """
        recorded = self.manifest().get("parts")
        # A directory written before parts were hashed has none to check until a sweep adopts it.
        vouched = set(recorded.values()) if isinstance(recorded, dict) else None
        for part in sorted(self.parts.glob("part-*.parquet")):
            try:
                data = part.read_bytes()
            except OSError as err:
                raise self._damaged(part, type(err).__name__) from None
            if vouched is not None and _sha256(data) not in vouched:
                raise self._damaged(
                    part,
                    "its sha256 differs from the one manifest.json recorded when it was written"
                    if part.name in recorded
                    else "manifest.json records no part with its content",
                )
            yield self._parse_part(part, data, columns)

    def _parse_part(self, part: Path, data: bytes, columns: list[str] | None) -> pa.Table:
        try:
            return pq.read_table(
                pa.BufferReader(data), columns=columns, page_checksum_verification=True
            )
        except (pa.ArrowException, OSError, KeyError) as err:  # parts land whole: damaged since
            raise self._damaged(part, type(err).__name__) from None

    def _damaged(self, part: Path, why: str) -> SpecError:
        return SpecError(
            f"{part} is damaged ({why}): move it out of {self.parts} and run the same command "
            "to redo its runs"
        )

    def failures(self) -> dict[int, dict[str, Any]]:
        """Latest failure record of each run that raised (later successes win elsewhere)."""
        out: dict[int, dict[str, Any]] = {}
        if not self.failures_path.exists():
            return out
        for line in self.failures_path.read_text(errors="replace").splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:  # a line cut short by a kill
                continue
            if isinstance(rec, dict) and isinstance(rec.get("run_id"), int):
                out[rec["run_id"]] = rec
        return out

    def write_part(self, df: pd.DataFrame) -> Path:
        """Store a batch of runs' rows as one new part, atomically, its hash in the manifest.

        The hash is recorded before the part is renamed into place: a kill in between leaves a
        recorded name with no file (its runs are simply redone), never a file nothing vouches for.
        """
        manifest = self.manifest()
        recorded = manifest.setdefault("parts", {})
        names = [p.name for p in self.parts.glob("part-*.parquet")] + list(recorded)
        numbers = [int(n.removesuffix(".parquet").split("-")[1]) for n in names]
        path = self.parts / f"part-{max(numbers, default=-1) + 1:06d}.parquet"

        def write(tmp: str) -> None:
            with open(tmp, "wb") as fh:
                df.to_parquet(fh, index=False, write_page_checksum=True)
                fh.flush()
                os.fsync(fh.fileno())  # the bytes hashed are the bytes a power cut leaves
            recorded[path.name] = _sha256(Path(tmp).read_bytes())
            if self._session is not None:
                session = manifest["sessions"][self._session]
                session["runs_stored"] = session.get("runs_stored", 0) + int(df.run_id.nunique())
            self.write_manifest(manifest)

        atomic_write(path, write)
        return path

    def record_failures(self, records: list[dict[str, Any]]) -> None:
        """Append failed runs; flushed to disk before the sweep goes on."""
        if not records:
            return
        text = "".join(json.dumps(rec, default=str) + "\n" for rec in records)
        with self.failures_path.open("a+b") as fh:
            size = fh.seek(0, os.SEEK_END)
            if size:
                fh.seek(size - 1)
                if fh.read(1) != b"\n":  # a kill cut the last line short: keep it on its own
                    text = "\n" + text
            fh.write(text.encode())
            fh.flush()
            os.fsync(fh.fileno())

    def counts(self, runs: list[Run]) -> dict[str, int]:
        """Planned, done and failed runs, and the runs a rerun would do (failed ones included)."""
        done = self.done_ids()
        return self._counts(runs, done, set(self.failures()) - done)

    def start_session(self, session: dict[str, Any]) -> None:
        """Record a session as running, before it runs anything, so that a kill leaves a trace.

        A session still marked running belongs to a process that ended without closing it (kill
        -9, a crash, a power cut): this process holds the directory's lock, so it cannot be alive.
        """
        manifest = self.manifest()
        for old in manifest["sessions"]:
            if old.get("state") == "running":
                old["state"] = "interrupted"
        manifest["sessions"].append(
            session
            | {"state": "running", "pid": os.getpid(), "host": socket.gethostname()}
            | {"runs_stored": 0}
        )
        self.write_manifest(manifest)
        self._session = len(manifest["sessions"]) - 1

    def close_session(
        self, runs: list[Run], state: str, error: str | None = None
    ) -> dict[str, int]:
        """Write each run's status, and how this session ended, into the manifest.

        Args:
            runs: Every planned run.
            state: ``done`` (every run tried), ``interrupted`` (Ctrl-C, SIGTERM) or ``error``.
            error: What stopped the session, for ``error``.
        """
        done = self.done_ids()
        failed = set(self.failures()) - done
        manifest = self.manifest()
        manifest["runs"] = self._run_table(runs, done, failed)
        if self._session is not None:
            session = manifest["sessions"][self._session]
            session.update(state=state, finished=_now())
            if error is not None:
                session["error"] = error
            self._session = None
        manifest["finished"] = _now() if len(done) == len(runs) else None
        self.write_manifest(manifest)
        return self._counts(runs, done, failed)

    def sessions(self) -> list[dict[str, Any]]:
        """Every session as recorded; one marked running, its process here gone, is interrupted.

        Returns:
            Copies of the manifest's session records, oldest first.
        """
        here = socket.gethostname()
        shown = []
        for session in self.manifest()["sessions"]:
            session = dict(session) if isinstance(session, dict) else {}
            if (
                session.get("state") == "running"
                and session.get("host") == here
                and not _alive(session.get("pid"))
            ):
                session["state"] = "interrupted"
            shown.append(session)
        return shown

    def sessions_line(self) -> str:
        """One line: how many sessions ended how, and the last one."""
        sessions = self.sessions()
        if not sessions:
            return "no session yet"
        states = [str(s.get("state", "ended")) for s in sessions]  # older manifests: no state
        tally = ", ".join(f"{states.count(s)} {s}" for s in dict.fromkeys(states))
        last = sessions[-1]
        stored = last.get("runs_stored")
        return (
            f"{len(sessions)} session{'s' if len(sessions) > 1 else ''} ({tally}); the last "
            f"started {last.get('started', '?')}, {states[-1]}"
            + (f", {stored} runs stored" if isinstance(stored, int) else "")
        )

    @staticmethod
    def _counts(runs: list[Run], done: set[int], failed: set[int]) -> dict[str, int]:
        planned = {r.run_id for r in runs}
        return {
            "planned": len(planned),
            "done": len(done & planned),
            "failed": len(failed & planned),
            "remaining": len(planned - done),  # what a rerun does: failed runs are retried
        }
