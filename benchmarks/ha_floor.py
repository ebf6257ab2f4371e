"""The two floors the integration's cost inside Home Assistant is compared with.

While the integration handles the traffic, every frame its WebSocket transport receives and every
state write its entities make (changed or not, as HA's state machine gets it) are recorded. Both
floors then replay that record, from the same starting states, timed in the same process:

- **bare**: the same `hass.states.async_set` calls (same entity ids, states, attributes). No
  integration can reach it: it skips decoding the frames and everything `Entity` does around a write.
- **fair**: what any push integration pays for the same traffic: decoding each received frame's JSON
  (with HA's own `json_loads`, orjson, the fastest decoder HA ships) plus one
  `Entity.async_write_ha_state` per write that changed something, made by a minimal entity of HA
  (`FloorEntity`: state and attributes as plain `_attr_`s, a unique id so it has a registry entry
  like any modern entity) writing the same state and attributes.

Recording adds a wrapper call, a copy of the attributes and a list append per write (about 0.4 µs),
and a wrapper call and an append per frame (about 0.1 µs), to the integration's side only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant, State, StateMachine
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import EntityPlatform
from homeassistant.util.json import json_loads

from custom_components.ringcentral.aioringcentral import websocket_frames

_LOGGER = logging.getLogger(__name__)
FLOOR_PLATFORM = "rc_bench_floor"

type Write = tuple[str, str, dict[str, Any]]


class TrafficRecorder:
    """Records, while active, the frames the WebSocket transport receives and every state write of
    the chosen entities (wraps `StateMachine.async_set_internal`, what `async_write_ha_state` calls)."""

    def __init__(self, watched: set[str]) -> None:
        self.watched = watched
        self.writes: list[Write] = []
        self.frames: list[str] = []

    def clear(self) -> None:
        self.writes.clear()
        self.frames.clear()

    @contextmanager
    def recording(self) -> Iterator[None]:
        original_set = StateMachine.async_set_internal
        original_split: Callable[[str], Any] = websocket_frames._split_frame
        writes, frames, watched = self.writes, self.frames, self.watched

        def recorded_set(
            machine: StateMachine, entity_id: str, new_state: str, attributes: Any, *args: Any
        ) -> None:
            if entity_id in watched:
                writes.append((entity_id, new_state, dict(attributes or {})))
            original_set(machine, entity_id, new_state, attributes, *args)

        def recorded_split(text: str) -> Any:
            frames.append(text)
            return original_split(text)

        with ExitStack() as stack:
            stack.enter_context(patch.object(StateMachine, "async_set_internal", recorded_set))
            stack.enter_context(patch.object(websocket_frames, "_split_frame", recorded_split))
            yield


def changed_writes(before: dict[str, State | None], writes: list[Write]) -> list[Write]:
    """The writes that changed their entity's state or attributes, in order."""
    current = {eid: (s.state, dict(s.attributes)) if s is not None else None for eid, s in before.items()}
    changed = []
    for write in writes:
        entity_id, state, attributes = write
        if current.get(entity_id) != (state, attributes):
            changed.append(write)
            current[entity_id] = (state, attributes)
    return changed


def restore(hass: HomeAssistant, states: dict[str, State | None]) -> None:
    """Put the entities back in these states (not timed)."""
    for entity_id, state in states.items():
        if state is not None:
            hass.states.async_set(entity_id, state.state, dict(state.attributes))


async def bare_floor(hass: HomeAssistant, before: dict[str, State | None], writes: list[Write]) -> float:
    """CPU seconds of the same `async_set` calls, from the same starting states."""
    restore(hass, before)
    await hass.async_block_till_done()
    start = time.process_time()
    for entity_id, state, attributes in writes:
        hass.states.async_set(entity_id, state, attributes)
    await hass.async_block_till_done()
    return time.process_time() - start


class FloorEntity(Entity):
    """The least an entity of HA does for a state write: state and attributes set, then written."""

    _attr_should_poll = False

    def __init__(self, entity_id: str, unique_id: str) -> None:
        self.entity_id = entity_id
        self._attr_unique_id = unique_id

    def show(self, state: str, attributes: dict[str, Any]) -> None:
        self._attr_state = state
        self._attr_extra_state_attributes = attributes


@dataclass(frozen=True, slots=True)
class FairFloorCost:
    """CPU seconds of the fair floor's two parts."""

    decode: float
    writes: float

    @property
    def total(self) -> float:
        return self.decode + self.writes


class FairFloor:
    """One `FloorEntity` per entity of the integration, on platforms of the same domains.

    Each mirrors one of the integration's entities under an entity id of its own (two entities
    cannot share one); entity ids do not change what a write costs.
    """

    def __init__(self, hass: HomeAssistant) -> None:
        self._hass = hass
        self._mirrors: dict[str, FloorEntity] = {}

    async def async_setup(self, entity_ids: list[str]) -> None:
        by_domain: dict[str, list[FloorEntity]] = {}
        for index, entity_id in enumerate(sorted(entity_ids)):
            domain = entity_id.split(".", 1)[0]
            mirror = FloorEntity(f"{domain}.{FLOOR_PLATFORM}_{index}", f"{FLOOR_PLATFORM}_{index}")
            self._mirrors[entity_id] = mirror
            by_domain.setdefault(domain, []).append(mirror)
        for domain, entities in by_domain.items():
            platform = EntityPlatform(
                hass=self._hass,
                logger=_LOGGER,
                domain=domain,
                platform_name=FLOOR_PLATFORM,
                platform=None,
                scan_interval=timedelta(seconds=30),
                entity_namespace=None,
            )
            await platform.async_add_entities(entities)

    async def replay(
        self, before: dict[str, State | None], frames: list[str], changed: list[Write]
    ) -> FairFloorCost:
        """CPU seconds to decode the frames and write the changed states, from the same starting states."""
        for entity_id, state in before.items():
            if state is not None and (mirror := self._mirrors.get(entity_id)) is not None:
                mirror.show(state.state, dict(state.attributes))
                mirror.async_write_ha_state()
        await self._hass.async_block_till_done()
        # Decoding is timed on its own: the writes do not depend on its result.
        start = time.process_time()
        for frame in frames:
            json_loads(frame)
        decode = time.process_time() - start
        mirrors = self._mirrors
        start = time.process_time()
        for entity_id, new_state, attributes in changed:
            mirror = mirrors[entity_id]
            mirror.show(new_state, attributes)
            mirror.async_write_ha_state()
        await self._hass.async_block_till_done()
        return FairFloorCost(decode, time.process_time() - start)
