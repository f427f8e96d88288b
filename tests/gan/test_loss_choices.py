"""The loss setting offers exactly the losses there are: the schema's choices (ganapp.gan.config.LOSSES, what the
page, the CLI and validation offer) and the implementations (ganapp.gan.losses.LOSSES) are two lists in two modules,
and a loss added to one only would be offered and then fail, or exist and never be offered."""

from ganapp.gan import config, losses


def test_the_loss_settings_choices_are_the_implemented_losses():
    assert set(config.LOSSES) == set(losses.LOSSES)
    assert config.SETTINGS["loss"].choices == config.LOSSES
