"""Case chats against the simulator: list, send by the sender's email, exactly once."""

from __future__ import annotations

from typing import Any

import pytest
from debtkit_debitura.messages import MAX_MESSAGE_LENGTH, ChatRole
from debtkit_debitura.pytest_plugin import RunningSimulator

from debtkit import BadRequestError, NotFoundError, ValidationError
from debtkit.simulator import Faults
from tests.adapters.debitura.helpers import MISSING_CASE, connect, new_case, records

SENDER = "creditor@example.com"


async def test_a_sent_message_is_listed_with_its_sender(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        case = await new_case(client)
        sent = await client.messages.send(case.provider_id, "Signed contract?", sender_email=SENDER)
        listed = [c async for c in client.messages.list(case.provider_id)]
    assert [c.id for c in listed] == [sent.id]
    assert listed[0].message == "Signed contract?"
    assert listed[0].role is ChatRole.CREDITOR
    assert listed[0].user is not None
    assert listed[0].user.email == SENDER


async def test_the_sender_email_matches_a_team_member_in_any_case(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        case = await new_case(client)
        sent = await client.messages.send(case.provider_id, "Hi", sender_email=SENDER.upper())
    assert sent.user is not None


async def test_a_sender_outside_the_team_is_refused_by_debitura(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        case = await new_case(client)
        with pytest.raises(BadRequestError):
            await client.messages.send(case.provider_id, "Hi", sender_email="who@else.example")
    assert records(sim).chats == {}


async def test_a_message_too_long_is_refused_locally(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        with pytest.raises(ValidationError):
            await client.messages.send(
                MISSING_CASE, "x" * (MAX_MESSAGE_LENGTH + 1), sender_email=SENDER
            )
    assert sim.state.requests == []


async def test_messages_of_an_unknown_case_raise_not_found(sim: RunningSimulator) -> None:
    async with connect(sim) as client:
        with pytest.raises(NotFoundError):
            await client.messages.send(MISSING_CASE, "Hi", sender_email=SENDER)


async def test_a_send_whose_answer_is_lost_posts_the_message_once(sim_factory: Any) -> None:
    faults = Faults()
    sim = await sim_factory(faults=faults, fault_methods=("POST",))
    async with connect(sim) as client:
        case = await new_case(client)
        faults.lost_response = 1.0
        sent = await client.messages.send(case.provider_id, "Once", sender_email=SENDER)
    chats = records(sim).chats[case.provider_id]
    assert [c["id"] for c in chats] == [sent.id]


def test_an_unknown_role_is_kept() -> None:
    role = ChatRole(7)
    assert role == 7
    assert not role.is_known
