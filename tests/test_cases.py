"""The real cases: every bundled file validates, carries the published figures, and maps them."""

from __future__ import annotations

import math
import zipfile

import pandas as pd
import pytest

from experiments.calibrate import CaseError, bundled_cases, load_case, parse_case
from experiments.cli import main
from sim.metrics import COLUMNS
from tests.test_package import wheel_and_site  # noqa: F401 (the wheel, built once per module)

CASES = sorted(bundled_cases())

# The published figures as issue 12 gives them (case, figure) -> value: the files must carry them.
PUBLISHED = {
    ("ae_bevan_hood", "reported_2002_03"): 0.90,
    ("ae_bevan_hood", "patients_2002_03"): 0.69,
    ("ae_bevan_hood", "reported_2004_05"): 0.96,
    ("ae_bevan_hood", "patients_2004_05"): 0.77,
    ("ae_kelman_friedman", "trusts"): 155,
    ("work_programme", "job_outcomes"): 0.27,
    ("work_programme", "forecast"): 0.39,
    ("troubled_families", "claimed_turned_around"): 116_654 / 117_910,
}
# Each case's sources, by an author and year that must appear in a full citation.
CITED = {
    "ae_bevan_hood": [("Bevan", "2006")],
    "ae_kelman_friedman": [("Kelman", "2009")],
    "work_programme": [("National Audit Office", "2014")],
    "troubled_families": [("Bewley", "2016"), ("Committee of Public Accounts", "2016")],
    "nclb": [("Jennings", "2016")],
}


def test_the_five_cases_of_the_issue_are_bundled():
    assert set(CASES) == set(CITED)


@pytest.mark.parametrize("name", CASES)
def test_every_bundled_case_validates_and_fits_something(name):
    case = load_case(name)
    assert case.name == name
    assert case.fitted, "a case with nothing to fit"
    assert {"reported", "true"} <= set(case.mapping)
    for figure in case.fitted:
        assert figure.statistic.output in COLUMNS
        assert figure.source in case.sources
    # Every free parameter's prior lies inside the parameter's declared range (validated above),
    # and leaves something to learn.
    assert all(free.low < free.high for free in case.free)


@pytest.mark.parametrize(("name", "figure", "value"), [(*k, v) for k, v in PUBLISHED.items()])
def test_published_figures_are_the_issues_numbers(name, figure, value):
    found = {f.name: f for f in load_case(name).figures}
    assert math.isclose(found[figure].published, value, abs_tol=5e-5)


@pytest.mark.parametrize("name", CASES)
def test_sources_are_full_citations(name):
    citations = list(load_case(name).sources.values())
    for author, year in CITED[name]:
        assert any(author in c and year in c and len(c) > 80 for c in citations), (author, year)


def test_qualitative_findings_are_ranges_with_their_reading():
    kf = {f.name: f for f in load_case("ae_kelman_friedman").figures}
    assert kf["real_improvement"].published_range[0] > 0  # improvement means above the baseline
    assert kf["real_improvement"].minus.regime == "none"
    nclb = {f.name: f for f in load_case("nclb").figures}
    assert nclb["high_stakes_gain"].published_range[0] > 0
    assert nclb["audit_test_loss"].published_range[1] < 0
    assert nclb["audit_test_loss"].statistic.output == "mean_wellbeing"
    tf = {f.name: f for f in load_case("troubled_families").figures}
    low, high = tf["impact_on_outcome"].published_range
    assert low < 0 < high


def test_a_figure_is_the_mean_over_its_weeks_minus_its_paired_regime():
    case = load_case("ae_kelman_friedman")
    figure = next(f for f in case.figures if f.name == "real_improvement")
    weeks = range(1, case.weeks + 1)
    frames = {
        "outcomes": pd.DataFrame(
            {
                "step": weeks,
                **{c: [0.5 + (w > 104) * 0.3 for w in weeks] for c in COLUMNS if c != "step"},
            }
        ),
        "none": pd.DataFrame(
            {"step": weeks, **{c: [0.6] * len(weeks) for c in COLUMNS if c != "step"}}
        ),
    }
    assert figure.value(frames) == pytest.approx(0.8 - 0.6)
    assert figure.miss(0.2) == 0 and figure.miss(0.0) == pytest.approx(0.02)
    bh = {f.name: f for f in load_case("ae_bevan_hood").figures}
    assert bh["reported_2004_05"].miss(0.90) == pytest.approx(0.06)


BAD = """
name = "bad case"
title = "t"
surprise = 1
[mapping]
reported = "r"
[run]
regimes = ["outcome"]
steps = 10
[fixed]
ratchett = 0.5
[free]
audit_rate = { low = 0.5, high = 2.0, why = "w" }
[[sources]]
key = "A 2000"
citation = "A. (2000). A paper."
[[figures]]
name = "f1"
published = 0.5
source = "B 2001"
meaning = "m"
output = "measured_performence"
regime = "outcomes"
weeks = [1, 20]
"""


def test_a_bad_case_file_gives_every_problem_at_once_one_line_each(tmp_path, capsys):
    with pytest.raises(CaseError) as caught:
        parse_case(BAD, "bad.toml")
    problems = caught.value.problems
    expected = [
        "name must be",
        "unknown key 'surprise'",
        "[mapping] true is missing",
        "'outcome' is unknown",
        "did you mean 'ratchet'",
        "audit_rate: [0.5, 2] leaves",
        "'B 2001' is not a [[sources]] key",
        "did you mean 'measured_performance'",
        "weeks must be [first, last] with 1 <= first <= last <= 10",
    ]
    for words in expected:
        assert any(words in p for p in problems), (words, problems)
    assert all("\n" not in p for p in problems)
    path = tmp_path / "bad.toml"
    path.write_text(BAD)
    out = tmp_path / "out"
    assert main(["calibrate", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == len(problems) and all("error:" in line for line in err)
    assert not out.exists()


def test_a_figure_must_map_to_exactly_one_thing():
    text = load_case("work_programme").text
    broken = text.replace(
        'input = "initial_target"', 'input = "initial_target"\noutput = "engagement"'
    )
    with pytest.raises(CaseError, match="exactly one of"):
        parse_case(broken, "wp.toml")
    wrong_counts = load_case("troubled_families").text.replace("116654", "116000")
    with pytest.raises(CaseError, match="do not give published"):
        parse_case(wrong_counts, "tf.toml")
    moved_input = text.replace("initial_target = 0.39", "initial_target = 0.45")
    with pytest.raises(CaseError, match="must be in \\[fixed\\] with the published value"):
        parse_case(moved_input, "wp.toml")


def test_the_wheel_carries_the_case_files(wheel_and_site):  # noqa: F811
    wheel, _ = wheel_and_site
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [n for n in CASES if f"experiments/cases/{n}.toml" not in names]
    assert not missing, f"the wheel lacks the case files {missing}"
