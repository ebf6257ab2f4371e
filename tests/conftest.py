"""Shared pytest setup.

`custom_components.ringcentral` is imported first: pytest-homeassistant-custom-component ships its own
`testing_config/custom_components` package and HA puts that directory on `sys.path`, so importing ours
before HA does keeps `custom_components` bound to this repository.
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

import pytest
from _pytest.terminal import TerminalReporter
from hypothesis import settings

import custom_components.ringcentral  # noqa: F401  (import order matters, see above)

# Property tests draw the same examples on every run ("repeatable", the default, what `scripts/test`
# and CI run), so a run's result never depends on luck; `HYPOTHESIS_PROFILE=explore` draws new random
# examples on every run, to look for what the fixed ones miss (an example it finds becomes an `@example`;
# the engine's property tests also take ENGINE_PROPERTY_EXAMPLES / ENGINE_PATH_EXAMPLES).
settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


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


def _lane() -> str:
    """Which Home Assistant and Python this run uses: printed in the header and beside the closing line."""
    from homeassistant.const import __version__ as ha_version

    lane = os.environ.get("RINGCENTRAL_LANE", "ad hoc")
    return f"lane {lane}: Home Assistant {ha_version}, Python {platform.python_version()}"


def pytest_report_header(config: pytest.Config) -> str:
    return _lane()


@pytest.hookimpl(trylast=True)  # after pytest-cov's report: the lane stands right above the closing line
def pytest_terminal_summary(
    terminalreporter: TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    """Print the lane just above pytest's closing line; write the counts for scripts/test when asked."""
    counts = {
        key: len(terminalreporter.stats.get(key, [])) for key in ("passed", "failed", "skipped", "error")
    }
    terminalreporter.write_line(_lane(), bold=True)
    if report := os.environ.get("RINGCENTRAL_LANE_REPORT"):
        Path(report).write_text(json.dumps({"lane": _lane(), "exitstatus": exitstatus, **counts}))
