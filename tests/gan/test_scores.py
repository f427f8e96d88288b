"""The MNIST classifier, the Fréchet distance and class histogram it judges with, and the live scores of a session."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torchvision.transforms.functional import gaussian_blur

from conftest import tiny_image, wait_until
from ganapp.gan.classifier import CLASSIFIER_PATH, MNISTClassifier, accuracy, classifier_info, load_classifier, \
    train_classifier
from ganapp.gan.data import load_mnist_10k, load_mnist_test
from ganapp.gan.metrics import MNISTJudge, kl_from_uniform, live_scorer, scores_mnist, shared_judge
from ganapp.run.run import Run


def as_input(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(images).unsqueeze(1).float().div(127.5).sub(1.0)


@pytest.fixture(scope="module")
def judge() -> MNISTJudge:
    return MNISTJudge()


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    return load_mnist_10k()


def test_shipped_classifier_is_over_98_percent_on_the_mnist_test_set(shared_mnist_root):
    images, labels = load_mnist_test(shared_mnist_root, download=False)
    assert accuracy(load_classifier(), images, labels) >= 0.98
    assert float(classifier_info()["test_accuracy"]) >= 0.98


def test_classifier_shapes_and_a_short_training_run_learns(digits):
    images, labels = digits
    model = MNISTClassifier()
    x = as_input(images[:4])
    assert model(x).shape == (4, 10) and model.features(x).shape == (4, 128)
    trained = train_classifier(images[:2000], labels[:2000], epochs=1, batch_size=64, progress=False)
    assert accuracy(trained, images[2000:2500], labels[2000:2500]) > 0.6  # chance is 0.1
    with pytest.raises(ValueError, match="epochs"):
        train_classifier(images[:10], labels[:10], epochs=0)


def test_load_classifier_rejects_other_files(tmp_path):
    with pytest.raises(ValueError, match="train-classifier"):
        load_classifier(tmp_path / "missing.safetensors")
    assert CLASSIFIER_PATH.is_file()


def test_frechet_distance_is_zero_for_identical_sets_and_grows_with_blur_and_noise(judge, digits):
    reference = as_input(digits[0][:5000])  # the judge's own reference set
    assert judge.score(reference)["frechet_distance"] == pytest.approx(0.0, abs=1e-2)
    held_out = as_input(digits[0][5000:6000])
    g = torch.Generator().manual_seed(0)
    clean = judge.score(held_out)["frechet_distance"]
    blurred = [judge.score(gaussian_blur(held_out, [7, 7], [s, s]))["frechet_distance"] for s in (1.0, 2.0)]
    noisy = [judge.score((held_out + a * torch.randn(held_out.shape, generator=g)).clamp(-1, 1))["frechet_distance"]
             for a in (0.3, 0.8)]
    assert clean < blurred[0] < blurred[1]
    assert clean < noisy[0] < noisy[1]
    assert judge.floor(1000) == pytest.approx(clean)  # the floor is exactly this: other real digits vs the reference


def test_class_histogram_of_hand_made_sets(judge, digits):
    images, labels = digits
    threes = judge.score(as_input(images[labels == 3][:400]))
    assert threes["class_hist"][3] > 0.97 and threes["classes"] == 1
    assert threes["kl_uniform"] == pytest.approx(np.log(10), abs=0.15)
    balanced = np.concatenate([images[labels == k][:100] for k in range(10)])
    even = judge.score(as_input(balanced))
    assert even["classes"] == 10 and even["kl_uniform"] < 0.01
    assert all(abs(h - 0.1) < 0.01 for h in even["class_hist"]) and sum(even["class_hist"]) == pytest.approx(1.0)
    assert kl_from_uniform(np.array([0.5, 0.5, 0.0, 0.0])) == pytest.approx(np.log(2))
    true = torch.from_numpy(np.repeat(np.arange(10), 100))  # the balanced set's own labels, then shifted by one
    assert judge.score(as_input(balanced), true)["label_accuracy"] > 0.97
    assert judge.score(as_input(balanced), (true + 1) % 10)["label_accuracy"] < 0.03
    with pytest.raises(ValueError, match="labels has 3 entries for 1000 samples"):
        judge.score(as_input(balanced), true[:3])


def test_score_rejects_bad_shapes(judge):
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        judge.score(torch.zeros(10, 3, 32, 32))
    with pytest.raises(ValueError, match="n=1"):
        judge.floor(1)


def test_only_mnist_like_runs_get_live_scores():
    assert scores_mnist(tiny_image()) and live_scorer(tiny_image()) is not None
    assert not scores_mnist(tiny_image(dataset="fashion_mnist")) and live_scorer(tiny_image(dataset="ring8",
                                                                                        model="mlp")) is None
    assert shared_judge() is shared_judge()


def test_session_scores_live_without_holding_training_up():
    s = Run(tiny_image(), publish_every_s=0.05, scorer_for=lambda c: live_scorer(c, n=200),
                        score_every_steps=5)
    try:
        s.step(20)
        assert wait_until(lambda: len(s.snapshot(None).scores) >= 1, 60)  # the first score loads the classifier
        s.step(20)
        assert wait_until(lambda: len(s.snapshot(None).scores) >= 2, 60)
        rows = s.snapshot(None).scores
        assert [r["step"] for r in rows] == sorted(r["step"] for r in rows)
        assert {"frechet_distance", "fd_floor", "classes", "kl_uniform", "class_hist"} <= set(rows[0])
        s.reset()
        assert s.snapshot(None).scores == []  # a rebuilt session starts a new curve
    finally:
        s.stop()


def test_the_live_caption_of_a_conditional_run_says_how_often_g_draws_its_label():
    from types import SimpleNamespace

    from ganapp.ui.live import LiveHandlers

    row = {"step": 500, "frechet_distance": 20.0, "fd_floor": 3.0, "classes": 10, "kl_uniform": 0.0, "confident": 0.9,
           "class_hist": [0.1] * 10, "n": 2000}
    _, caption = LiveHandlers._quality("en", SimpleNamespace(scores=[dict(row, label_accuracy=0.87)]))
    assert "**87%** of the digits are the label G was given" in caption["value"]
    _, caption = LiveHandlers._quality("zh", SimpleNamespace(scores=[dict(row, label_accuracy=0.87)]))
    assert "**87%** 的数字与给 G 的标签一致" in caption["value"]
    _, caption = LiveHandlers._quality("en", SimpleNamespace(scores=[row]))  # unconditional: nothing to say
    assert "label G was given" not in caption["value"]


def test_a_crowded_server_scores_less_often_and_not_at_a_new_runs_start():
    from ganapp.gan.trainer import Trainer
    from ganapp.run.publisher import Publisher

    calls = []

    def scorer(G):
        calls.append(1)
        return {"frechet_distance": 1.0}

    trainer = Trainer(tiny_image())
    calm = Publisher(trainer, scorer, score_every_steps=10)
    crowded = Publisher(trainer, scorer, score_every_steps=10, crowding=3.0)
    assert wait_until(lambda: len(calm.scores) == 1, 30) and crowded.scores == []  # no score at the crowded start
    assert calm._next_score_step == crowded._next_score_step == 10  # calm scored at 0; crowded waits for 10
    for _ in range(10):
        trainer.train_step()
    crowded.publish_g(trainer)
    assert wait_until(lambda: len(crowded.scores) == 1, 30)
    assert crowded._next_score_step == 10 + 30  # the next one three intervals on
