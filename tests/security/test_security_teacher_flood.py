"""A flood of wrong teacher tokens from a class's one address holds at most TeacherHandlers.MAX_HELD answers at
once: a held answer keeps one of the Gradio queue's 40 slots, so more of them kept the teacher's own token and
export waiting (the adversarial pass: the right token unanswered after 12 s, the export after 65 s)."""

import asyncio
from types import SimpleNamespace

from ganapp.host.teacher_gate import TeacherGate
from ganapp.ui.teacher import TeacherHandlers

TOKEN = "the-teachers-own-token"


def test_wrong_answers_beyond_the_held_ones_are_refused_at_once_and_the_right_token_goes_through():
    gate = TeacherGate(TOKEN, max_wait_s=600.0, server_burst=1000)
    for _ in range(12):  # the address's wrong tries so far: each new one is now held for the gate's 600 s
        gate.check("wrong", "unknown")
    handlers = TeacherHandlers(app=None, classroom=SimpleNamespace(gate=gate))

    async def flood():
        held = [asyncio.create_task(handlers.admit(None, f"wrong-{i}")) for i in range(TeacherHandlers.MAX_HELD)]
        await asyncio.sleep(0)  # each held answer starts its wait
        assert handlers._held == TeacherHandlers.MAX_HELD
        beyond = await handlers.admit(None, "one more wrong token")  # refused without a wait
        right = await handlers.admit(None, TOKEN)
        still_held = [not t.done() for t in held]
        for t in held:
            t.cancel()
        await asyncio.gather(*held, return_exceptions=True)
        return beyond, right, still_held

    beyond, right, still_held = asyncio.run(flood())
    assert beyond is False and right is True
    assert all(still_held)  # both answers came while the held ones were still waiting
    assert handlers._held == 0  # a cancelled wait gives its place back
    assert gate.wrong_tries("unknown") == 12 + TeacherHandlers.MAX_HELD + 1  # every wrong try counts
