"""The teacher view's seat numbers: stable for a visitor in memory, freed once the registry forgets them, so that a
server that runs for weeks does not keep a seat for every visitor it ever had."""

from conftest import tiny_2d, wait_until
from ganapp.host.classroom import Classroom
from ganapp.host.registry import Registry
from ganapp.host.teacher_gate import TeacherGate

from conftest import TEACHER_TOKEN as TOKEN  # noqa: E402


def test_a_forgotten_visitors_seat_is_freed_and_the_others_keep_theirs():
    registry = Registry()
    room = Classroom(registry, TeacherGate(TOKEN))
    try:
        for vid in ("a", "b", "c"):
            registry.visitor(vid)
            registry.new_run(vid, tiny_2d())
        assert [c.seat for c in room.cards("seat")] == [1, 2, 3]
        registry.remove("b")
        wait_until(lambda: "b" not in registry.visitor_ids())
        cards = room.cards("seat")
        assert [(c.visitor_id, c.seat) for c in cards] == [("a", 1), ("c", 3)]  # the others keep their numbers
        assert room.visitor_at(2) is None and room.visitor_at(3) == "c"
        registry.visitor("b")
        registry.new_run("b", tiny_2d())  # back after being forgotten: a new seat, not someone else's
        assert {c.visitor_id: c.seat for c in room.cards("seat")}["b"] == 4
    finally:
        registry.close()
