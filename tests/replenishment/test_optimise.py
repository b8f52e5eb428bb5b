"""Budget- and capacity-constrained joint ordering (MILP through HiGHS)."""
import itertools

import numpy as np
import pytest

from replenishment.optimise import optimise_orders
from replenishment.policies import LeadTimeDemand


def _instance(n, seed):
    rng = np.random.default_rng(seed)
    ds = [LeadTimeDemand.poisson(m, 2, n_samples=1000, seed=seed * 1000 + i)
          for i, m in enumerate(rng.uniform(1, 25, n))]
    unit = rng.uniform(1, 40, n)
    return dict(demands=ds, position=rng.integers(-3, 25, n), unit_cost=unit,
                holding_cost=0.2 * unit, shortage_cost=unit * rng.uniform(0.5, 3, n),
                volume=rng.uniform(0.1, 2, n), pack_size=rng.integers(1, 7, n),
                moq=rng.integers(0, 15, n))


@pytest.mark.parametrize("seed", range(6))
def test_budget_and_capacity_never_exceeded(seed):
    inst = _instance(60, seed)
    free = optimise_orders(**inst)
    for frac_b, frac_c in [(0.3, np.inf), (np.inf, 0.4), (0.5, 0.5), (0.0, np.inf), (0.05, 0.05)]:
        budget = frac_b * free.spend if np.isfinite(frac_b) else np.inf
        cap = frac_c * free.volume if np.isfinite(frac_c) else np.inf
        plan = optimise_orders(**inst, budget=budget, free_capacity=cap)
        q = plan.quantities
        assert inst["unit_cost"] @ q <= budget + 1e-6
        assert inst["volume"] @ q <= cap + 1e-6
        assert np.all(q % inst["pack_size"] == 0)
        assert np.all((q == 0) | (q >= inst["moq"]))
        assert plan.expected_cost.sum() >= free.expected_cost.sum() - 1e-6


def test_unconstrained_plan_is_each_skus_own_optimum():
    inst = _instance(40, 11)
    plan = optimise_orders(**inst)
    np.testing.assert_array_equal(plan.quantities, plan.wanted)
    assert not plan.budget_binding and not plan.capacity_binding


def test_matches_brute_force_on_a_small_case():
    inst = _instance(3, 5)
    free = optimise_orders(**inst)
    budget = 0.6 * free.spend
    plan = optimise_orders(**inst, budget=budget)
    ds, x, h, p = inst["demands"], inst["position"], inst["holding_cost"], inst["shortage_cost"]
    choices = []
    for i in range(3):
        ks = range(0, int(free.wanted[i] // inst["pack_size"][i]) + 1)
        choices.append([k * inst["pack_size"][i] for k in ks
                        if k == 0 or k * inst["pack_size"][i] >= inst["moq"][i]])
    best = min(sum(float(ds[i].expected_cost(x[i] + q[i], h[i], p[i])) for i in range(3))
               for q in itertools.product(*choices) if inst["unit_cost"] @ np.array(q) <= budget)
    assert plan.expected_cost.sum() == pytest.approx(best, rel=1e-3)


def test_bad_parameters_refused():
    inst = _instance(3, 0)
    with pytest.raises(ValueError, match="budget"):
        optimise_orders(**inst, budget=-1)
    with pytest.raises(ValueError, match="pack_size"):
        optimise_orders(**{**inst, "pack_size": 0})
    with pytest.raises(ValueError, match="shortage_cost"):
        optimise_orders(**{**inst, "shortage_cost": -1.0})
