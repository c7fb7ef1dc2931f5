"""The translations: in step with the code.

strings.json is the English source; translations/en.json is its copy (made by
scripts/generate). Every other language we ship (de, nl) has every key English
has, no other, each string with the same placeholders, none empty, and none
left in English by mistake: Home Assistant would show the English string for a
missing key, in the middle of a German or Dutch page. The entity descriptions,
devices, exceptions, repair issues and config flow must only use keys
strings.json has. These are plain file and import checks: no Home Assistant
instance, no sockets.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest

from custom_components.sigenergy_modbus.binary_sensor import BINARY_SENSORS
from custom_components.sigenergy_modbus.button import BUTTONS
from custom_components.sigenergy_modbus.config_flow import IDENTIFICATION_ERRORS
from custom_components.sigenergy_modbus.control import BLOCKED_ISSUES
from custom_components.sigenergy_modbus.entity import DeviceRole, device_infos
from custom_components.sigenergy_modbus.number import NUMBERS
from custom_components.sigenergy_modbus.protocol.models import (
    AcChargerInfo,
    InverterInfo,
    PlantInfo,
)
from custom_components.sigenergy_modbus.select import SELECTS
from custom_components.sigenergy_modbus.sensor import CONTROL_SENSORS, SENSORS
from custom_components.sigenergy_modbus.switch import SWITCHES

ROOT = Path(__file__).parents[2]
INTEGRATION = ROOT / "custom_components" / "sigenergy_modbus"
TRANSLATIONS = INTEGRATION / "translations"
LANGUAGES = ("de", "nl")
PLACEHOLDER = re.compile(r"\{(\w+)\}")

type Path_ = tuple[str, ...]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the package's autouse fixture: these tests need no hass."""


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


STRINGS = _load(INTEGRATION / "strings.json")


