"""Every translation key the code uses exists in translations/en.json, with the placeholders it is given.

Custom integrations do not get core's `check_translations` test fixture, so this reads the code
itself (its syntax tree): the keys named in calls (`translation_key=`, abort reasons, flow errors)
and the placeholders passed along, and looks each of them up in `en.json` and `icons.json`.
"""

from __future__ import annotations

import ast
import json
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import voluptuous as vol
from homeassistant.const import ATTR_DEVICE_ID, ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict

from custom_components.ringcentral import call_actions, const, services
from custom_components.ringcentral.const import (
    CALL_STATUSES,
    EVENT_TYPES,
    ISSUE_TRANSPORT_UNAVAILABLE,
    MONITOR_MODES,
    TRANSPORT_WEBSOCKET,
)
from custom_components.ringcentral.transports import TRANSPORTS

PACKAGE = Path(__file__).parents[3] / "custom_components" / "ringcentral"
STRINGS: dict[str, Any] = json.loads((PACKAGE / "translations" / "en.json").read_text())
ICONS: dict[str, Any] = json.loads((PACKAGE / "icons.json").read_text())
MODULES = sorted(p for p in PACKAGE.glob("*.py"))

EXCEPTIONS = {
    "ConfigEntryNotReady",
    "ConfigEntryAuthFailed",
    "ConfigEntryError",
    "HomeAssistantError",
    "ServiceValidationError",
}
ENTITY_PLATFORMS = {"sensor", "binary_sensor", "event", "select"}
SERVICES: dict[str, Any] = load_yaml_dict(str(PACKAGE / "services.yaml"))


@dataclass(frozen=True)
class Use:
    """One translation key used by the code: where to find it in en.json, and its placeholders."""

    path: tuple[str, ...]
    placeholders: frozenset[str] | None  # None: not known statically
    where: str


