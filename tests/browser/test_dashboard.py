"""A real browser on the demo dashboard: Debian's headless chromium, driven by playwright-core.

The test starts the simulator and Home Assistant as subprocesses (``scripts/demo/ha_demo.py``, the same
code ``scripts/develop`` runs), logs in through HA's login page, and watches an extension's card while the
simulator plays an answered inbound call step by step: "Ringing", then the connected state, then no call,
each with the translated names HA renders. Then the call's history: the dashboard's timeline and call log
as they update live and again after a reload (from the recorder's database), and the Activity panel's
entries for the call's events. Back on the dashboard, the card's Do not disturb select is changed as a
person would (issue 15), and a call that goes unanswered to voicemail raises the card's missed calls and
unread voicemails (issue 16). Screenshots go to ``artifacts/browser/``.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import aiohttp
import pytest

from scripts.demo.dashboard import (
    HISTORY_TITLE,
    LOGBOOK_TITLE,
    ROW_CALL_STATUS,
    ROW_DO_NOT_DISTURB,
    ROW_LAST_CALLER,
    ROW_LAST_EVENT,
    ROW_LAST_MESSAGE,
    ROW_MISSED_CALLS,
    ROW_ON_CALL,
    ROW_UNREAD_VOICEMAILS,
    ExtensionCard,
)
from scripts.demo.ha_demo import PASSWORD, USERNAME, HomeAssistantApi, demo_stack, wait_until
from tests.browser.support import (
    ARTIFACTS,
    CHROMIUM,
    Browser,
    CallPlayer,
    SimControl,
    call_status_names,
    entity_translation,
    event_type_names,
    snake,
)

pytestmark = [
    pytest.mark.browser,
    # Starting HA and a browser takes tens of seconds on a 2-core machine; every wait inside is bounded.
    pytest.mark.timeout(300),
    # CI installs chromium (scripts/test runs scripts/setup-browser): there a missing browser fails.
    pytest.mark.skipif(
        CHROMIUM is None and not os.environ.get("CI"),
        reason="Debian's chromium is not installed (scripts/setup-browser)",
    ),
]


async def see_call_history(browser: Browser, card: ExtensionCard, states: dict[str, str]) -> None:
    """The finished call on the dashboard's timeline (status and on-call rows) and in its call log."""
    status = [states["ringing"], states["call_connected"], states["no_call"]]
    row = await browser.call("waitTimeline", card=HISTORY_TITLE, entity=card.call_status, states=status)
    assert row["name"] == card.name, row
    if card.on_call:
        await browser.call(
            "waitTimeline", card=HISTORY_TITLE, entity=card.on_call, states=["Off", "On", "Off"]
        )
    # Each entry names the extension and its call-status row, in the order the HA version lays them out
    # ("Alice Johnson Call status changed to Ringing"; from 2026.10 on "Call status Ringing Alice Johnson").
    for state in status:
        await browser.call("waitLogbook", card=LOGBOOK_TITLE, texts=[card.name, ROW_CALL_STATUS, state])


async def pick_do_not_disturb(
    browser: Browser, sim: SimControl, api: HomeAssistantApi, card: ExtensionCard, option: str
) -> None:
    """Pick `option` in the card's Do not disturb select; wait until Home Assistant and the simulator's
    presence both have it, then until the card shows its label."""
    assert card.do_not_disturb, card
    labels: dict[str, str] = entity_translation("select", "do_not_disturb")["state"]
    await browser.call("select", card=card.name, row=ROW_DO_NOT_DISTURB, option=labels[option])

    async def applied() -> bool | None:
        state = (await api.state(card.do_not_disturb))["state"]
        truth = snake((await sim.presence(card.extension_id))["dndStatus"])
        return True if state == truth == option else None

    await wait_until(applied, within=15, what=f"{card.do_not_disturb} and the simulator to be {option}")
    await browser.call("waitShown", card=card.name, row=ROW_DO_NOT_DISTURB, text=labels[option])


