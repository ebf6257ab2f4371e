"""HA's reports of deprecated use by this integration fail the tests (see `fail_on_deprecations`)."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import frame
from homeassistant.loader import async_get_integration

from custom_components.ringcentral.const import DOMAIN

from .conftest import DeprecationReports


async def test_a_deprecation_report_is_caught(
    hass: HomeAssistant, fail_on_deprecations: DeprecationReports
) -> None:
    """The detector sees what `report_usage` logs about us (and nothing about other integrations)."""
    await async_get_integration(hass, DOMAIN)
    await async_get_integration(hass, "http")
    frame.report_usage(
        "uses an API deprecated only for this test", integration_domain="http", breaks_in_ha_version="2099.1"
    )
    assert fail_on_deprecations.found == []

    frame.report_usage(
        "uses an API deprecated only for this test", integration_domain=DOMAIN, breaks_in_ha_version="2099.1"
    )

    assert len(fail_on_deprecations.found) == 1
    assert "custom integration 'ringcentral'" in fail_on_deprecations.found[0]
    fail_on_deprecations.found.clear()  # this one was on purpose