def _lookup(path: tuple[str, ...]) -> Any:
    node: Any = STRINGS
    for part in path:
        assert isinstance(node, dict), f"en.json: {'.'.join(path)} crosses a string"
        assert part in node, f"en.json lacks {'.'.join(path)}"
        node = node[part]
    return node


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _value(node: ast.expr) -> str | None:
    """A string constant, or a `const.NAME` / `NAME` that const.py defines as a string."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
    value = getattr(const, name, None) if name else None
    return value if isinstance(value, str) else None


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _dict_keys(node: ast.expr) -> frozenset[str] | None:
    if isinstance(node, ast.Dict) and all(isinstance(k, ast.Constant) for k in node.keys):
        return frozenset(str(k.value) for k in node.keys if isinstance(k, ast.Constant))
    return None


def _placeholders(
    call: ast.Call, keyword: str, local_dicts: dict[str, frozenset[str]] | None = None
) -> frozenset[str] | None:
    """The placeholder names passed as `keyword`: a dict literal, or a local variable bound to one."""
    for kw in call.keywords:
        if kw.arg == keyword:
            if isinstance(kw.value, ast.Name) and local_dicts and kw.value.id in local_dicts:
                return local_dicts[kw.value.id]
            return _dict_keys(kw.value)
    return frozenset()


def _local_dicts(func: ast.AST) -> dict[str, frozenset[str]]:
    """Local names assigned a dict literal in `func` (`placeholders: dict[str, str] = {...}`)."""
    found: dict[str, frozenset[str]] = {}
    for node in ast.walk(func):
        target = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and value is not None and (keys := _dict_keys(value)) is not None:
            found[target.id] = keys
    return found


def _flow_section(cls: ast.ClassDef) -> str:
    bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in cls.bases}
    return "options" if any("OptionsFlow" in base for base in bases) else "config"


def _uses_in_flow(cls: ast.ClassDef, where: str) -> Iterator[Use]:
    section = _flow_section(cls)
    for func in cls.body:
        if isinstance(func, ast.AsyncFunctionDef):
            yield from _uses_in_step(func, section, where)
    # Reauth and reconfigure end with async_update_reload_and_abort's default reasons.
    steps = {n.name for n in cls.body if isinstance(n, ast.AsyncFunctionDef)}
    if "async_step_reauth" in steps:
        yield Use((section, "abort", "reauth_successful"), None, where)
    if "async_step_reconfigure" in steps:
        yield Use((section, "abort", "reconfigure_successful"), None, where)


def _uses_in_step(func: ast.AsyncFunctionDef, section: str, where: str) -> Iterator[Use]:
    local_dicts = _local_dicts(func)
    for node in ast.walk(func):
        if isinstance(node, ast.Call):
            name = _callee(node)
            reason = next((_value(kw.value) for kw in node.keywords if kw.arg == "reason"), None)
            if name == "async_abort" and reason:
                yield Use((section, "abort", reason), None, where)
            elif name == "_abort_if_unique_id_mismatch":
                yield Use((section, "abort", reason or "unique_id_mismatch"), None, where)
            elif name == "_abort_if_unique_id_configured":
                yield Use((section, "abort", "already_configured"), None, where)
            elif name == "async_show_form":
                step = next(_value(kw.value) for kw in node.keywords if kw.arg == "step_id")
                assert step is not None
                placeholders = _placeholders(node, "description_placeholders", local_dicts)
                yield Use((section, "step", step), placeholders, where)
        # errors[...] = "key"
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Subscript)
            and isinstance(node.targets[0].value, ast.Name)
            and node.targets[0].value.id == "errors"
            and (key := _value(node.value))
        ):
            yield Use((section, "error", key), None, where)


def _module_dict_values(tree: ast.Module, name_node: ast.expr) -> list[str]:
    """The string values of the module-level dict literal `name_node` names."""
    assert isinstance(name_node, ast.Name), "translation_key=<table>[…]: the table must be a module name"
    for node in tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and target.id == name_node.id and isinstance(value, ast.Dict):
            values = [_value(v) for v in value.values]
            assert all(values), f"{name_node.id}: every value must be a string constant"
            return [v for v in values if v]
    raise AssertionError(f"no module-level dict {name_node.id}")


def code_uses() -> list[Use]:
    """Every translation key the integration's modules use, found in their syntax trees."""
    uses: list[Use] = []
    for module in MODULES:
        tree = ast.parse(module.read_text())
        for node in ast.walk(tree):
            where = f"{module.name}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.ClassDef) and "Flow" in node.name:
                uses.extend(_uses_in_flow(node, where))
            if not isinstance(node, ast.Call):
                continue
            name = _callee(node)
            # CredentialsError("key") is the config flow's way of naming a form error (credentials.py).
            if name == "CredentialsError" and node.args and (key := _value(node.args[0])):
                uses.append(Use(("config", "error", key), None, where))
            key_node = next((kw.value for kw in node.keywords if kw.arg == "translation_key"), None)
            if key_node is None:
                continue
            if name == "async_create_issue" and isinstance(key_node, ast.Call):
                # ISSUE_TRANSPORT_UNAVAILABLE.format(transport=...): one issue per non-default transport.
                placeholders = _placeholders(node, "translation_placeholders")
                for transport in TRANSPORTS:
                    if transport != TRANSPORT_WEBSOCKET:
                        issue = ISSUE_TRANSPORT_UNAVAILABLE.format(transport=transport)
                        uses.append(Use(("issues", issue), placeholders, where))
                continue
            if name == "async_create_issue" and isinstance(key_node, ast.Subscript):
                # translation_key=_TABLE[feature]: every value of a module-level dict of constants.
                placeholders = _placeholders(node, "translation_placeholders")
                for issue in _module_dict_values(tree, key_node.value):
                    uses.append(Use(("issues", issue), placeholders, where))
                continue
            key = _value(key_node)
            assert key is not None, f"{where}: translation_key is not a constant the test can read"
            if name in EXCEPTIONS:
                uses.append(Use(("exceptions", key), _placeholders(node, "translation_placeholders"), where))
            elif name == "async_create_issue":
                uses.append(Use(("issues", key), _placeholders(node, "translation_placeholders"), where))
            elif name.endswith("EntityDescription"):
                assert module.stem in ENTITY_PLATFORMS, where
                uses.append(Use(("entity", module.stem, key), None, where))
            elif name == "SelectSelectorConfig":
                uses.append(Use(("selector", key, "options"), None, where))
            else:
                pytest.fail(f"{where}: {name}(translation_key=…) is not classified by this test")
    return uses


USES = code_uses()


def test_the_scan_finds_the_keys_it_should() -> None:
    """Guard the scanner itself: it must see each kind of use (an empty scan would pass vacuously)."""
    paths = {use.path for use in USES}
    for expected in [
        ("config", "error", "invalid_auth"),
        ("config", "error", "invalid_url"),
        ("config", "abort", "already_configured"),
        ("config", "abort", "wrong_account"),
        ("config", "step", "reauth_confirm"),
        ("options", "error", "webhook_needs_https"),
        ("options", "abort", "not_loaded"),
        ("exceptions", "authentication_error"),
        ("issues", "missing_permissions"),
        ("issues", "pubnub_unavailable"),
        ("issues", "messages_permission"),
        ("exceptions", "sms_invalid_number"),
        ("entity", "sensor", "call_status"),
        ("entity", "binary_sensor", "connected"),
        ("selector", "transport", "options"),
        ("options", "error", "invalid_phone_number"),
        ("exceptions", "several_calls"),
        ("exceptions", "action_rate_limited"),
        ("issues", "control_permissions"),
        ("entity", "select", "do_not_disturb"),
    ]:
        assert expected in paths


