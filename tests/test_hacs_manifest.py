"""HACS and Home Assistant validation of the files HA and HACS read: manifest, hacs.json, translations,
icons, services and brand images.

HA's own definitions are reused where the installed package has them: the ``Manifest`` TypedDict (allowed
keys and ``integration_type`` values), the version check the loader applies to custom integrations,
``cv.url``/``cv.icon``, the services.yaml schema and the config-flow handler's real forms. The rest of
hassfest (not shipped in the package) and of the HACS action is written out here; each check names the
rule it enforces.
"""

from __future__ import annotations

import importlib
import json
import re
import typing
from pathlib import Path
from typing import Any

import pytest
import voluptuous as vol
from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
from homeassistant.const import __version__ as ha_version
from homeassistant.helpers import config_validation as cv
from homeassistant.loader import Manifest
from homeassistant.util.yaml import load_yaml
from packaging.requirements import Requirement
from PIL import Image

from custom_components.ringcentral import PLATFORMS
from custom_components.ringcentral.const import DOMAIN, EVENT_TYPES, MONITOR_MODES
from custom_components.ringcentral.transports import TRANSPORTS

ROOT = Path(__file__).resolve().parents[1]
INTEGRATION = ROOT / "custom_components" / DOMAIN
MANIFEST: dict[str, Any] = json.loads((INTEGRATION / "manifest.json").read_text())
HACS: dict[str, Any] = json.loads((ROOT / "hacs.json").read_text())
STRINGS: dict[str, Any] = json.loads((INTEGRATION / "translations" / "en.json").read_text())
ICONS: dict[str, Any] = json.loads((INTEGRATION / "icons.json").read_text())

# hassfest: manifest.iot_class must be one of these.
IOT_CLASSES = {"assumed_state", "calculated", "cloud_polling", "cloud_push", "local_polling", "local_push"}
# HACS action (hacs/action, hacs.json schema): the only keys hacs.json may have.
HACS_KEYS = {
    "name",
    "content_in_root",
    "zip_release",
    "filename",
    "hide_default_branch",
    "country",
    "homeassistant",
    "hacs",
    "persistent_directory",
}
# hassfest translations: translation keys are lowercase snake case (translation_key_validator).
KEY_RE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)*$")
# hassfest icons: Material Design Icons only (icon_value_validator).
ICON_RE = re.compile(r"^mdi:[-a-z0-9]+$")
PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")


# -- manifest.json ------------------------------------------------------------------------------------


def test_manifest_keys_are_known_to_home_assistant() -> None:
    """HA's Manifest TypedDict lists every key a manifest may have (hassfest rejects others)."""
    assert set(MANIFEST) <= set(typing.get_type_hints(Manifest))


def test_manifest_required_keys() -> None:
    """hassfest (custom integration) and HACS: these keys are required."""
    hassfest = {
        "domain",
        "name",
        "codeowners",
        "documentation",
        "integration_type",
        "iot_class",
        "requirements",
    }
    hacs = {"domain", "name", "version", "codeowners", "documentation", "issue_tracker"}
    assert hassfest | hacs <= set(MANIFEST)


def test_manifest_key_order() -> None:
    """hassfest manifest sort rule: domain, name, then every other key alphabetically."""
    keys = list(MANIFEST)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


def test_manifest_values() -> None:
    """hassfest manifest schema: value types and vocabularies."""
    assert MANIFEST["domain"] == INTEGRATION.name == DOMAIN
    assert isinstance(MANIFEST["name"], str)
    assert MANIFEST["name"]
    assert MANIFEST["config_flow"] is True
    assert MANIFEST["iot_class"] in IOT_CLASSES
    integration_types = typing.get_args(typing.get_type_hints(Manifest)["integration_type"])
    assert MANIFEST["integration_type"] in integration_types
    for url in (MANIFEST["documentation"], MANIFEST["issue_tracker"]):
        assert cv.url(url).startswith("https://")
    assert MANIFEST["codeowners"]
    assert all(re.fullmatch(r"@[\w.-]+(/[\w.-]+)?", owner) for owner in MANIFEST["codeowners"])
    assert all(isinstance(dep, str) for dep in MANIFEST.get("dependencies", []))
    assert all(isinstance(name, str) for name in MANIFEST.get("loggers", []))


