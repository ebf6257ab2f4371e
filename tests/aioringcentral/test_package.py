"""The package surface: what `aioringcentral` exports, and what importing it costs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from custom_components.ringcentral import aioringcentral

ROOT = Path(__file__).resolve().parents[2]


def test_every_exported_name_resolves() -> None:
    missing = [name for name in aioringcentral.__all__ if getattr(aioringcentral, name, None) is None]

    assert missing == []
    assert len(set(aioringcentral.__all__)) == len(aioringcentral.__all__)
    assert {"RingCentralClient", "CallStateEngine", "WebSocketTransport", "PubNubTransport"} <= set(
        aioringcentral.__all__
    )


def test_import_needs_neither_home_assistant_nor_pubnub() -> None:
    """A fresh interpreter: importing the package loads no `homeassistant` and (until PubNub is
    asked for) no `pubnub` module, so WebSocket-only callers need not install the SDK."""
    probe = (
        "import sys\n"
        "import custom_components.ringcentral.aioringcentral.rest\n"
        "import custom_components.ringcentral.aioringcentral as a\n"
        "loaded = {m.split('.')[0] for m in sys.modules}\n"
        "print('homeassistant' in loaded, 'pubnub' in loaded)\n"
        "a.PubNubTransport\n"
        "print('pubnub' in {m.split('.')[0] for m in sys.modules})\n"
    )
    # Import the library without the integration's __init__ (which imports Home Assistant).
    stub = "import sys, types; pkg = types.ModuleType('custom_components.ringcentral'); "
    stub += f"pkg.__path__ = [{str(ROOT / 'custom_components' / 'ringcentral')!r}]; "
    stub += "sys.modules['custom_components.ringcentral'] = pkg\n"
    result = subprocess.run(  # noqa: S603 - this interpreter on a fixed script
        [sys.executable, "-c", stub + probe], cwd=ROOT, capture_output=True, text=True, check=True
    )

    assert result.stdout.split() == ["False", "False", "True"]