async def see_do_not_disturb_change(
    browser: Browser, sim: SimControl, api: HomeAssistantApi, card: ExtensionCard
) -> None:
    """The Do not disturb row shows the current option's label; changing it in the card reaches
    RingCentral (the simulator) and comes back to the card; then it is set back."""
    assert card.do_not_disturb, card
    strings = entity_translation("select", "do_not_disturb")
    state = await api.state(card.do_not_disturb)
    assert state["attributes"]["friendly_name"] == f"{card.name} {strings['name']}", state
    before = state["state"]
    assert before == snake((await sim.presence(card.extension_id))["dndStatus"]), before
    await browser.call("waitShown", card=card.name, row=ROW_DO_NOT_DISTURB, text=strings["state"][before])
    assert before != "do_not_accept_any_calls", before
    await pick_do_not_disturb(browser, sim, api, card, "do_not_accept_any_calls")
    await browser.call("screenshot", path=str(ARTIFACTS / "07-do-not-disturb.png"))
    await pick_do_not_disturb(browser, sim, api, card, before)


async def see_missed_call_to_voicemail(
    browser: Browser, sim: SimControl, api: HomeAssistantApi, player: CallPlayer, card: ExtensionCard
) -> None:
    """An inbound call rings unanswered and goes to voicemail: the card's missed calls and unread
    voicemails go up by one from what they were (read first: the demo may have left a voicemail)."""
    assert card.missed_calls is not None, card
    assert card.unread_voicemails is not None, card
    assert card.last_caller is not None, card
    # HA names the entities from the translations; the card's rows have the dashboard's own names.
    for entity_id, key in (
        (card.missed_calls, "missed_calls"),
        (card.unread_voicemails, "unread_voicemails"),
    ):
        friendly = (await api.state(entity_id))["attributes"]["friendly_name"]
        assert friendly == f"{card.name} {entity_translation('sensor', key)['name']}", friendly
    missed = int((await api.state(card.missed_calls))["state"])
    unread = int((await api.state(card.unread_voicemails))["state"])
    assert unread == await sim.unread_voicemails(card.extension_id), unread
    await browser.call("waitShown", card=card.name, row=ROW_MISSED_CALLS, text=str(missed))
    await browser.call("waitShown", card=card.name, row=ROW_UNREAD_VOICEMAILS, text=str(unread))

    await player.start("inbound_voicemail")
    await player.step_until("ringing")
    await browser.call("waitRow", card=card.name, row=ROW_CALL_STATUS, text=call_status_names()["ringing"])
    await player.finish()

    async def counted() -> bool | None:
        now = (
            await sim.unread_voicemails(card.extension_id),
            int((await api.state(card.unread_voicemails))["state"]),
            int((await api.state(card.missed_calls))["state"]),
        )
        return True if now == (unread + 1, unread + 1, missed + 1) else None

    await wait_until(
        counted, within=30, what="one more unread voicemail and missed call in HA and the simulator"
    )
    await browser.call("waitShown", card=card.name, row=ROW_MISSED_CALLS, text=str(missed + 1))
    await browser.call("waitShown", card=card.name, row=ROW_UNREAD_VOICEMAILS, text=str(unread + 1))
    await browser.call("waitRow", card=card.name, row=ROW_LAST_EVENT, text=event_type_names()["missed"])
    message_types = entity_translation("event", "message")["state_attributes"]["event_type"]["state"]
    await browser.call("waitRow", card=card.name, row=ROW_LAST_MESSAGE, text=message_types["voicemail"])
    caller = await api.state(card.last_caller)
    assert caller["attributes"]["result"] == "voicemail", caller
    await browser.call("waitShown", card=card.name, row=ROW_LAST_CALLER, text=caller["state"])
    await browser.call("screenshot", path=str(ARTIFACTS / "08-voicemail.png"))