def test_manifest_requirements_are_pinned() -> None:
    """hassfest requirements rule: valid PEP 508 strings pinned with ==."""
    for line in MANIFEST["requirements"]:
        requirement = Requirement(line)
        assert [spec.operator for spec in requirement.specifier] == ["=="], line


def test_manifest_version_is_loadable() -> None:
    """HA's loader blocks a custom integration whose version none of these strategies accepts."""
    AwesomeVersion(
        MANIFEST["version"],
        ensure_strategy=[
            AwesomeVersionStrategy.CALVER,
            AwesomeVersionStrategy.SEMVER,
            AwesomeVersionStrategy.SIMPLEVER,
            AwesomeVersionStrategy.BUILDVER,
            AwesomeVersionStrategy.PEP440,
        ],
    )


# -- hacs.json, changelog, license -----------------------------------------------------------------------


def test_hacs_json() -> None:
    """HACS: name required, no unknown keys; the minimum HA version is one we test on or older."""
    assert set(HACS) <= HACS_KEYS
    assert isinstance(HACS["name"], str)
    assert HACS["name"]
    assert AwesomeVersion(HACS["homeassistant"]) <= AwesomeVersion(ha_version)
    assert not HACS.get("content_in_root", False), "the integration lives in custom_components/"


def test_changelog_and_license() -> None:
    """HACS readiness: a license, and a changelog entry for the manifest's version."""
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    assert f"## [{MANIFEST['version']}]" in (ROOT / "CHANGELOG.md").read_text()


# -- translations/en.json ---------------------------------------------------------------------------------


