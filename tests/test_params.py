import pytest

from sim.params import PARAMS, ParamError, defaults, parse_assignment, validate

REQUIRED = [
    "n_citizens",
    "n_workers",
    "n_managers",
    "incentive_strength",
    "audit_rate",
    "ratchet",
    "sanction_severity",
    "measure_alignment",
    "learning_time",
    "autonomy",
    "intrinsic_motivation",
    "complexity",
    "outcome_noise",
    "specialisation",
    "switch_step",
    "switch_to",
    "shift_step",
]


def test_required_parameters_are_declared_with_meaning_unit_and_source():
    for name in REQUIRED:
        assert name in PARAMS
    for p in PARAMS.values():
        assert p.meaning and p.source and p.unit and p.label, p.name
        assert p.coerce(p.default) == p.default
        if p.kind is not str:
            assert p.low <= p.default <= p.high


def test_incentive_strength_allows_zero_to_one():
    p = PARAMS["incentive_strength"]
    assert p.low <= 0 and p.high >= 1


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"colour": 1}, "unknown parameter 'colour'"),
        ({"audit_rate": 1.5}, "audit_rate=1.5 is out of range: use a number from 0 to 1"),
        ({"audit_rate": "lots"}, "audit_rate='lots' is not a number"),
        ({"n_workers": 0}, "n_workers=0 is out of range"),
        ({"n_workers": 2.5}, "n_workers=2.5 is not whole"),
        ({"n_managers": 31}, "n_managers=31 exceeds n_workers=30"),
        ({"n_workers": 700}, "n_workers=700 exceeds n_citizens=600"),
        ({"regime": "anarchy"}, "regime='anarchy' is not allowed: use one of outcomes"),
        ({"ratchet": float("nan")}, "ratchet=nan is out of range"),
        ({"ratchet": True}, "ratchet=True is not allowed"),
    ],
)
def test_bad_values_name_the_parameter_and_what_is_allowed(values, words):
    with pytest.raises(ParamError) as err:
        validate(values)
    assert words in str(err.value)
    assert "\n" not in str(err.value)


def test_strings_from_the_command_line_are_converted():
    out = validate({"n_workers": "10", "ratchet": "0.25"})
    assert out["n_workers"] == 10 and isinstance(out["n_workers"], int)
    assert out["ratchet"] == 0.25
    assert {k: v for k, v in out.items() if k not in ("n_workers", "ratchet")} == {
        k: v for k, v in defaults().items() if k not in ("n_workers", "ratchet")
    }


def test_assignment_parsing():
    assert parse_assignment("ratchet=0.3") == ("ratchet", "0.3")
    with pytest.raises(ParamError, match="not name=value"):
        parse_assignment("ratchet")


def test_parameter_names_and_output_columns_do_not_clash():
    from sim.metrics import COLUMNS

    # tidy sweep tables carry both; only the regime is both (stored as regime_in_force)
    assert set(PARAMS) & set(COLUMNS) == {"regime"}


def test_the_table_is_generated_from_the_typed_declaration():
    import dataclasses
    import typing

    from sim.params import DEFAULTS, ModelParams

    kinds = typing.get_type_hints(ModelParams)
    declared = dataclasses.fields(ModelParams)
    assert list(PARAMS) == [field.name for field in declared]
    for field in declared:
        param = PARAMS[field.name]
        assert param.kind is kinds[field.name] and param.default == field.default
        assert (param.low, param.high, param.unit, param.label) == (
            field.metadata["low"],
            field.metadata["high"],
            field.metadata["unit"],
            field.metadata["label"],
        )
    assert DEFAULTS.as_dict() == defaults()


def test_model_params_are_checked_converted_and_frozen():
    import dataclasses

    from sim.params import ModelParams

    params = ModelParams(ratchet=1, n_workers=10)
    assert params.ratchet == 1.0 and isinstance(params.ratchet, float)
    assert ModelParams.from_values({"n_workers": "10"}).n_workers == 10
    with pytest.raises(dataclasses.FrozenInstanceError):
        params.ratchet = 0.5  # type: ignore[misc]
    with pytest.raises(ParamError, match="ratchet=2 is out of range"):
        ModelParams(ratchet=2)
    with pytest.raises(ParamError, match="n_workers=700 exceeds n_citizens=600"):
        dataclasses.replace(params, n_workers=700)
    with pytest.raises(ParamError, match="did you mean 'ratchet'"):
        ModelParams.from_values({"ratchett": 0.5})


def test_the_model_reads_typed_parameters():
    from sim.model import AccountabilityModel
    from sim.params import ModelParams

    model = AccountabilityModel(rng=0, incentive_strength="1.5", n_citizens=100, n_workers=10)
    assert isinstance(model.params, ModelParams) and model.params.incentive_strength == 1.5
    assert model.p == model.params.as_dict()  # the parameters by name, for callers outside sim/
