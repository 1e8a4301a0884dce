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
    ],
)
def test_bad_keys_and_types_fail_in_one_line(overrides, message):
    with pytest.raises(ConfigError) as err:
        load_config(None, overrides)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_unreadable_and_invalid_yaml(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("training: [1, 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_config(bad)
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(tmp_path / "missing.yaml")
