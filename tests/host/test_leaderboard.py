"""The leaderboard's "reached after" is when each run really reached the goal, read from its own rows, not when the
teacher's page happened to look; and a run listed as having reached it shows the score that did (issue 23, item 6:
the times were evenly spaced, 0:01 / 0:03 / 0:05 / 0:07, and a run "reached all modes" while showing 7/8)."""

from types import SimpleNamespace

from conftest import TEACHER_TOKEN as TOKEN
from conftest import tiny_2d
from ganapp.host.classroom import Classroom, thumbnail_2d
from ganapp.host.limits import Limits
from ganapp.host.teacher_gate import TeacherGate
from ganapp.ui.teacher import TeacherHandlers

CONFIG = tiny_2d()


class Run:
    """A stand-in for a run that trains at ``steps_per_s`` and publishes a 2D metrics row every 100 steps."""

    lost = False

    def __init__(self, clock, steps_per_s, modes_at):
        self.clock, self.steps_per_s, self.modes_at = clock, steps_per_s, modes_at

    def snapshot(self, since=None):
        step = int(self.clock[0] * self.steps_per_s)
        rows = [{"step": s, "modes": self.modes_at(s), "n_modes": 8, "high_quality": 0.95}
                for s in range(100, step + 1, 100)]
        return SimpleNamespace(config=CONFIG, state="running", step=step, it_s=self.steps_per_s, lesson=None,
                               view_metrics=rows, scores=[], points=None, grid=None, grid_version=len(rows))


def test_reached_after_is_when_the_run_reached_it_and_shows_the_score_that_did():
    clock = [0.0]
    # run a reaches 8 of 8 modes at step 300 (at 10 steps/s: 30 s in), then drops to 7; run b at step 300 too,
    # at 5 steps/s (60 s in); run c never does
    runs = {"a": Run(clock, 10, lambda s: 8 if s == 300 else 7), "b": Run(clock, 5, lambda s: 8 if s >= 300 else 6),
            "c": Run(clock, 10, lambda s: 5)}
    visitors = [(vid, SimpleNamespace(run=run, state=SimpleNamespace(name=vid.upper()))) for vid, run in
                runs.items()]
    registry = SimpleNamespace(visitors=lambda: visitors, limits=Limits())
    room = Classroom(registry, TeacherGate(TOKEN), clock=lambda: clock[0])
    room.start_challenge("all_modes")
    ranked = None
    for now in (25.0, 50.0, 75.0):  # the teacher's page looks in now and then, not when the runs reach it
        clock[0] = now
        _, ranked = room.leaderboard(room.cards())
    assert [(e.card.name, e.reached_s) for e in ranked] == [("A", 30.0), ("B", 60.0), ("C", None)]
    assert (ranked[0].card.modes, ranked[0].card.step) == (8, 300)  # the row that reached it, not today's 7 of 8
    rows = TeacherHandlers(SimpleNamespace(), room)._leaderboard("en", room.cards())
    assert [r[1::3] for r in rows] == [["A", "8/8, 95%"], ["B", "8/8, 95%"], ["C", "5/8, 95%"]]
    assert [r[5] for r in rows] == ["0:30", "1:00", ""]


def test_a_run_that_meets_the_goal_when_the_challenge_starts_has_reached_it_at_once():
    clock = [40.0]
    run = Run(clock, 10, lambda s: 8)
    registry = SimpleNamespace(visitors=lambda: [("a", SimpleNamespace(run=run, state=SimpleNamespace(name="")))],
                               limits=Limits())
    room = Classroom(registry, TeacherGate(TOKEN), clock=lambda: clock[0])
    room.start_challenge("all_modes")
    clock[0] = 45.0
    assert room.leaderboard(room.cards())[1][0].reached_s == 0.0


def test_a_thumbnail_draws_each_point_as_a_block_not_a_dot():
    image = thumbnail_2d({"real": [[0.0, 0.0]], "fake": [[1.0, 1.0]]}, (-2.0, 2.0, -2.0, 2.0))
    fake = (image == (230, 110, 0)).all(axis=2)
    real = (image == (150, 150, 150)).all(axis=2)
    assert image.shape == (128, 128, 3) and fake.sum() == 9 and real.sum() == 9  # 3 × 3 pixels each
