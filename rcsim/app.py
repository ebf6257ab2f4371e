"""The assembly: every part of the simulator built and wired in one place, and served.

`assemble(config)` builds the parts, each given only the collaborators it uses, and returns them
in a `SimState`; `build_app` serves them as an aiohttp application; `Simulator` runs that on a
loopback port. Nothing in the package imports this module except its entry points (`rcsim`,
`python -m rcsim`): a new endpoint is a new module that the assembly wires in here.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiohttp import web

from . import oauth, pubnub_gateway, subscriptions, ws_gateway
from .auth import AuthManager
from .call_actions import CallActions
from .call_log import CallLog
from .calls import CallEngine
from .clock import SimClock
from .config import SimConfig
from .control import credentials
from .control_account import AccountControl
from .control_faults import FaultControl
from .control_messages import MessageControl
from .control_runtime import RuntimeControl
from .directory import Directory
from .events import EventBus
from .faults import Faults
from .log import SimLog
from .messages import MessageStore
from .middleware import errors_middleware, faults_middleware, ratelimit_middleware
from .model import Account, App, populate
from .phone_numbers import PhoneNumbers
from .pubnub_gateway import PubNubDelivery
from .ratelimit import RateLimiter
from .rest import RestApi
from .rest_actions import ActionsApi
from .rest_directory import DirectoryApi
from .rest_messages import MessageApi
from .rest_ringout import RingOutApi
from .ringout import RingOuts
from .scenarios import CATALOG
from .subscriptions import SubscriptionManager
from .webhook import WebhookDelivery
from .ws_delivery import WebSocketDelivery
from .ws_gateway import WsGateway


@dataclass(eq=False)
class SimState:
    """Every part of one simulator, as `assemble` wired them (tests reach them through `sim.state`)."""

    config: SimConfig
    clock: SimClock
    log: SimLog  # the control API's log: requests, logins, deliveries, faults
    bus: EventBus  # call engine -> subscriptions
    account: Account
    app: App  # the registered app: credentials and permissions
    faults: Faults
    auth: AuthManager
    limiter: RateLimiter
    calls: CallEngine  # the ground truth for presence and telephony sessions
    actions: CallActions  # call control (and do-not-disturb diversion) on the engine's calls
    ringouts: RingOuts
    subscriptions: SubscriptionManager
    pubnub: PubNubDelivery
    webhook: WebhookDelivery
    ws: WsGateway
    numbers: PhoneNumbers  # each extension's numbers and what they can do (SMS)
    messages: MessageStore  # the ground truth for mailboxes: voicemail and SMS
    call_log: CallLog
    directory: Directory  # company directory and personal contacts


def assemble(config: SimConfig | None = None) -> SimState:
    """Build every part of a simulator (no extensions yet: see `model.populate`)."""
    config = config or SimConfig()
    clock = SimClock(config.time_scale)
    log = SimLog(clock)
    bus = EventBus()
    account = Account()
    app = App(config.client_id, config.client_secret)
    faults = Faults()
    if config.seed is not None:
        faults.rng.seed(config.seed)
    auth = AuthManager(config, clock, account, app, log)
    calls = CallEngine(config=config, clock=clock, account=account, bus=bus, log=log, scenarios=CATALOG)
    actions = CallActions(calls, config)
    manager = SubscriptionManager(
        config=config, clock=clock, account=account, app=app, bus=bus, faults=faults, log=log
    )
    ws = WsGateway(config=config, clock=clock, auth=auth, subscriptions=manager, faults=faults, log=log)
    pubnub = PubNubDelivery(config, clock, log)
    webhook = WebhookDelivery(config, clock, log, manager.mark_blacklisted)
    manager.add_transport("WebSocket", WebSocketDelivery(config, ws))
    manager.add_transport("PubNub", pubnub)
    manager.add_transport("WebHook", webhook)
    # Subscribed to the bus after the subscription manager: a call's end is delivered before the
    # voicemail it leaves.
    rng = random.Random(config.seed) if config.seed is not None else random.Random()
    messages = MessageStore(clock=clock, account=account, bus=bus, log=log, rng=rng)
    return SimState(
        config=config,
        clock=clock,
        log=log,
        bus=bus,
        account=account,
        app=app,
        faults=faults,
        auth=auth,
        limiter=RateLimiter(config, clock),
        calls=calls,
        actions=actions,
        ringouts=RingOuts(calls, actions, account, config),
        subscriptions=manager,
        pubnub=pubnub,
        webhook=webhook,
        ws=ws,
        numbers=PhoneNumbers(account),
        messages=messages,
        call_log=CallLog(clock=clock, bus=bus),
        directory=Directory(account=account, bus=bus, log=log),
    )


def build_app(config: SimConfig | None = None, state: SimState | None = None) -> web.Application:
    """The simulator's aiohttp application over `state` (assembled from `config` when not given)."""
    if state is None:
        state = assemble(config)
    app = web.Application(
        middlewares=[
            errors_middleware(state.log),
            faults_middleware(state.faults, state.config),
            ratelimit_middleware(state.limiter, state.auth, state.app),
        ],
        client_max_size=1024 * 1024,
    )
    router = app.router
    oauth.OAuthEndpoints(state.auth, state.log).add_routes(router)
    RestApi(state.account, state.auth, state.calls).add_routes(router)
    ActionsApi(state.account, state.auth, state.calls, state.actions).add_routes(router)
    RingOutApi(state.account, state.auth, state.ringouts).add_routes(router)
    MessageApi(state.account, state.auth, state.messages, state.numbers, state.clock).add_routes(router)
    DirectoryApi(state.account, state.auth, state.directory, state.call_log, state.clock).add_routes(router)
    AccountControl(state.account, state.app, state.calls, state.log).add_routes(router)
    MessageControl(state.account, state.messages, state.numbers, state.directory).add_routes(router)
    FaultControl(
        faults=state.faults, auth=state.auth, subscriptions=state.subscriptions, ws=state.ws, log=state.log
    ).add_routes(router)
    RuntimeControl(
        config=state.config,
        clock=state.clock,
        app=state.app,
        calls=state.calls,
        subscriptions=state.subscriptions,
        log=state.log,
    ).add_routes(router)
    subscriptions.setup(app, state.subscriptions, state.auth)
    pubnub_gateway.setup(router, state.pubnub.hub)
    ws_gateway.setup(app, state.ws, state.auth)
    calls = state.calls

    async def on_startup(app: web.Application) -> None:
        if state.config.demo:
            calls.start_demo()

    async def on_cleanup(app: web.Application) -> None:
        await calls.close()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app


class Simulator:
    """A simulator serving on a loopback port: `async with Simulator(extensions=3) as sim: sim.url`."""

    def __init__(self, config: SimConfig | None = None, *, extensions: int = 0) -> None:
        self.config = config or SimConfig()
        self.state = assemble(self.config)
        if extensions:
            populate(self.state.account, extensions)
        self.app = build_app(self.config, self.state)
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:8765` (only once started)."""
        if self._port is None:
            raise RuntimeError("Simulator is not started")
        return f"http://{self.config.host}:{self._port}"

    async def start(self) -> None:
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.config.host, self.config.port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        address = runner.addresses[0]
        self._port = int(address[1])

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def credentials(self, extension_id: str | None = None) -> dict[str, Any]:
        """`server, client_id, client_secret, jwt` (and `extension_id`) to log in as an extension."""
        return credentials(self.state.account, self.state.app, self.url, extension_id)
