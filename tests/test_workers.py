"""Workers' weekly behaviour (sim.workers): hiring, recording and the time accountability takes."""

import numpy as np
import pytest

from sim.model import AccountabilityModel


def test_a_replaced_worker_starts_afresh_and_old_views_refuse_to_read():
    m = AccountabilityModel(rng=4, n_citizens=100, n_workers=5, n_managers=1)
    for _ in range(3):
        m.step()
    old = m.workers.agent[2]
    trust_before = m.citizens.trust[m.citizens.worker == 2].copy()
    m.workers.hire(np.array([2]), m.streams.hiring)
    new = m.workers.agent[2]
    assert new is not old and m.workers.weeks[2] == 0 and m.workers.measured_sum[2] == 0
    np.testing.assert_allclose(m.citizens.trust[m.citizens.worker == 2], 0.8 * trust_before)
    with pytest.raises(AttributeError, match="has left the service"):
        _ = old.skill
    assert 0 <= new.skill <= 1


def test_a_replaced_worker_does_not_know_their_citizens_yet():
    m = AccountabilityModel(rng=4, n_citizens=100, n_workers=5, n_managers=1)
    for _ in range(6):
        m.step()
    assert m.citizens.understood[m.citizens.worker == 2].mean() > 0.2
    m.workers.hire(np.array([2]), m.streams.hiring)
    assert (m.citizens.understood[m.citizens.worker == 2] == 0).all()