def _leaves(tree: dict[str, Any], prefix: Path_ = ()) -> dict[Path_, Any]:
    """Every leaf of a translation tree, by its key path."""
    leaves: dict[Path_, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            leaves |= _leaves(value, (*prefix, key))
        else:
            leaves[(*prefix, key)] = value
    return leaves


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def _dotted(paths: set[Path_]) -> list[str]:
    return sorted(".".join(p) for p in paths)


def _source(name: str) -> str:
    return (INTEGRATION / name).read_text(encoding="utf-8")


# --- the languages -----------------------------------------------------------


def test_en_is_a_copy_of_strings() -> None:
    """translations/en.json is exactly strings.json."""
    assert _load(TRANSLATIONS / "en.json") == STRINGS


def test_no_unexpected_languages() -> None:
    """Every translation file is one this test checks."""
    assert {p.stem for p in TRANSLATIONS.glob("*.json")} == {"en", *LANGUAGES}


@pytest.mark.parametrize("language", LANGUAGES)
def test_language_has_every_key(language: str) -> None:
    """Every key English has, the language has: nothing shown in English instead."""
    english = set(_leaves(STRINGS))
    translated = set(_leaves(_load(TRANSLATIONS / f"{language}.json")))
    assert _dotted(english - translated) == [], "missing"


@pytest.mark.parametrize("language", LANGUAGES)
def test_language_has_no_stale_keys(language: str) -> None:
    """Every key of a translation is one English has: none left behind by a change."""
    english = set(_leaves(STRINGS))
    translated = set(_leaves(_load(TRANSLATIONS / f"{language}.json")))
    assert _dotted(translated - english) == [], "stale"


@pytest.mark.parametrize("language", LANGUAGES)
def test_language_values_are_non_empty_strings(language: str) -> None:
    """Every value is text."""
    leaves = _leaves(_load(TRANSLATIONS / f"{language}.json"))
    bad = [".".join(p) for p, v in leaves.items() if not isinstance(v, str) or not v.strip()]
    assert bad == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_language_keeps_the_placeholders(language: str) -> None:
    """Each string has the same {placeholders} as the English one."""
    english = _leaves(STRINGS)
    translated = _leaves(_load(TRANSLATIONS / f"{language}.json"))
    wrong = {
        ".".join(path): (_placeholders(text), _placeholders(translated[path]))
        for path, text in english.items()
        if path in translated and _placeholders(text) != _placeholders(translated[path])
    }
    assert wrong == {}


# Strings a language writes exactly as English does: words it has borrowed,
# Sigenergy's own terms as owners know them, and strings that are nothing but
# placeholders. Anything else identical to English is a string left
# untranslated.
SAME_AS_ENGLISH = {
    "de": {"{name}", "Host", "Port", "Standby", "Alarm", "Alarm {alarm}"},
    "nl": {"{name}", "Host", "Alarm", "Alarm {alarm}", "Remote EMS"},
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_language_is_translated(language: str) -> None:
    """No string is English copied over, but for the few that are the same in the language."""
    english = _leaves(STRINGS)
    translated = _leaves(_load(TRANSLATIONS / f"{language}.json"))
    same = {
        ".".join(path): text
        for path, text in translated.items()
        if english.get(path) == text and text not in SAME_AS_ENGLISH[language]
    }
    assert same == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_same_as_english_list_is_used(language: str) -> None:
    """Each allowed exception occurs: the list does not grow stale."""
    english = _leaves(STRINGS)
    translated = _leaves(_load(TRANSLATIONS / f"{language}.json"))
    used = {text for path, text in translated.items() if english.get(path) == text}
    assert sorted(SAME_AS_ENGLISH[language] - used) == []


def test_english_values_are_non_empty_strings() -> None:
    """strings.json itself: every value is text."""
    bad = [".".join(p) for p, v in _leaves(STRINGS).items() if not isinstance(v, str) or not v]
    assert bad == []


# --- entities ----------------------------------------------------------------

PLATFORMS = {
    "sensor": (*SENSORS, *CONTROL_SENSORS),
    "binary_sensor": BINARY_SENSORS,
    "switch": SWITCHES,
    "number": NUMBERS,
    "select": SELECTS,
    "button": BUTTONS,
}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_entity_names_exist(platform: str) -> None:
    """Every description's translation_key has a name with its placeholders."""
    strings = STRINGS["entity"].get(platform, {})
    problems: list[str] = []
    for description in PLATFORMS[platform]:
        key = description.translation_key
        if key is None:
            problems.append(f"{description.key}: no translation_key")
            continue
        name = strings.get(key, {}).get("name")
        if not isinstance(name, str):
            problems.append(f"entity.{platform}.{key}.name missing")
            continue
        wanted = set(description.translation_placeholders or {})
        if _placeholders(name) != wanted:
            problems.append(f"entity.{platform}.{key}.name: {_placeholders(name)} != {wanted}")
        options = getattr(description, "options", None)
        if options is not None:
            states = set(strings[key].get("state", {}))
            if states != set(options):
                problems.append(f"entity.{platform}.{key}.state: {states} != {set(options)}")
    assert problems == []


@pytest.mark.parametrize("platform", PLATFORMS)
def test_no_unused_entity_strings(platform: str) -> None:
    """Every entity string belongs to a description."""
    used = {d.translation_key for d in PLATFORMS[platform]}
    assert sorted(set(STRINGS["entity"].get(platform, {})) - used) == []
    assert set(STRINGS["entity"]) <= set(PLATFORMS)


def test_states_only_for_enum_sensors() -> None:
    """Only sensors with options have translated states."""
    with_options = {d.translation_key for d in PLATFORMS["sensor"] if d.options is not None}
    with_states = {k for k, v in STRINGS["entity"]["sensor"].items() if "state" in v}
    assert with_states == with_options


# --- devices -----------------------------------------------------------------

INVERTER = InverterInfo(
    unit_id=1,
    serial="SERIAL1",
    model="SigenStor",
    firmware="V1",
    pv_string_count=2,
    pack_count=1,
    dc_charger=True,
)
PLANT = PlantInfo(
    serial="SERIAL1",
    host="192.0.2.1",
    port=502,
    inverters=(INVERTER,),
    ac_chargers=(AcChargerInfo(unit_id=2),),
)


def test_device_names_exist() -> None:
    """Each device the integration makes has a name with its placeholders, every role one."""
    roles = set()
    for info, _parent in device_infos(PLANT, "Sigenergy"):
        key = info["translation_key"]
        roles.add(key)
        name = STRINGS["device"][key]["name"]
        assert _placeholders(name) == set(info.get("translation_placeholders") or {})
    assert roles == {str(r) for r in DeviceRole}


def test_no_unused_device_strings() -> None:
    """Every device string is a role."""
    assert set(STRINGS["device"]) == {str(r) for r in DeviceRole}


# --- exceptions and repair issues -------------------------------------------


def _dict_keys(node: ast.expr, scope: ast.AST) -> set[str] | None:
    """The keys of a dict literal, following names assigned in scope; None if unknown."""
    if isinstance(node, ast.Name):
        for assign in ast.walk(scope):
            if isinstance(assign, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == node.id for t in assign.targets
            ):
                return _dict_keys(assign.value, scope)
        return None
    if not isinstance(node, ast.Dict):
        return None
    keys: set[str] = set()
    for key, value in zip(node.keys, node.values, strict=True):
        if key is None:  # {**other}
            spread = _dict_keys(value, scope)
            if spread is None:
                return None
            keys |= spread
        elif isinstance(key, ast.Constant) and isinstance(key.value, str):
            keys.add(key.value)
        else:
            return None
    return keys


def _translated_calls() -> list[tuple[str, str, str, set[str] | None]]:
    """(section, key, where, placeholder keys) of every translated exception and issue."""
    found = []
    for path in sorted(INTEGRATION.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = [
            n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        ]
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            keywords = {k.arg: k.value for k in call.keywords if k.arg}
            key = keywords.get("translation_key")
            if not isinstance(key, ast.Constant):
                continue
            func = call.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            # control.py raises through helpers that add the domain (and the issue's title)
            if called in {"async_create_issue", "_issue"}:
                section = "issues"
            elif "translation_domain" in keywords or called in {"_failed", "_invalid"}:
                section = "exceptions"
            else:
                continue  # an entity or device description: checked above
            scope = next(
                (f for f in functions if f.lineno <= call.lineno <= (f.end_lineno or 0)), tree
            )
            placeholders = keywords.get("translation_placeholders")
            keys = set() if placeholders is None else _dict_keys(placeholders, scope)
            if called == "_issue" and keys is not None:
                keys |= {"title"}
            where = f"{path.relative_to(INTEGRATION)}:{call.lineno}"
            found.append((section, key.value, where, keys))
    return found


def test_translation_key_literals_found() -> None:
    """The AST search finds what a plain grep of the three raising modules finds."""
    grep = set()
    for name in (
        "coordinator.py",
        "switch.py",
        "__init__.py",
        "control.py",
        "rescue.py",
        "services.py",
        "units.py",
    ):
        grep |= set(re.findall(r'translation_key="(\w+)"', _source(name)))
    grep -= {d.translation_key for d in SWITCHES}  # the switch's entity name
    assert grep
    assert {key for _, key, _, _ in _translated_calls()} == grep


def test_exceptions_and_issues_exist() -> None:
    """Every raised exception and repair issue has its strings and placeholders."""
    problems = []
    for section, key, where, keys in _translated_calls():
        strings = STRINGS.get(section, {}).get(key)
        if strings is None:
            problems.append(f"{where}: {section}.{key} missing")
            continue
        used = set().union(*(_placeholders(text) for text in _leaves(strings).values()))
        if keys is not None and used != keys:
            problems.append(f"{where}: {section}.{key} placeholders {used} != {keys}")
    assert problems == []


def test_no_unused_exception_or_issue_strings() -> None:
    """Every exception and issue string is raised somewhere."""
    used = {(section, key) for section, key, _, _ in _translated_calls()}
    # issues whose key comes from a table (one per setting that blocks the battery)
    used |= {("issues", key) for key in BLOCKED_ISSUES.values()}
    defined = {(s, k) for s in ("exceptions", "issues") for k in STRINGS.get(s, {})}
    assert sorted(defined - used) == []


# --- config flow -------------------------------------------------------------

CONFIG_FLOW = _source("config_flow.py")


def _flow_errors() -> set[str]:
    errors = set(re.findall(r'errors\[[^\]]+\]\s*=\s*"(\w+)"', CONFIG_FLOW))
    errors |= set(IDENTIFICATION_ERRORS)  # set from what identification raised
    return errors | set(re.findall(r'\{\s*"base"\s*:\s*"(\w+)"\s*\}', CONFIG_FLOW))


def _flow_aborts() -> set[str]:
    reasons = set(re.findall(r'reason\s*=\s*"(\w+)"', CONFIG_FLOW))
    # Home Assistant's own abort reasons behind these helpers.
    configured = ("_abort_if_unique_id_configured(", "_async_abort_entries_match(")
    if any(helper in CONFIG_FLOW for helper in configured):
        reasons.add("already_configured")
    # A discovery that sets its unique id aborts while another flow of that plant
    # runs, unless it passes raise_on_progress=False.
    if re.search(r"async_set_unique_id\((?![^)]*raise_on_progress=False)", CONFIG_FLOW):
        reasons.add("already_in_progress")
    if "async_update_reload_and_abort(" in CONFIG_FLOW:
        reasons.add("reconfigure_successful")
    if "async_abort(reason=error)" in CONFIG_FLOW:  # a discovery whose identification failed
        reasons |= set(IDENTIFICATION_ERRORS)
    return reasons


def test_config_flow_errors_exist() -> None:
    """Every error the flow sets is under config.error."""
    errors = _flow_errors()
    assert errors
    assert sorted(errors - set(STRINGS["config"]["error"])) == []


def test_config_flow_aborts_exist() -> None:
    """Every abort reason, including Home Assistant's, is under config.abort."""
    reasons = _flow_aborts()
    assert {"already_configured", "already_in_progress", "reconfigure_successful"} <= reasons
    assert sorted(reasons - set(STRINGS["config"]["abort"])) == []


def test_no_unused_config_flow_strings() -> None:
    """Every error and abort string can be shown."""
    assert sorted(set(STRINGS["config"]["error"]) - _flow_errors()) == []
    assert sorted(set(STRINGS["config"]["abort"]) - _flow_aborts()) == []


def test_config_flow_steps_exist() -> None:
    """Every step the flows show, and every menu option, has strings."""
    steps = set(re.findall(r'(?<!next_)step_id\s*=\s*"(\w+)"', CONFIG_FLOW))
    assert steps
    defined = set(STRINGS["config"]["step"]) | set(STRINGS["options"]["step"])
    assert sorted(steps - defined) == []
    for options in re.findall(r"menu_options\s*=\s*\[([^\]]*)\]", CONFIG_FLOW):
        menu = set(re.findall(r'"(\w+)"', options))
        assert menu == set(STRINGS["config"]["step"]["user"]["menu_options"])


def test_config_flow_progress_exists() -> None:
    """Every progress the flow shows has its description, and none is left unused."""
    actions = set(re.findall(r'progress_action\s*=\s*"(\w+)"', CONFIG_FLOW))
    assert actions == set(STRINGS["config"]["progress"])


@pytest.mark.parametrize("flow", ["config", "options"])
def test_every_field_has_a_description(flow: str) -> None:
    """Each step explains every field it asks for."""
    missing = [
        f"{flow}.step.{step_id}.data_description.{field}"
        for step_id, step in STRINGS[flow]["step"].items()
        for field in step.get("data", {})
        if field not in step.get("data_description", {})
    ]
    extra = [
        f"{flow}.step.{step_id}.data_description.{field}"
        for step_id, step in STRINGS[flow]["step"].items()
        for field in step.get("data_description", {})
        if field not in step.get("data", {})
    ]
    assert missing == []
    assert extra == []


def test_blocked_battery_issues_exist() -> None:
    """The issues raised by table (one per setting that blocks the battery) have their strings."""
    for key in BLOCKED_ISSUES.values():
        strings = STRINGS["issues"][key]
        used = set().union(*(_placeholders(text) for text in strings.values()))
        assert used == {"title", "action", "soc", "setting"}, key
