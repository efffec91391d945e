"""Named scenarios for the dashboard menu: overrides of the model's parameter defaults."""

SCENARIOS: dict[str, dict] = {
    "Default service": {},
    "Strong targets, weak measure": {"incentive_strength": 1.2, "measure_alignment": 0.4},
    "Targets that fit the purpose": {
        "measure_alignment": 0.95,
        "complexity": 0.3,
        "incentive_strength": 0.6,
    },
    "Where targets beat learning": {
        "measure_alignment": 0.95,
        "complexity": 0.3,
        "need_heterogeneity": 0.0,
        "sanction_severity": 0.0,
        "learning_time": 0.3,
        "case_review_rate": 0.5,
        "intrinsic_motivation": 0.05,
    },
    "Learning theatre": {
        "hierarchy": 1.0,
        "learning_time": 0.5,
        "case_review_rate": 0.5,
        "funding_stake": 0.5,
        "shielding": 0.2,
    },
    "Complex lives": {"complexity": 1.2},
    "People who differ": {"need_heterogeneity": 1.0},
    "Light-touch targets": {"incentive_strength": 0.3, "sanction_severity": 0.1, "ratchet": 0.0},
    "Audit everything": {"audit_rate": 0.5},
    "Specialist silos": {"specialisation": 0.8},
    "Noisy figures": {"outcome_noise": 0.3},
}
