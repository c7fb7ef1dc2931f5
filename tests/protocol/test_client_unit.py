"""Parts of the client that need no network: back-off, write guards, errors, read learning."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.sigenergy_modbus.protocol.client import (
    DEFAULT_PORT,
    DEFAULT_TIMEOUT,
    Backoff,
    ClientStats,
    SigenergyClient,
)
from custom_components.sigenergy_modbus.protocol.exceptions import (
    SigenergyConnectionError,
    SigenergyDeviceError,
    SigenergyError,
    SigenergyProtocolError,
    SigenergyReadOnlyError,
    SigenergyTimeoutError,
    SigenergyUnsupportedError,
    SigenergyValueError,
    SigenergyWriteVerificationError,
)
from custom_components.sigenergy_modbus.protocol.registers import (
    BY_KEY,
    DeviceKind,
    RegisterKind,
    registers_for,
)

if TYPE_CHECKING:
    from collections.abc import Collection

# -- back-off -------------------------------------------------------------------------------


def test_backoff_zero_failures() -> None:
    backoff = Backoff()
    assert backoff.delay(0) == 0.0
    assert backoff.delay(-3) == 0.0


@pytest.mark.parametrize(
    ("failures", "base"),
    [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 10.0), (10, 10.0), (50, 10.0)],
)
def test_backoff_exponential_and_capped(failures: int, base: float) -> None:
    backoff = Backoff()
    assert backoff.delay(failures, rand=lambda: 0.0) == base / 2
    assert backoff.delay(failures, rand=lambda: 1.0) == base
    assert backoff.delay(failures, rand=lambda: 0.5) == 0.75 * base


def test_backoff_custom_parameters() -> None:
    backoff = Backoff(initial=0.5, maximum=10.0, factor=3.0)
    assert [backoff.delay(n, rand=lambda: 1.0) for n in range(1, 6)] == [0.5, 1.5, 4.5, 10.0, 10.0]


def test_backoff_long_outage_below_overflow() -> None:
    assert Backoff().delay(1024, rand=lambda: 1.0) == 10.0


@pytest.mark.parametrize("failures", [1025, 10_000])
def test_backoff_after_many_failures_stays_at_maximum(failures: int) -> None:
    assert Backoff().delay(failures, rand=lambda: 1.0) == 10.0


@settings(max_examples=200, deadline=None)
@given(failures=st.integers(1, 1024))
def test_backoff_jitter_bounds(failures: int) -> None:
    backoff = Backoff()
    base = min(backoff.maximum, backoff.initial * backoff.factor ** (failures - 1))
    delay = backoff.delay(failures)  # the real random.random
    assert base / 2 <= delay <= base
    assert delay <= backoff.maximum


def test_backoff_grows_monotonically() -> None:
    backoff = Backoff()
    lows = [backoff.delay(n, rand=lambda: 0.0) for n in range(1, 20)]
    assert lows == sorted(lows)
    assert lows[-1] == backoff.maximum / 2


# -- a client that must not touch the network --------------------------------------------


def _offline_client(**kwargs) -> SigenergyClient:
    return SigenergyClient("127.0.0.1", 1, **kwargs)


def _assert_untouched(client: SigenergyClient) -> None:
    assert client.stats == ClientStats()
    assert not client.connected
    assert client.retry_in == 0.0


def test_client_defaults() -> None:
    client = SigenergyClient("192.0.2.1")
    assert client.port == DEFAULT_PORT == 502
    assert client.timeout == DEFAULT_TIMEOUT == 1.0
    assert not client.read_only
    _assert_untouched(client)


async def test_read_only_refuses_write() -> None:
    client = _offline_client(read_only=True)
    with pytest.raises(SigenergyReadOnlyError):
        await client.write(247, BY_KEY["ess_backup_soc"], 20)
    _assert_untouched(client)


async def test_read_only_refuses_write_coil() -> None:
    client = _offline_client(read_only=True)
    with pytest.raises(SigenergyReadOnlyError):
        await client.write_coil(1, 0, True)
    _assert_untouched(client)


async def test_read_only_refuses_even_invalid_values() -> None:
    """Read-only is checked first: nothing about the value leaks into the decision."""
    client = _offline_client(read_only=True)
    with pytest.raises(SigenergyReadOnlyError):
        await client.write(1, BY_KEY["running_state"], 1)
    _assert_untouched(client)


@pytest.mark.parametrize("key", ["running_state", "ess_soc", "serial_number", "alarm_1"])
async def test_write_read_only_register_before_connecting(key: str) -> None:
    client = _offline_client()
    value = "X" if key == "serial_number" else 1
    with pytest.raises(SigenergyValueError, match="read-only"):
        await client.write(1, BY_KEY[key], value)
    _assert_untouched(client)


@pytest.mark.parametrize(
    ("key", "value"),
    [("ess_backup_soc", 101), ("remote_ems_control_mode", 7), ("ess_backup_soc", 20.05)],
)
async def test_write_invalid_value_before_connecting(key: str, value: float) -> None:
    client = _offline_client()
    with pytest.raises(SigenergyValueError):
        await client.write(247, BY_KEY[key], value)
    _assert_untouched(client)


# -- exceptions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        SigenergyConnectionError,
        SigenergyTimeoutError,
        SigenergyProtocolError,
        SigenergyDeviceError,
        SigenergyUnsupportedError,
        SigenergyValueError,
        SigenergyReadOnlyError,
        SigenergyWriteVerificationError,
    ],
)
def test_every_error_is_a_sigenergy_error(error: type[Exception]) -> None:
    assert issubclass(error, SigenergyError)


def test_exception_hierarchy() -> None:
    assert issubclass(SigenergyTimeoutError, SigenergyConnectionError)
    assert issubclass(SigenergyProtocolError, SigenergyConnectionError)
    assert issubclass(SigenergyUnsupportedError, SigenergyDeviceError)
    assert not issubclass(SigenergyDeviceError, SigenergyConnectionError)
    assert issubclass(SigenergyReadOnlyError, SigenergyValueError)
    assert issubclass(SigenergyValueError, ValueError)
    assert not issubclass(SigenergyWriteVerificationError, SigenergyValueError)


def test_device_error_records_the_request() -> None:
    err = SigenergyUnsupportedError(0x02, 3, 0x04, 30500)
    assert (err.code, err.unit_id, err.function_code, err.address) == (0x02, 3, 0x04, 30500)
    assert str(err) == "unit 3 answered exception 0x02 to function 0x04 at address 30500"
    assert err.code == SigenergyDeviceError.ILLEGAL_DATA_ADDRESS
    assert SigenergyDeviceError.ILLEGAL_FUNCTION == 0x01
    assert SigenergyDeviceError.SLAVE_DEVICE_BUSY == 0x06


# -- planned reads against a fake device (no network) ----------------------------------------


class FakeDevice:
    """Answers ``read_words`` like a device that refuses some addresses with 0x02."""

    def __init__(self, refused: Collection[int]) -> None:
        self.refused = set(refused)
        self.requests: list[tuple[int, int, bool]] = []

    async def read_words(
        self,
        unit_id: int,
        kind: RegisterKind,
        address: int,
        count: int,
        *,
        timeout: float | None = None,
    ) -> list[int]:
        refused = any(a in self.refused for a in range(address, address + count))
        self.requests.append((address, count, refused))
        if refused:
            raise SigenergyUnsupportedError(0x02, unit_id, kind.value, address)
        return [(a * 7) & 0x7FFF for a in range(address, address + count)]

    def poll(self) -> list[tuple[int, int, bool]]:
        requests, self.requests = self.requests, []
        return requests


def _client_with(device: FakeDevice) -> SigenergyClient:
    client = _offline_client()
    client.read_words = device.read_words  # type: ignore[method-assign]
    return client


async def test_read_decodes_whole_registers() -> None:
    device = FakeDevice(refused=())
    client = _client_with(device)
    wanted = registers_for(DeviceKind.INVERTER)
    values = await client.read(1, wanted)
    assert set(values) == {r.key for r in wanted if r.access.readable}
    assert len(device.poll()) == 5
    assert values["running_state"] == (30578 * 7) & 0x7FFF


async def test_read_learns_unsupported_register() -> None:
    """A register refused on its own is dropped; the rest is still read every poll."""
    unsupported = BY_KEY["pv5_voltage"]
    device = FakeDevice(refused=range(unsupported.address, unsupported.end))
    client = _client_with(device)
    wanted = registers_for(DeviceKind.INVERTER)
    expected = {r.key for r in wanted if r.access.readable} - {unsupported.key}
    polls = []
    for _ in range(4):
        values = await client.read(1, wanted)
        assert set(values) == expected
        polls.append(device.poll())
    assert client.planner.unsupported(1) == {unsupported.key}
    # Poll 1 bisects down to the register; from poll 3 on nothing is refused.
    assert any(refused for _, _, refused in polls[0])
    assert sum(refused for _, _, refused in polls[1]) <= 1
    assert not any(refused for _, _, refused in polls[2])
    assert polls[2] == polls[3]
    assert len(polls[3]) == 6  # the 31000-31105 read becomes two


async def test_no_refused_read_after_register_marked_unsupported() -> None:
    unsupported = BY_KEY["pv5_voltage"]
    device = FakeDevice(refused=range(unsupported.address, unsupported.end))
    client = _client_with(device)
    wanted = registers_for(DeviceKind.INVERTER)
    await client.read(1, wanted)
    device.poll()
    await client.read(1, wanted)
    assert not any(refused for _, _, refused in device.poll())


async def test_read_learns_refused_reserved_gaps() -> None:
    """A device that refuses reads across Reserved rows costs refusals once, then never."""
    device = FakeDevice(refused=[*range(30554, 30566), *range(30610, 30613)])
    client = _client_with(device)
    wanted = registers_for(DeviceKind.INVERTER)
    expected = {r.key for r in wanted if r.access.readable}
    polls = []
    for _ in range(4):
        assert set(await client.read(1, wanted)) == expected
        polls.append(device.poll())
    assert client.planner.unsupported(1) == frozenset()
    assert client.planner.unbridgeable(1, RegisterKind.INPUT) == {
        *range(30554, 30566),
        *range(30610, 30613),
    }
    assert not any(refused for _, _, refused in polls[2])
    assert polls[2] == polls[3]
    assert len(polls[3]) == 7  # 30500-30623 becomes three reads


async def test_read_other_exception_propagates() -> None:
    class Busy(FakeDevice):
        async def read_words(self, unit_id, kind, address, count, *, timeout=None):
            raise SigenergyUnsupportedError(0x01, unit_id, kind.value, address)

    client = _client_with(Busy(refused=()))
    with pytest.raises(SigenergyUnsupportedError):
        await client.read(1, [BY_KEY["running_state"]])
    assert client.planner.unsupported(1) == frozenset()
