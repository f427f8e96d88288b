import dataclasses
import math

import pytest

from ganapp.gan.config import RANGES, GANConfig, check_range, range_text


def test_defaults_are_valid_and_train_on_the_shipped_data():
    c = GANConfig()
    assert c.dataset == "mnist_10k" and c.model == "dcgan"
    assert GANConfig.from_dict(c.to_dict()) == c


@pytest.mark.parametrize("field,value", [
    ("lr_g", float("nan")), ("lr_d", 0.0), ("lr_d", -1e-3), ("lr_g", math.inf), ("z_dim", 0), ("z_dim", 3.5),
    ("batch_size", 0), ("n_critic", 21), ("beta1", 1.0), ("beta2", -0.1), ("seed", -1), ("g_width", True),
])
def test_out_of_range_values_name_field_value_and_range(field, value):
    with pytest.raises(ValueError) as e:
        GANConfig(**{field: value})
    msg = str(e.value)
    assert field in msg and repr(value) in msg and range_text(field) in msg


@pytest.mark.parametrize("field,value", [("dataset", "cifar"), ("model", "resnet"), ("loss", "hinge2"),
                                         ("device", "tpu")])
def test_unknown_choices_list_the_allowed_ones(field, value):
    with pytest.raises(ValueError, match=f"{field}='{value}' is not allowed: choose one of"):
        GANConfig(**{field: value})


def test_dcgan_on_2d_data_is_rejected_with_both_values():
    with pytest.raises(ValueError, match="model='dcgan'.*'ring8'"):
        GANConfig(dataset="ring8", model="dcgan")


def test_config_is_frozen_and_replace_validates():
    c = GANConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.z_dim = 3  # type: ignore[misc]
    assert c.replace(lr_g=1e-3).lr_g == 1e-3
    with pytest.raises(ValueError, match="lr_g"):
        c.replace(lr_g=float("nan"))
    with pytest.raises(ValueError, match="unknown config field"):
        c.replace(learning_rate=1.0)


def test_integers_are_normalised_and_ranges_render():
    c = GANConfig(z_dim=16.0, lr_g=1)
    assert isinstance(c.z_dim, int) and isinstance(c.lr_g, float)
    assert range_text("lr_g") == "(0, 1e+06]" and range_text("z_dim") == "1..512"
    for name in RANGES:
        lo = RANGES[name].low
        if RANGES[name].low_inclusive:
            check_range(name, lo)


def test_default_for_2d_picks_an_mlp():
    c = GANConfig.default_for("grid25")
    assert c.model == "mlp" and c.is_2d and c.z_dim == 2
    assert GANConfig.default_for("ring8", lr_g=5e-4).lr_g == 5e-4


def test_image_shape_and_folder_fields():
    assert GANConfig.default_for("cifar10").image_size == 32 and GANConfig.default_for("cifar10").channels == 3
    with pytest.raises(ValueError, match="image_size=30 is not allowed: choose one of 28, 32, 64"):
        GANConfig(image_size=30)
    with pytest.raises(ValueError, match="channels"):
        GANConfig(channels=2)
    with pytest.raises(ValueError, match="needs data_path"):
        GANConfig(dataset="folder")
    with pytest.raises(ValueError, match="no labels"):
        GANConfig(dataset="folder", data_path="x", conditional=True)