def _walk(node: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(node, dict):
        return [
            item for key, value in node.items() for item in _walk(value, f"{path}.{key}" if path else key)
        ]
    return [(path, node)]


def test_translation_strings_are_plain_text() -> None:
    """hassfest translations: every leaf is a non-empty string; no [%key:...] references (core only);
    placeholders are simple names; keys are snake case."""
    for path, value in _walk(STRINGS):
        assert isinstance(value, str), path
        assert value.strip(), path
        assert "[%key:" not in value, path
        assert all(re.fullmatch(r"\w+", name) for name in PLACEHOLDER_RE.findall(value)), path
    top = {"config", "options", "selector", "entity", "exceptions", "issues", "services", "title"}
    assert set(STRINGS) <= top
    for section in ("entity", "exceptions", "issues", "selector"):
        for path, _ in _walk(STRINGS.get(section, {})):
            for key in path.split(".")[:2]:
                assert KEY_RE.match(key), f"{section}.{path}"


def _schema_fields(schema: vol.Schema) -> set[str]:
    return {str(key) for key in schema.schema}


async def test_config_flow_forms_are_translated(hass: Any) -> None:
    """hassfest translations: every field of every form the flows show has a label.

    The forms are the flow handlers' real ones, taken from the running flows.
    """
    from homeassistant.config_entries import SOURCE_USER

    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["step_id"] == "user"
    labels = STRINGS["config"]["step"]["user"]["data"]
    assert _schema_fields(result["data_schema"]) <= set(labels)
    assert set(STRINGS["config"]["step"]["user"]["data_description"]) <= set(labels)
    hass.config_entries.flow.async_abort(result["flow_id"])


def test_step_descriptions_match_data() -> None:
    """hassfest translations: data_description only for fields that have a label."""
    for flow in ("config", "options"):
        for name, step in STRINGS[flow]["step"].items():
            assert set(step.get("data_description", {})) <= set(step.get("data", {})), f"{flow}.{name}"


def test_selectors_translate_every_option() -> None:
    """Select selectors with a translation_key need a label for every option value."""
    assert set(STRINGS["selector"]["monitor"]["options"]) == set(MONITOR_MODES)
    assert set(STRINGS["selector"]["transport"]["options"]) == set(TRANSPORTS)


def _descriptions() -> list[tuple[str, Any]]:
    """Every entity description the platforms declare (module-level descriptions and tuples of them)."""
    found: list[tuple[str, Any]] = []
    for platform in PLATFORMS:
        module = importlib.import_module(f"custom_components.ringcentral.{platform}")
        for value in vars(module).values():
            items = value if isinstance(value, tuple) else (value,)
            # By name: HA's frozen-dataclass compatibility layer makes isinstance() unreliable here.
            found.extend(
                (str(platform), item) for item in items if type(item).__name__.endswith("EntityDescription")
            )
    return found


def test_entities_are_translated() -> None:
    """Entity translations: a name per translation_key of every platform's descriptions; every enum
    option, select option and event type has a label."""
    entity = STRINGS["entity"]
    descriptions = _descriptions()
    assert {"sensor", "binary_sensor", "event"} <= {platform for platform, _ in descriptions}
    for platform, description in descriptions:
        key = description.translation_key
        assert key, description.key
        strings = entity[platform][key]
        assert strings["name"], (platform, key)
        options = getattr(description, "options", None)
        if platform == "select":
            assert options, key
        if options:
            assert set(strings["state"]) == set(options), key
        if platform == "event":
            labels = strings["state_attributes"]["event_type"]["state"]
            assert set(labels) == set(getattr(description, "event_types", None) or []), key
    event_types = entity["event"]["call"]["state_attributes"]["event_type"]["state"]
    assert set(event_types) == set(EVENT_TYPES)


def test_exceptions_and_issues_are_complete() -> None:
    """hassfest translations: exceptions have a message; issues have a title and a description."""
    for key, value in STRINGS.get("exceptions", {}).items():
        assert set(value) == {"message"}, key
    for key, value in STRINGS.get("issues", {}).items():
        assert {"title", "description"} <= set(value) or "fix_flow" in value, key


# -- icons.json -------------------------------------------------------------------------------------------


def test_icons() -> None:
    """hassfest icons schema: MDI icons only; entity icons for translated entities; state icons only for
    states that exist."""
    assert set(ICONS) <= {"entity", "services"}
    for path, value in _walk(ICONS):
        assert ICON_RE.match(value), path
        assert cv.icon(value) == value
    for platform, entities in ICONS.get("entity", {}).items():
        for key, icons in entities.items():
            assert key in STRINGS["entity"][platform], f"{platform}.{key} has icons but no translation"
            assert set(icons) <= {"default", "state", "range", "state_attributes"}, key
            assert "default" in icons, key
    states = set(STRINGS["entity"]["sensor"]["call_status"]["state"])
    assert set(ICONS["entity"]["sensor"]["call_status"]["state"]) <= states
    event_icons = ICONS["entity"]["event"]["call"]["state_attributes"]["event_type"]["state"]
    assert set(event_icons) <= set(EVENT_TYPES)


# -- services.yaml ----------------------------------------------------------------------------------------


def test_services_yaml_if_any() -> None:
    """HA's own services.yaml schema; every service also needs a translation and an icon."""
    path = INTEGRATION / "services.yaml"
    if not path.exists():
        pytest.skip("the integration registers no services (no services.yaml)")
    from homeassistant.helpers.service import _SERVICES_SCHEMA

    services = _SERVICES_SCHEMA(load_yaml(path))
    for name in services:
        assert STRINGS["services"][name]["name"], name
        assert ICONS["services"][name], name


# -- brand images -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "square", "shortest"),
    [("icon.png", True, (256, 256)), ("icon@2x.png", True, (512, 512)), ("logo.png", False, (128, 256))],
)
def test_brand_images(name: str, square: bool, shortest: tuple[int, int]) -> None:
    """HA brands rules: PNG with transparency; icon 1:1 at 256 px (hDPI 512); logo's shortest side
    128-256 px; trimmed (content touches the edges)."""
    with Image.open(INTEGRATION / "brand" / name) as image:
        assert image.format == "PNG"
        assert image.mode == "RGBA"
        width, height = image.size
        if square:
            assert width == height
        assert shortest[0] <= min(width, height) <= shortest[1]
        alpha = image.getchannel("A")
        assert alpha.getpixel((0, 0)) == 0, "background must be transparent"
        left, top, right, bottom = alpha.getbbox() or (0, 0, 0, 0)
        margin = max(left, top, width - right, height - bottom)
        assert margin <= width * 0.03, "image must be trimmed"
