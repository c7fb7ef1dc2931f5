"""The revert of a stored action while its entry is not loaded: nothing of the entry stops it.

The controller (``control.PlantController``) ends an action while its entry
is loaded, and setup undoes a due one before anything else
(``control.async_undo_due``). When the entry is not loaded — its setup
failed, whatever the error, or it was unloaded or disabled — the action
stays stored and an ``ActionRescue`` takes its revert over, on Home
Assistant's own timers (not the entry's, which its unload cancels) and with
a client of its own for each try:

* at the deadline (at once when it has passed), and while the plant does
  not answer again after ``FIRST_RETRY``, doubling up to ``LAST_RETRY``;
* a repair issue (the controller's ``revert_failed`` issue, so that there
  is only ever one) says from the first failed try that the action may still
  be active on the plant, what it set and what to do;
* when Home Assistant stops with the revert due, it is tried once more;
* until it succeeds, or the entry sets up again and takes the action back
  (``async_take_over``, setup's first step), or the entry is deleted.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN, LOGGER
from .control import (
    RunningAction,
    action_store,
    async_load_action,
    async_revert_on_plant,
    async_save_action,
    clock_time,
    issue_id,
    setting_name,
)
from .protocol import control
from .protocol.client import SigenergyClient
from .protocol.exceptions import SigenergyError
from .protocol.models import PlantInfo
from .protocol.registers import BY_KEY

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime
    from typing import Any

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant

    from .protocol.control import Words
    from .protocol.keys import Key

FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(minutes=5)
"""A revert the plant does not take is tried again after 30 s, then ever later, at most 5 min."""

RESCUES: HassKey[dict[str, ActionRescue]] = HassKey(f"{DOMAIN}_rescues")
"""The rescues running, by entry id."""

SETUP_FAILED = "setup_failed"
UNLOADED = "unloaded"
"""Why the entry is not loaded: the two texts of the repair issue."""


def settings_text(settings: Mapping[Key, Words]) -> str:
    """Registers and the values they hold, as the repair issue lists them."""
    return "; ".join(
        f"{setting_name(BY_KEY[key])} = {control.value_of(BY_KEY[key], words):g}"
        for key, words in settings.items()
    )


class ActionRescue:
    """Undo one entry's stored action without the entry."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry, action: RunningAction, why: str
    ) -> None:
        """Prepare the rescue; ``why``: ``SETUP_FAILED`` or ``UNLOADED``."""
        self.hass = hass
        self.entry = entry
        self.action = action
        self.why = why
        self.attempts = 0
        self.last_error: str | None = None
        self.next_attempt: datetime | None = None
        self._timer: CALLBACK_TYPE | None = None
        self._task: asyncio.Task[None] | None = None
        self._unsub_stop: CALLBACK_TYPE | None = None
        self._stopped = False

    def start(self) -> None:
        """Revert now if it is due, else at the deadline."""
        self._unsub_stop = self.hass.bus.async_listen_once(
            EVENT_HOMEASSISTANT_STOP, self._on_hass_stop
        )
        if self.action.due(dt_util.utcnow()):
            self._attempt_soon()
        else:
            self._at(self.action.deadline)
        LOGGER.info(
            "%s is not loaded (%s); Home Assistant undoes its %s action %s",
            self.entry.title,
            self.why.replace("_", " "),
            self.action.action,
            "now" if self.next_attempt is None else f"at {clock_time(self.action.deadline)}",
        )

    def _at(self, moment: datetime) -> None:
        @callback
        def due(_: datetime) -> None:
            self._timer = None
            self._attempt_soon()

        self.next_attempt = moment
        self._timer = async_track_point_in_utc_time(self.hass, due, moment)

    def _attempt_soon(self) -> None:
        self.next_attempt = None
        self._task = self.hass.async_create_background_task(
            self._attempt(retry=True), f"{DOMAIN} undo the action of {self.entry.title}"
        )

    async def _attempt(self, *, retry: bool) -> None:
        """One try with a client of its own; the next scheduled when the plant does not take it."""
        self.attempts += 1
        action = self.action
        store = action_store(self.hass, self.entry.entry_id)
        plant = PlantInfo.from_data(str(self.entry.unique_id), self.entry.data)
        # Read-only: the only writes this client makes are undos.
        client = SigenergyClient(plant.host, plant.port, read_only=True)
        try:
            if not action.reverting:
                action.reverting = True
                await async_save_action(store, action)
            await async_revert_on_plant(client, action, source="revert (not loaded)")
        except SigenergyError as err:
            self.last_error = str(err)
            self._failed(err, retry=retry)
            return
        finally:
            await client.close()
        await store.async_remove()
        ir.async_delete_issue(self.hass, DOMAIN, issue_id("revert_failed", self.entry.entry_id))
        LOGGER.info(
            "The %s action of %s ended (deadline); the plant's own settings are back",
            action.action,
            self.entry.title,
        )
        self._finish()

    def _failed(self, err: SigenergyError, *, retry: bool) -> None:
        if not retry or self._stopped:
            LOGGER.warning(
                "Could not undo the %s action of %s before stopping (%s); the next start "
                "tries again",
                self.action.action,
                self.entry.title,
                err,
            )
            return
        delay = min(FIRST_RETRY * 2 ** (self.attempts - 1), LAST_RETRY)
        self._at(dt_util.utcnow() + delay)
        LOGGER.warning(
            "Could not undo the %s action of %s yet (%s); trying again at %s",
            self.action.action,
            self.entry.title,
            err,
            clock_time(dt_util.utcnow() + delay),
        )
        takeover = self.action.takeover
        placeholders = {
            "title": self.entry.title,
            "action": str(self.action.action),
            "error": str(err),
            "time": clock_time(dt_util.utcnow() + delay),
            "held": settings_text(takeover.targets),
            "original": settings_text(takeover.original),
        }
        if self.why == SETUP_FAILED:
            self._issue(
                translation_key="revert_failed_setup", translation_placeholders=placeholders
            )
        else:
            self._issue(
                translation_key="revert_failed_unloaded", translation_placeholders=placeholders
            )

    def _issue(self, *, translation_key: str, translation_placeholders: dict[str, str]) -> None:
        """The one repair issue about the entry's revert (the controller's too)."""
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id("revert_failed", self.entry.entry_id),
            is_fixable=False,
            is_persistent=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=translation_key,
            translation_placeholders=translation_placeholders,
        )

    def _finish(self) -> None:
        """Done: the revert went through."""
        self._release()
        rescues = self.hass.data.get(RESCUES, {})
        if rescues.get(self.entry.entry_id) is self:
            del rescues[self.entry.entry_id]

    def _release(self) -> None:
        if self._timer is not None:
            self._timer()
            self._timer = None
        if self._unsub_stop is not None:
            self._unsub_stop()
            self._unsub_stop = None

    async def async_stop(self) -> None:
        """Stop: let a try under way finish, then no more."""
        self._stopped = True
        self._release()
        if self._task is not None and not self._task.done():
            await asyncio.wait({self._task})

    async def _on_hass_stop(self, _: Event) -> None:
        """Home Assistant stops: a revert that is due is tried once more, now."""
        self._unsub_stop = None
        self._stopped = True
        if self._timer is not None:
            self._timer()
            self._timer = None
        if self._task is not None and not self._task.done():
            await asyncio.wait({self._task})  # Home Assistant cancelled it
        if (
            self.action.due(dt_util.utcnow())
            and self.hass.data.get(RESCUES, {}).get(self.entry.entry_id) is self
        ):
            await self._attempt(retry=False)

    def diagnostics(self) -> dict[str, Any]:
        """What the rescue holds and how its tries went."""
        return {
            "why": self.why,
            "action": self.action.as_data(),
            "attempts": self.attempts,
            "last_error": self.last_error,
            "next_attempt": None if self.next_attempt is None else self.next_attempt.isoformat(),
        }


async def async_take_over(hass: HomeAssistant, entry_id: str) -> None:
    """Setup's first step: stop the entry's rescue, if any (a try under way finishes first)."""
    rescue = hass.data.get(RESCUES, {}).pop(entry_id, None)
    if rescue is not None:
        await rescue.async_stop()


async def async_hand_over(hass: HomeAssistant, entry: ConfigEntry, why: str) -> None:
    """The entry is not loaded: a stored action's revert goes on without it.

    Never raises: it runs where setup failed or the entry unloaded, and must
    hide neither.
    """
    try:
        action = await async_load_action(action_store(hass, entry.entry_id))
        if action is None:
            return
        await async_take_over(hass, entry.entry_id)
        rescue = ActionRescue(hass, entry, action, why)
        hass.data.setdefault(RESCUES, {})[entry.entry_id] = rescue
        rescue.start()
    except Exception:  # noqa: BLE001 - the error that brought us here is the one to raise
        LOGGER.exception("Could not hand the stored action of %s over", entry.title)


def rescue_of(hass: HomeAssistant, entry_id: str) -> ActionRescue | None:
    """The entry's rescue, if one runs."""
    return hass.data.get(RESCUES, {}).get(entry_id)
