"""Shared pytest setup.

`custom_components.ringcentral` is imported first: pytest-homeassistant-custom-component ships its own
`testing_config/custom_components` package and HA puts that directory on `sys.path`, so importing ours
before HA does keeps `custom_components` bound to this repository.
"""

from __future__ import annotations

import pytest

import custom_components.ringcentral  # noqa: F401  (import order matters, see above)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(request: pytest.FixtureRequest) -> None:
    """Let HA load our custom integration in every test that runs Home Assistant.

    Only tests that use `hass` get it, so simulator and library tests do not start Home Assistant.
    """
    if "hass" in request.fixturenames:
        if "recorder_mock" in request.fixturenames:
            # The recorder must be set up before Home Assistant starts (phacc checks the order).
            request.getfixturevalue("recorder_mock")
        request.getfixturevalue("enable_custom_integrations")