async def test_dashboard_follows_a_call(tmp_path: Path, socket_enabled: None) -> None:
    """Log in, open the dashboard, see Ringing, then the connected state, then No call, then the call's
    history and logbook entries; then change Do not disturb in the card and miss a call to voicemail."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    states, events = call_status_names(), event_type_names()
    browser = Browser(tmp_path / "driver.log")
    async with (
        demo_stack(tmp_path / "config", extensions=3, demo=False) as stack,
        aiohttp.ClientSession() as session,
    ):
        assert len(stack.cards) == 3, [card.name for card in stack.cards]
        card = stack.cards[0]
        player = CallPlayer(session, stack, card.extension_id, card.call_status)
        sim = SimControl(session, stack.sim_url)
        api = HomeAssistantApi(session, stack.ha_url, stack.token)
        await browser.start()
        try:
            await browser.call("launch", executablePath=CHROMIUM, userDataDir=str(tmp_path / "chromium"))
            await browser.call("goto", url=stack.dashboard_url)
            await browser.call("login", username=USERNAME, password=PASSWORD)
            await browser.call("waitCard", card=card.name)
            await browser.call("waitRow", card=card.name, row=ROW_CALL_STATUS, text=states["no_call"])
            await browser.call("screenshot", path=str(ARTIFACTS / "01-no-call.png"))

            await player.start("inbound_answered")
            await player.step_until("ringing")
            ringing = await browser.call(
                "waitRow", card=card.name, row=ROW_CALL_STATUS, text=states["ringing"]
            )
            assert ringing["text"] == f"{ROW_CALL_STATUS} {states['ringing']}"
            await browser.call("waitRow", card=card.name, row=ROW_LAST_EVENT, text=events["ringing"])
            await browser.call("screenshot", path=str(ARTIFACTS / "02-ringing.png"))

            await player.step_until("call_connected")
            connected = states["call_connected"]
            shown = await browser.call("waitRow", card=card.name, row=ROW_CALL_STATUS, text=connected)
            assert shown["text"] == f"{ROW_CALL_STATUS} {connected}"
            assert (await browser.call("waitRow", card=card.name, row=ROW_ON_CALL, text="On"))["text"] == (
                f"{ROW_ON_CALL} On"
            )
            await browser.call("waitRow", card=card.name, row=ROW_LAST_EVENT, text=events["answered"])
            await browser.call("screenshot", path=str(ARTIFACTS / "03-on-a-call.png"))

            await player.finish()
            await browser.call("waitRow", card=card.name, row=ROW_CALL_STATUS, text=states["no_call"])
            await browser.call("waitRow", card=card.name, row=ROW_ON_CALL, text="Off")
            await browser.call("waitRow", card=card.name, row=ROW_LAST_EVENT, text=events["ended"])
            await browser.call("screenshot", path=str(ARTIFACTS / "04-ended.png"))

            # The other extensions' cards were never touched by this call.
            for other in stack.cards[1:]:
                text = (await browser.call("cardText", card=other.name))["text"]
                assert states["no_call"] in text, text
                assert states["ringing"] not in text, text

            await see_call_history(browser, card, states)
            await browser.call("screenshot", path=str(ARTIFACTS / "05-history.png"))
            # A newcomer who opens the dashboard after the call: history and logbook from the database.
            assert (stack.config_dir / "home-assistant_v2.db").is_file()
            await browser.call("goto", url=stack.dashboard_url)
            await see_call_history(browser, card, states)
            other = stack.cards[1]
            untouched = await browser.call(
                "waitTimeline", card=HISTORY_TITLE, entity=other.call_status, states=[states["no_call"]]
            )
            assert states["ringing"] not in untouched["states"], untouched

            # HA's Activity panel reads the call's events as logbook.py describes them.
            await browser.call("sidebar", href="/logbook")
            for text in ("has an incoming call from", "answered a call with", "ended the call with"):
                await browser.call("waitLogbook", texts=[card.name, text])
            await browser.call("screenshot", path=str(ARTIFACTS / "06-activity.png"))

            # Back on the dashboard: presence set from the card, and a call that goes to voicemail.
            await browser.call("goto", url=stack.dashboard_url)
            await browser.call("waitCard", card=card.name)
            await see_do_not_disturb_change(browser, sim, api, card)
            await see_missed_call_to_voicemail(browser, sim, api, player, card)
        except BaseException:
            with contextlib.suppress(Exception):
                await browser.call("screenshot", path=str(ARTIFACTS / "failure.png"), within=20)
            raise
        finally:
            await browser.close()
    assert sorted(p.name for p in ARTIFACTS.glob("0*.png")) == [
        "01-no-call.png",
        "02-ringing.png",
        "03-on-a-call.png",
        "04-ended.png",
        "05-history.png",
        "06-activity.png",
        "07-do-not-disturb.png",
        "08-voicemail.png",
    ]
