"""Reads shared between polls: optional registers ride along, recent values are reused."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.sigenergy_modbus.protocol.client import SigenergyClient
from custom_components.sigenergy_modbus.protocol.planner import ReadPlanner
from custom_components.sigenergy_modbus.protocol.registers import BY_KEY, REGISTERS, DeviceKind
from simulator import PlantSimulator

PLANT = [r for r in REGISTERS if r.device is DeviceKind.PLANT and r.access.readable]


def _keys(blocks):  # type: ignore[no-untyped-def]
    return [[r.key for r in b.registers] for b in blocks]


def test_optional_rides_forward_backward_and_inside() -> None:
    """Optional registers join reads that happen anyway, in every direction."""
    planner = ReadPlanner()
    required = [
        BY_KEY["grid_sensor_active_power"],
        BY_KEY["plant_ess_power"],
        BY_KEY["total_load_power"],
    ]
    optional = [
        BY_KEY["system_time"],  # before the first read
        BY_KEY["grid_status"],  # inside it
        BY_KEY["plant_pv_energy_total"],  # after it
        BY_KEY["grid_import_energy_total_legacy"],  # before the second read
        BY_KEY["smart_load_1_power"],  # fits in neither
    ]
    blocks = planner.plan(247, required, optional)
    assert len(blocks) == len(planner.plan(247, required)) == 2
    first, second = _keys(blocks)
    assert first[0] == "system_time"
    assert "grid_status" in first
    assert first[-1] == "plant_pv_energy_total"
    assert second[0] == "grid_import_energy_total_legacy"
    assert all("smart_load_1_power" not in keys for keys in (first, second))
    assert all(b.count <= 124 for b in blocks)


def test_optional_alone_is_not_read() -> None:
    """Without a required register there is no read to ride along."""
    assert ReadPlanner().plan(247, [], [BY_KEY["plant_ess_soc"]]) == []


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    required=st.lists(st.sampled_from(PLANT), min_size=1, max_size=25, unique=True),
    optional=st.lists(st.sampled_from(PLANT), max_size=40, unique=True),
)
def test_optional_never_adds_a_read(required, optional) -> None:  # type: ignore[no-untyped-def]
    """Riding along never costs a request, never breaks the 124 limit or a register."""
    planner = ReadPlanner()
    alone = planner.plan(247, required)
    shared = planner.plan(247, required, optional)
    assert len(shared) == len(alone)
    planned = [r for b in shared for r in b.registers]
    assert set(required) <= set(planned)
    assert set(planned) <= set(required) | set(optional)
    assert len(planned) == len(set(planned))
    for block in shared:
        assert block.count <= 124
        assert all(block.address <= r.address and r.end <= block.end for r in block.registers)


async def test_recent_values_are_reused(simulator: PlantSimulator) -> None:
    """A read within max_age of another takes its values without a request."""
    now = [100.0]
    client = SigenergyClient(simulator.host, simulator.port, clock=lambda: now[0])
    soc, soh = BY_KEY["plant_ess_soc"], BY_KEY["plant_ess_soh"]
    await client.read(247, [soc], optional=[soh])
    sent = simulator.stats.requests
    now[0] += 10
    values = await client.read(247, [soh], max_age=18)
    assert values == {"plant_ess_soh": simulator.value(247, "plant_ess_soh")}
    assert simulator.stats.requests == sent
    now[0] += 10  # 20 s old now: too old for max_age 18
    await client.read(247, [soh], max_age=18)
    assert simulator.stats.requests == sent + 1
    client.forget(247)
    await client.read(247, [soh], max_age=1000)
    assert simulator.stats.requests == sent + 2
    await client.close()
