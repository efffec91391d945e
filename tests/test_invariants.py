"""Property-based tests: invariants hold for any valid parameters."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.agents import Citizen, Worker
from sim.model import AccountabilityModel
from sim.params import PARAMS, REGIME_NAMES

SMALL = {
    "n_citizens",
    "n_workers",
    "n_managers",
    "switch_step",
    "shift_step",
    "review_period",
    "dismiss_after",
    "n_services",
    "contract_years",
    "regime",
    "switch_to",
    "service_regimes",
}


@st.composite
def parameters(draw):
    n_citizens = draw(st.integers(1, 120))
    n_workers = draw(st.integers(1, min(n_citizens, 15)))
    values = {
        "n_citizens": n_citizens,
        "n_workers": n_workers,
        "n_managers": draw(st.integers(1, n_workers)),
        "regime": draw(st.sampled_from(REGIME_NAMES)),
        "switch_to": draw(st.sampled_from(REGIME_NAMES)),
        "switch_step": draw(st.integers(0, 12)),
        "shift_step": draw(st.integers(0, 12)),
        "review_period": draw(st.integers(1, 6)),
        "dismiss_after": draw(st.integers(1, 4)),
        "n_services": draw(st.integers(1, 4)),
        "contract_years": draw(st.integers(0, 2)),  # whole years: 12 weeks end no contract
    }
    # Empty (every service runs ``regime``), or one regime per service.
    each = st.lists(st.sampled_from(REGIME_NAMES), min_size=values["n_services"])
    values["service_regimes"] = draw(
        st.just("") | each.map(lambda names: ",".join(names[: values["n_services"]]))
    )
    for p in PARAMS.values():
        if p.name in SMALL:
            continue
        if p.kind is str:
            values[p.name] = draw(st.sampled_from(p.choices))
        else:
            values[p.name] = draw(st.floats(p.low, p.high, allow_nan=False))
    return values


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parameters(), st.integers(0, 2**32 - 1))
def test_invariants_hold_for_any_valid_parameters(params, seed):
    m = AccountabilityModel(rng=seed, **params)
    c, w = m.citizens, m.workers
    for _ in range(12):
        m.step()
        assert np.all((c.wellbeing >= 0) & (c.wellbeing <= 1))
        assert np.all((c.trust >= 0) & (c.trust <= 1))
        assert np.all((c.needs >= 0) & (c.needs <= 1))
        # every citizen is on exactly one caseload, held by a live worker
        assert c.worker.shape == (params["n_citizens"],)
        assert np.all((c.worker >= 0) & (c.worker < params["n_workers"]))
        assert len(m.agents_by_type[Worker]) == params["n_workers"] * params["n_services"]
        assert len(m.agents_by_type[Citizen]) == params["n_citizens"]
        # time spent never exceeds the budget
        budget = m.params.time_budget
        chosen = (w.help_effort, w.indicator_effort, w.reflection, w.accountability_time)
        assert np.all(sum(chosen) <= budget * (1 + 1e-9))
        assert all(np.all(t >= 0) for t in chosen)
        assert np.all((m.teams.candour >= 0) & (m.teams.candour <= 1))
        assert np.all((m.teams.commitment >= 0) & (m.teams.commitment <= 1))
        assert np.all((c.understood >= 0) & (c.understood <= 1))
    row = m.frame().iloc[-1]
    assert 0 <= row.measured_performance <= 1 and 0 <= row.true_performance <= 1
    assert 0 <= row.accountability_cost <= 1 and 0 <= row.candour <= 1
