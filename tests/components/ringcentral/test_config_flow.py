"""Config flow (user, reauth, reconfigure) and options flow, against the simulator over loopback."""

from __future__ import annotations

import re
from collections.abc import Iterator
from unittest.mock import AsyncMock, patch

import pytest
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from custom_components.ringcentral.const import (
    CONF_ACCOUNT_ID,
    CONF_CLIENT_SECRET,
    CONF_CONTACTS,
    CONF_CREDENTIALS_ID,
    CONF_EXTENSION_ID,
    CONF_EXTENSIONS,
    CONF_JWT,
    CONF_MONITOR,
    CONF_RING_OUT_FROM,
    CONF_SERVER,
    CONF_TRANSPORT,
    DOMAIN,
    MONITOR_ACCOUNT,
    MONITOR_OWN,
    MONITOR_SELECTED,
    TRANSPORT_WEBSOCKET,
)
from rcsim import SimConfig, Simulator
from rcsim.faults import HttpFault

from .conftest import credentials, extension_ids, make_entry, setup_entry, sim_logins


@pytest.fixture
def mock_setup_entry() -> Iterator[AsyncMock]:
    """Keep flow tests to the flow: the entry they create is not set up."""
    with patch("custom_components.ringcentral.async_setup_entry", return_value=True) as mock:
        yield mock


def _fault(sim: Simulator, path: str, status: int, count: int = 1, method: str | None = None) -> None:
    sim.state.faults.http.append(
        HttpFault(path=re.compile(path), status=status, method=method, remaining=count)
    )


# --- user step ---------------------------------------------------------------------------------------


async def test_user_creates_entry(hass: HomeAssistant, sim: Simulator, mock_setup_entry: AsyncMock) -> None:
    """Logging in reads the user's extension and account; the validation session is revoked."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    admin = sim.credentials()["extension_id"]

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**credentials(sim), "server": sim.url + "/"}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == sim.state.account.extensions[admin].name
    entry = result["result"]
    assert entry.unique_id == f"{sim.state.account.id}_{admin}"
    assert entry.data[CONF_SERVER] == sim.url  # normalised: no trailing slash
    assert entry.data[CONF_ACCOUNT_ID] == sim.state.account.id
    assert entry.data[CONF_EXTENSION_ID] == admin
    assert entry.data[CONF_CREDENTIALS_ID]
    assert entry.options == {CONF_MONITOR: MONITOR_OWN, CONF_TRANSPORT: TRANSPORT_WEBSOCKET}
    assert any(e["kind"] == "auth" and e.get("action") == "revoked" for e in sim.state.log)
    assert len(mock_setup_entry.mock_calls) == 1


async def test_user_same_user_twice_aborts(
    hass: HomeAssistant, sim: Simulator, mock_setup_entry: AsyncMock
) -> None:
    make_entry(sim).add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], credentials(sim))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_user_other_user_same_account(
    hass: HomeAssistant, sim: Simulator, mock_setup_entry: AsyncMock
) -> None:
    make_entry(sim).add_to_hass(hass)
    other = extension_ids(sim)[1]
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], credentials(sim, other))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == f"{sim.state.account.id}_{other}"


@pytest.mark.parametrize(
    "case",
    [
        ({CONF_JWT: "not-a-valid-jwt"}, "base", "invalid_auth"),
        ({CONF_CLIENT_SECRET: "wrong-secret"}, "base", "invalid_auth"),
        ({CONF_CLIENT_SECRET: "   "}, "base", "invalid_auth"),
        ({CONF_SERVER: "ftp://127.0.0.1"}, CONF_SERVER, "invalid_url"),
        ({CONF_SERVER: "http://[::1"}, CONF_SERVER, "invalid_url"),
    ],
)
async def test_user_bad_input_then_recovers(
    hass: HomeAssistant, sim: Simulator, mock_setup_entry: AsyncMock, case: tuple[dict[str, str], str, str]
) -> None:
    change, error_field, error = case
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {**credentials(sim), **change})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {error_field: error}

    result = await hass.config_entries.flow.async_configure(result["flow_id"], credentials(sim))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_missing_permissions_named(
    hass: HomeAssistant, sim: Simulator, mock_setup_entry: AsyncMock
) -> None:
    sim.state.app.permissions -= {"CallControl", "ReadPresence"}
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], credentials(sim))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "missing_permissions"}
    assert result["description_placeholders"] == {"permissions": "ReadPresence, CallControl"}


async def test_user_permission_refused_by_api(
    hass: HomeAssistant, sim: Simulator, mock_setup_entry: AsyncMock
) -> None:
    """A 403 naming a permission (not visible in the token's scope) is reported the same way."""
    sim.state.app.permissions -= {"ReadAccounts"}
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], credentials(sim))
    assert result["errors"] == {"base": "missing_permissions"}
    assert "ReadAccounts" in result["description_placeholders"]["permissions"]


async def test_user_cannot_connect(hass: HomeAssistant, sim: Simulator, mock_setup_entry: AsyncMock) -> None:
    _fault(sim, r"/restapi/v1\.0/account/~$", 503, count=10)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], credentials(sim))
    assert result["errors"] == {"base": "cannot_connect"}


async def test_user_unknown_error(hass: HomeAssistant, sim: Simulator, mock_setup_entry: AsyncMock) -> None:
    """An answer the integration cannot make sense of (a 400 on the account) is `unknown`."""
    _fault(sim, r"/restapi/v1\.0/account/~$", 400)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], credentials(sim))
    assert result["errors"] == {"base": "unknown"}


# --- reauth ------------------------------------------------------------------------------------------


