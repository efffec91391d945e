"""Results that cannot rot unseen, sweeps that leave nothing running and every session on record.

Each test here fails on the store as it was before parts were hashed, flushed every 2 s, workers
tied to their parent and sessions recorded at their start.
"""

import itertools
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import experiments
from experiments.spec import SpecError, parse
from experiments.store import Store
from experiments.sweep import FLUSH_SECONDS, sweep
from tests.test_experiments import ROOT, TINY, run_main, write

psutil = pytest.importorskip("psutil")  # installed with dask distributed

# Runs long enough (about a second each) that a sweep is still busy when it is killed.
SLOW = (
    TINY.replace("replications = 3", "replications = 8")
    .replace("steps = 8", "steps = 104")
    .replace("n_citizens = 60", "n_citizens = 2000")
    .replace("n_workers = 4", "n_workers = 20")
)


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


def _silent_flip(part: Path) -> bytes:
    """The part with one byte of a data page flipped such that a plain read still succeeds.

    Such a flip is the dangerous kind: without checks it changes a stored value unseen. The last
    byte of each column chunk lies in a data page (the footer follows the chunks); those nearest
    the middle of the part are tried first.
    """
    data = part.read_bytes()
    original = pq.read_table(pa.BufferReader(data))
    row_group = pq.ParquetFile(pa.BufferReader(data)).metadata.row_group(0)
    ends = []
    for i in range(row_group.num_columns):
        chunk = row_group.column(i)
        first = chunk.dictionary_page_offset if chunk.has_dictionary_page else None
        ends.append((first or chunk.data_page_offset) + chunk.total_compressed_size - 1)
    for at in sorted(ends, key=lambda i: abs(i - len(data) // 2)):
        damaged = _flip(data, at)
        try:
            if not pq.read_table(pa.BufferReader(damaged)).equals(original):
                return damaged
        except (pa.ArrowException, OSError, UnicodeDecodeError):
            continue
    raise AssertionError("no flip changes a value unseen; the test needs another part")


def _one_part_sweep(tmp_path):
    text = TINY.replace("replications = 3", "replications = 1")
    out = tmp_path / "d"
    sweep(parse(text), str(out), "sequential")
    parts = sorted((out / "parts").glob("part-*.parquet"))
    assert len(parts) == 1  # a quick sweep within one flush interval
    return text, out, parts[0]


def test_a_flipped_byte_is_refused_by_status_load_and_resume_naming_the_part(tmp_path, capsys):
    text, out, part = _one_part_sweep(tmp_path)
    part.write_bytes(_silent_flip(part))
    for args in (("status", out), ("run", write(tmp_path, text), "--out", out)):
        status, _, err = run_main(capsys, *args)
        assert status == 2 and len(err) == 1 and f"{part} is damaged" in err[0], (args, err)
    with pytest.raises(SpecError, match=f"{part.name} is damaged"):
        experiments.load(out)


def test_page_checksums_catch_a_flip_in_a_data_page_even_without_the_manifest_hash(tmp_path):
    _, out, part = _one_part_sweep(tmp_path)
    manifest = json.loads((out / "manifest.json").read_text())
    del manifest["parts"]  # as a directory written before parts were hashed
    (out / "manifest.json").write_text(json.dumps(manifest))
    part.write_bytes(_silent_flip(part))
    with pytest.raises(SpecError, match=f"{part.name} is damaged"):
        experiments.load(out)


def test_a_part_the_experiment_did_not_write_is_refused(tmp_path, capsys):
    _, out, _ = _one_part_sweep(tmp_path)
    other = tmp_path / "other"
    sweep(parse(TINY.replace("seed = 7", "seed = 8")), str(other), "sequential")
    stranger = out / "parts" / "part-000007.parquet"
    stranger.write_bytes(next((other / "parts").glob("part-*.parquet")).read_bytes())
    status, _, err = run_main(capsys, "status", out)
    assert status == 2 and len(err) == 1 and "part-000007.parquet is damaged" in err[0]
    assert "records no part with its content" in err[0]


def test_a_sweep_written_before_parts_were_hashed_is_adopted_on_resume(tmp_path):
    text, out, part = _one_part_sweep(tmp_path)
    manifest = json.loads((out / "manifest.json").read_text())
    del manifest["parts"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    before = experiments.load(out)
    sweep(parse(text), str(out), "sequential")  # nothing to run; the parts are hashed now
    assert json.loads((out / "manifest.json").read_text())["parts"].keys() == {part.name}
    assert experiments.load(out).equals(before)


SLOW_MODEL = """
import time

import sim


def run(regime, steps, seed, **params):
    time.sleep({pause})
    return sim.run(regime, steps=steps, seed=seed, **params)
"""


def test_finished_runs_are_on_disk_within_the_flush_interval_in_few_parts(tmp_path, monkeypatch):
    """A run that finished more than FLUSH_SECONDS ago is stored, without a part per run."""
    name = f"slow_{uuid.uuid4().hex}"
    pause = 0.3
    (tmp_path / f"{name}.py").write_text(SLOW_MODEL.replace("{pause}", str(pause)))
    monkeypatch.syspath_prepend(str(tmp_path))
    text = TINY.replace("record = 4\n", f'record = 4\nmodel = "{name}:run"\n')
    out = tmp_path / "flush"
    stored_at_start: list[tuple[float, int]] = []  # (seconds into the sweep, runs on disk)
    write_part = Store.write_part
    started = time.monotonic()

    def watched(self, df):
        path = write_part(self, df)
        stored_at_start.append((time.monotonic() - started, len(self.done_ids())))
        return path

    monkeypatch.setattr(Store, "write_part", watched)
    sweep(parse(text, allow_model_code=True), str(out), "sequential", chunk=1)  # time decides
    elapsed = time.monotonic() - started
    assert experiments.load(out).run_id.nunique() == 18
    first_at, first_runs = stored_at_start[0]
    # The first part lands once FLUSH_SECONDS have passed, not after 30 s or at the very end.
    assert first_runs < 18 and first_at < 18 * pause
    # Never more often than every FLUSH_SECONDS, the last flush at the end apart.
    assert len(stored_at_start) <= elapsed / FLUSH_SECONDS + 1
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(stored_at_start[:-1])]
    assert all(gap >= FLUSH_SECONDS * 0.9 for gap in gaps), gaps


def _start(tmp_path, *extra):
    exp_file = write(tmp_path, SLOW)
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "experiments", "run", exp_file, "--out", str(out), *extra]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    return proc, out


def _wait_for_a_part(proc, out):
    deadline = time.monotonic() + 180  # a loaded 2-core machine starts workers slowly
    while not list((out / "parts").glob("part-*.parquet")):
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "no part written"
        time.sleep(0.1)


def _alive(processes) -> list:
    left = []
    for process in processes:
        try:
            if process.status() != psutil.STATUS_ZOMBIE:
                left.append(process)
        except psutil.NoSuchProcess:
            pass
    return left


@pytest.mark.parametrize("executor", [("--workers", "2"), ("--workers", "2", "--dask-local")])
def test_kill_9_of_a_sweep_leaves_no_worker_and_its_session_shows_as_interrupted(
    tmp_path, capsys, executor
):
    proc, out = _start(tmp_path, *executor)
    workers = []
    try:
        _wait_for_a_part(proc, out)
        workers = psutil.Process(proc.pid).children(recursive=True)
        assert len(workers) >= 2
        os.kill(proc.pid, signal.SIGKILL)  # the main process only, as the OOM killer would
        proc.wait(timeout=60)
        deadline = time.monotonic() + 60  # generous: expected within a few seconds
        while _alive(workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _alive(workers) == [], "workers outlived the sweep"
    finally:  # never leave a worker behind, even when the test fails
        if proc.poll() is None:
            proc.kill()
        for process in _alive(workers):
            process.kill()
        proc.stderr.close()
    status, stdout, _ = run_main(capsys, "status", out)
    assert status == 0 and "1 session (1 interrupted)" in stdout, stdout
    stored = experiments.load(out).run_id.nunique()
    recorded = json.loads((out / "manifest.json").read_text())["sessions"]
    # A kill between recording a part and renaming it into place may make the record larger.
    assert recorded[0]["state"] == "running" and recorded[0]["runs_stored"] >= stored >= 1


def test_sigterm_is_recorded_as_an_interrupted_session(tmp_path, capsys):
    proc, out = _start(tmp_path, "--executor", "sequential")
    try:
        _wait_for_a_part(proc, out)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, err
    sessions = json.loads((out / "manifest.json").read_text())["sessions"]
    stored = experiments.load(out).run_id.nunique()
    assert [s["state"] for s in sessions] == ["interrupted"]
    assert sessions[0]["runs_stored"] == stored >= 1 and sessions[0]["finished"]
    status, stdout, _ = run_main(capsys, "status", out)
    assert status == 0 and "1 session (1 interrupted)" in stdout, stdout


def test_a_resume_marks_a_session_left_running_by_a_dead_process_as_interrupted(tmp_path, capsys):
    text, out, _ = _one_part_sweep(tmp_path)
    manifest = json.loads((out / "manifest.json").read_text())
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    manifest["sessions"][0].update(state="running", pid=int(dead.stdout))  # as after kill -9
    (out / "manifest.json").write_text(json.dumps(manifest))
    assert "1 session (1 interrupted)" in run_main(capsys, "status", out)[1]
    assert run_main(capsys, "run", write(tmp_path, text), "--out", out)[0] == 0
    sessions = json.loads((out / "manifest.json").read_text())["sessions"]
    assert [s["state"] for s in sessions] == ["interrupted", "done"]
