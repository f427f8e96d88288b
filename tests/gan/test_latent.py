import math

import pytest
import torch

from ganapp.gan.latent import interpolate, lerp, seed_to_z, slerp, truncate


def test_seed_to_z_is_deterministic_and_standard_normal():
    assert torch.equal(seed_to_z(5, 16), seed_to_z(5, 16))
    assert not torch.equal(seed_to_z(5, 16), seed_to_z(6, 16))
    z = seed_to_z(0, 64, n=500)
    assert z.shape == (500, 64) and abs(z.mean()) < 0.02 and abs(z.std() - 1) < 0.02
    for bad in (-1, 2**31, 1.5, True):
        with pytest.raises(ValueError, match="seed"):
            seed_to_z(bad, 4)


def test_truncation_pulls_towards_the_mean():
    z = seed_to_z(1, 8)
    assert torch.equal(truncate(z, 1.0), z)
    assert torch.equal(truncate(z, 0.0), torch.zeros_like(z))
    torch.testing.assert_close(truncate(z, 0.5).norm(), 0.5 * z.norm())
    for bad in (-0.1, 1.1, float("nan")):
        with pytest.raises(ValueError, match=r"truncation.*\[0, 1\]"):
            truncate(z, bad)


@pytest.mark.parametrize("mode", ["lerp", "slerp"])
def test_interpolation_is_a_path_from_z0_to_z1(mode):
    z0, z1 = seed_to_z(0, 32)[0], seed_to_z(1, 32)[0]
    path = interpolate(z0, z1, 9, mode)
    assert path.shape == (9, 32)
    assert torch.equal(path[0], z0) and torch.equal(path[-1], z1)
    steps = (path[1:] - path[:-1]).norm(dim=1)
    assert steps.max() < 0.5 * (z1 - z0).norm()  # neighbours are close: a path, not random samples
    cos_to_z1 = torch.nn.functional.cosine_similarity(path, z1[None], dim=1)
    assert torch.all(cos_to_z1[1:] >= cos_to_z1[:-1] - 1e-6)  # it heads steadily towards z1


def test_slerp_stays_on_the_great_circle():
    z0, z1 = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    mid = slerp(z0, z1, 0.5)
    torch.testing.assert_close(mid, torch.tensor([math.sqrt(0.5), math.sqrt(0.5)]))
    assert lerp(z0, z1, 0.5).norm() < 0.71  # lerp cuts the corner


def test_slerp_handles_parallel_antiparallel_and_zero_vectors():
    z = torch.tensor([1.0, 2.0, 3.0])
    for other in (2 * z, -z, torch.zeros(3), z.clone()):
        out = slerp(z, other, torch.linspace(0, 1, 5))
        assert torch.isfinite(out).all()
        torch.testing.assert_close(out, lerp(z, other, torch.linspace(0, 1, 5)))


def test_interpolate_rejects_bad_arguments():
    z = torch.zeros(4)
    with pytest.raises(ValueError, match="n_frames"):
        interpolate(z, z, 1)
    with pytest.raises(ValueError, match="mode"):
        interpolate(z, z, 4, "cubic")
    with pytest.raises(ValueError, match="z0 and z1"):
        interpolate(z, torch.zeros(5), 4)