async def test_reauth_same_user(hass: HomeAssistant, sim: Simulator, mock_setup_entry: AsyncMock) -> None:
    entry = make_entry(sim)
    entry.add_to_hass(hass)
    old_credentials_id = entry.data[CONF_CREDENTIALS_ID]
    admin = sim.state.account.extensions[entry.data[CONF_EXTENSION_ID]]
    admin.jwt = "sim-jwt-rotated-credential"

    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"] == {"name": entry.title, "permissions": ""}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_JWT: "bad"})
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_JWT: admin.jwt})

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_JWT] == "sim-jwt-rotated-credential"
    assert entry.data[CONF_CREDENTIALS_ID] != old_credentials_id
    await hass.async_block_till_done()
    assert len(mock_setup_entry.mock_calls) == 1  # reloaded


async def test_reauth_other_user_aborts(
    hass: HomeAssistant, sim: Simulator, mock_setup_entry: AsyncMock
) -> None:
    entry = make_entry(sim)
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    other_jwt = credentials(sim, extension_ids(sim)[1])[CONF_JWT]
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_JWT: other_jwt})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert entry.data[CONF_JWT] != other_jwt


# --- reconfigure -------------------------------------------------------------------------------------


async def test_reconfigure(hass: HomeAssistant, sim: Simulator, mock_setup_entry: AsyncMock) -> None:
    entry = make_entry(sim)
    entry.add_to_hass(hass)
    sim.state.app.client_secret = "rotated-secret"

    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_SERVER: sim.url, "client_id": entry.data["client_id"], CONF_CLIENT_SECRET: "old"},
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_SERVER: sim.url, "client_id": entry.data["client_id"], CONF_CLIENT_SECRET: "rotated-secret"},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_CLIENT_SECRET] == "rotated-secret"


async def test_reconfigure_other_user_aborts(
    hass: HomeAssistant, sim: Simulator, mock_setup_entry: AsyncMock
) -> None:
    """Another server where the same JWT belongs to someone else is refused."""
    entry = make_entry(sim)
    entry.add_to_hass(hass)
    async with Simulator(SimConfig(seed=2)) as other:
        stranger = other.state.account.add_extension("Someone Else", extension_id="123456789")
        stranger.jwt = entry.data[CONF_JWT]
        result = await entry.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {
                CONF_SERVER: other.url,
                "client_id": other.state.app.client_id,
                CONF_CLIENT_SECRET: other.state.app.client_secret,
            },
        )
        await other.state.calls.close()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert entry.data[CONF_SERVER] == sim.url


# --- options -----------------------------------------------------------------------------------------


async def test_options_account_reloads(hass: HomeAssistant, sim: Simulator) -> None:
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    logins = sim_logins(sim)

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "init"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_MONITOR: MONITOR_ACCOUNT, CONF_TRANSPORT: TRANSPORT_WEBSOCKET}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    # Caller names from personal contacts stay off unless chosen.
    assert entry.options == {
        CONF_MONITOR: MONITOR_ACCOUNT,
        CONF_TRANSPORT: TRANSPORT_WEBSOCKET,
        CONF_CONTACTS: False,
    }
    assert entry.state is ConfigEntryState.LOADED
    assert set(entry.runtime_data.coordinator.extensions) == set(
        extension_ids(sim)
    )  # reloaded with the new options
    assert sim_logins(sim) == logins  # the reload resumed the session
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_options_selected_extensions(hass: HomeAssistant, sim: Simulator) -> None:
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    chosen = extension_ids(sim)[1:]

    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_MONITOR: MONITOR_SELECTED, CONF_TRANSPORT: TRANSPORT_WEBSOCKET}
    )
    assert result["step_id"] == "extensions"
    result = await hass.config_entries.options.async_configure(result["flow_id"], {CONF_EXTENSIONS: []})
    assert result["errors"] == {CONF_EXTENSIONS: "no_extensions"}
    result = await hass.config_entries.options.async_configure(result["flow_id"], {CONF_EXTENSIONS: chosen})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options[CONF_EXTENSIONS] == chosen
    assert sorted(entry.runtime_data.coordinator.extensions) == sorted(chosen)
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_options_selected_needs_loaded_entry(hass: HomeAssistant, sim: Simulator) -> None:
    entry = make_entry(sim)
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_MONITOR: MONITOR_SELECTED, CONF_TRANSPORT: TRANSPORT_WEBSOCKET}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_loaded"


async def test_options_selected_list_fails(hass: HomeAssistant, sim: Simulator) -> None:
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    _fault(sim, r"/restapi/v1\.0/account/~/extension$", 400, method="GET")
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_MONITOR: MONITOR_SELECTED, CONF_TRANSPORT: TRANSPORT_WEBSOCKET}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"
    assert entry.options[CONF_MONITOR] == MONITOR_OWN
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_options_ring_out_from(hass: HomeAssistant, sim: Simulator) -> None:
    """The phone click-to-dial rings first: checked, stored as RingCentral takes it (beside the other
    options of the form), and cleared by leaving it empty."""
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    choice = {CONF_MONITOR: MONITOR_OWN, CONF_TRANSPORT: TRANSPORT_WEBSOCKET, CONF_CONTACTS: True}

    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**choice, CONF_RING_OUT_FROM: "my mobile"}
    )
    assert result["errors"] == {CONF_RING_OUT_FROM: "invalid_phone_number"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**choice, CONF_RING_OUT_FROM: " +1 (415) 555-0199 "}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options == {**choice, CONF_RING_OUT_FROM: "+14155550199"}

    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**choice, CONF_RING_OUT_FROM: ""}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options == choice
    assert await hass.config_entries.async_unload(entry.entry_id)