@pytest.mark.parametrize("use", USES, ids=lambda use: ".".join(use.path))
def test_every_used_key_is_translated(use: Use) -> None:
    entry = _lookup(use.path)
    if use.path[0] == "exceptions":
        texts = [entry["message"]]
    elif use.path[0] == "issues":
        texts = [entry["title"], entry["description"]]
    elif use.path[0] == "entity":
        texts = [entry["name"]]
    elif use.path[1] == "step":
        texts = [entry.get("title", ""), entry.get("description", "")]
    else:
        texts = [entry] if isinstance(entry, str) else []
    assert all(isinstance(text, str) for text in texts), use.where
    if use.placeholders is not None:
        used = set().union(*(_fields(text) for text in texts))
        assert used <= use.placeholders, f"{use.where}: {'.'.join(use.path)} needs {used - use.placeholders}"


@pytest.mark.parametrize("section", ["config", "options"])
def test_form_errors_with_placeholders_get_them(section: str) -> None:
    """A form error naming a placeholder (e.g. {permissions}) is shown only by forms that pass it."""
    steps_with_placeholders = {
        use.path[2]: use.placeholders for use in USES if use.path[:2] == (section, "step")
    }
    for error, text in STRINGS[section].get("error", {}).items():
        if fields := _fields(text):
            for step, given in steps_with_placeholders.items():
                assert given is not None
                assert fields <= given, f"{section}.step.{step} shows {error} without {fields - given}"


def test_selector_options_and_states_are_all_labelled() -> None:
    assert set(STRINGS["selector"]["monitor"]["options"]) == set(MONITOR_MODES)
    assert set(STRINGS["selector"]["transport"]["options"]) == set(TRANSPORTS)
    assert set(STRINGS["entity"]["sensor"]["call_status"]["state"]) == set(CALL_STATUSES)
    assert set(STRINGS["entity"]["event"]["call"]["state_attributes"]["event_type"]["state"]) == set(
        EVENT_TYPES
    )


def test_no_unused_translations() -> None:
    """Nothing in en.json is left over from code that no longer uses it (flow, exception, issue keys)."""
    used = {use.path[:3] for use in USES}
    for section in ("config", "options"):
        for kind in ("error", "abort", "step"):
            for key in STRINGS[section].get(kind, {}):
                assert (section, kind, key) in used, f"{section}.{kind}.{key} is not used"
    for kind in ("exceptions", "issues"):
        for key in STRINGS[kind]:
            assert (kind, key) in used, f"{kind}.{key} is not used"


def test_every_entity_translation_key_has_an_icon() -> None:
    entity_uses = [use.path for use in USES if use.path[0] == "entity"]
    assert entity_uses
    for _, platform, key in entity_uses:
        assert key in ICONS["entity"][platform], f"icons.json lacks entity.{platform}.{key}"
    assert set(ICONS["entity"]["sensor"]["call_status"]["state"]) == set(CALL_STATUSES)
    assert set(ICONS["entity"]["event"]["call"]["state_attributes"]["event_type"]["state"]) == set(
        EVENT_TYPES
    )
    for icon in re.findall(r'"(mdi:[^"]*)"', json.dumps(ICONS)):
        assert re.fullmatch(r"mdi:[a-z0-9-]+", icon), icon


async def test_every_action_is_described_translated_and_has_an_icon(hass: HomeAssistant) -> None:
    """The registered actions are the ones services.yaml describes; each has a translated name and
    description, its fields too, and an icon."""
    assert await async_setup_component(hass, const.DOMAIN, {})
    registered = set(hass.services.async_services_for_domain(const.DOMAIN))
    assert registered == set(SERVICES) == set(STRINGS["services"]) == set(ICONS["services"])
    for name, spec in SERVICES.items():
        texts = STRINGS["services"][name]
        assert texts["name"]
        assert texts["description"]
        assert set(spec.get("fields", {})) == set(texts.get("fields", {})), name
        for field in texts.get("fields", {}).values():
            assert field["name"]
            assert field["description"]
        assert re.fullmatch(r"mdi:[a-z0-9-]+", ICONS["services"][name]["service"])


ACTION_SCHEMAS: dict[str, vol.Schema] = {
    **{name: action.schema for name, action in call_actions.ACTIONS.items()},
    services.SERVICE_SEND_SMS: services.SEND_SMS_SCHEMA,
}
TARGET_KEYS = {ATTR_ENTITY_ID, ATTR_DEVICE_ID, *(str(key) for key in cv.TARGET_SERVICE_FIELDS)}


def test_every_action_has_a_schema() -> None:
    assert set(ACTION_SCHEMAS) == set(SERVICES)


@pytest.mark.parametrize("name", sorted(ACTION_SCHEMAS))
def test_action_fields_match_their_schema(name: str) -> None:
    """services.yaml offers exactly the fields the action's schema takes (besides the target)."""
    keys = {str(key) for key in ACTION_SCHEMAS[name].schema if isinstance(key, vol.Marker)}
    assert keys - TARGET_KEYS == set(SERVICES[name].get("fields", {}))
