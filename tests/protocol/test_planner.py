"""The read planner: fewest reads, whole registers, and what it learns from refusals.

The optimum is computed here independently: dynamic programming over the
wanted registers of each register space, sorted by address, where one read may
cover registers i..j when it spans at most ``MAX`` addresses and every address
between two consecutive wanted registers belongs to a readable row of the
protocol's tables (tests/data/registers.csv, registers or Reserved).
"""

from __future__ import annotations

import random
from math import inf
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.sigenergy_modbus.protocol.planner import (
    TABLE_ADDRESSES,
    ReadBlock,
    ReadPlanner,
)
from custom_components.sigenergy_modbus.protocol.registers import (
    BY_KEY,
    MAX_READ_REGISTERS,
    PLANT_UNIT_ID,
    REGISTERS,
    DeviceKind,
    Register,
    RegisterKind,
    registers_for,
)

from .protocol_data import table_addresses

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable

PLANNER_SETTINGS = settings(max_examples=120, deadline=None, derandomize=True)
READABLE = [r for r in REGISTERS if r.access.readable]
WRITE_ONLY = [r for r in REGISTERS if not r.access.readable]
INVERTER_UNIT = 1
AC_CHARGER_UNIT = 2


def optimum(
    registers: Iterable[Register],
    max_registers: int = MAX_READ_REGISTERS,
    refused: Collection[tuple[str, str]] = (),
    refused_addresses: Collection[int] = (),
) -> int:
    """Fewest reads covering the readable registers.

    ``refused`` pairs are never bridged, nor a gap holding a ``refused_addresses`` address.
    """
    bridgeable = table_addresses()
    total = 0
    for kind in RegisterKind:
        regs = sorted(
            (r for r in set(registers) if r.access.readable and r.kind is kind),
            key=lambda r: r.address,
        )
        n = len(regs)
        # bad[k]: no read may cover both regs[k] and regs[k + 1].
        bad = [
            (regs[k].key, regs[k + 1].key) in refused
            or not all(a in bridgeable for a in range(regs[k].end, regs[k + 1].address))
            or any(a in refused_addresses for a in range(regs[k].end, regs[k + 1].address))
            for k in range(n - 1)
        ]
        bad_before = [0]
        for flag in bad:
            bad_before.append(bad_before[-1] + flag)
        best = [0.0] + [inf] * n  # best[j]: fewest reads covering regs[:j]
        for j in range(1, n + 1):
            for i in range(j):  # one read covering regs[i:j]
                span = regs[j - 1].end - regs[i].address
                if span <= max_registers and bad_before[j - 1] - bad_before[i] == 0:
                    best[j] = min(best[j], best[i] + 1)
        total += int(best[n])
    return total


def check_blocks(
    blocks: list[ReadBlock],
    unit_id: int,
    wanted: Iterable[Register],
    max_registers: int = MAX_READ_REGISTERS,
) -> None:
    """Every block is one valid read, and together they cover exactly the readable wanted."""
    covered: list[Register] = []
    for block in blocks:
        assert block.unit_id == unit_id
        assert 1 <= block.count <= max_registers
        assert block.registers
        assert block.address == block.registers[0].address
        assert block.end == block.registers[-1].end
        assert block.end == block.address + block.count
        for register in block.registers:
            assert register.kind is block.kind
            assert block.address <= register.address
            assert register.end <= block.end
            assert register.access.readable
        addresses = [r.address for r in block.registers]
        assert addresses == sorted(addresses)
        for left, right in zip(block.registers, block.registers[1:], strict=False):
            assert all(a in table_addresses() for a in range(left.end, right.address))
        covered.extend(block.registers)
    readable = {r for r in wanted if r.access.readable}
    assert len(covered) == len(set(covered))
    assert set(covered) == readable


@st.composite
def wanted_registers(draw: st.DrawFn) -> list[Register]:
    """A random subset: of one device kind's registers or of the whole map, sparse or dense."""
    pool = draw(
        st.sampled_from(
            [
                sorted(REGISTERS, key=lambda r: (r.kind, r.address)),
                list(registers_for(DeviceKind.PLANT)),
                list(registers_for(DeviceKind.INVERTER)),
                list(registers_for(DeviceKind.AC_CHARGER)),
            ]
        )
    )
    if draw(st.booleans()):  # a contiguous stretch of the map
        start = draw(st.integers(0, len(pool) - 1))
        pool = pool[start : draw(st.integers(start + 1, len(pool)))]
    density = draw(st.sampled_from([0.03, 0.1, 0.3, 0.6, 0.9, 1.0]))
    rnd = random.Random(draw(st.integers(0, 2**32)))
    return [r for r in pool if rnd.random() < density]


# -- the optimum --------------------------------------------------------------------


def test_table_addresses_match_protocol_tables() -> None:
    assert table_addresses() == TABLE_ADDRESSES


@PLANNER_SETTINGS
@given(wanted=wanted_registers())
def test_fewest_reads(wanted: list[Register]) -> None:
    blocks = ReadPlanner().plan(INVERTER_UNIT, wanted)
    check_blocks(blocks, INVERTER_UNIT, wanted)
    assert len(blocks) == optimum(wanted)


@PLANNER_SETTINGS
@given(wanted=wanted_registers(), max_registers=st.integers(15, MAX_READ_REGISTERS))
def test_fewest_reads_smaller_limit(wanted: list[Register], max_registers: int) -> None:
    blocks = ReadPlanner(max_registers=max_registers).plan(INVERTER_UNIT, wanted)
    check_blocks(blocks, INVERTER_UNIT, wanted, max_registers)
    assert len(blocks) == optimum(wanted, max_registers)


@PLANNER_SETTINGS
@given(wanted=wanted_registers(), seed=st.integers(0, 2**32))
def test_order_and_duplicates_do_not_matter(wanted: list[Register], seed: int) -> None:
    shuffled = [*wanted, *wanted[: len(wanted) // 2]]
    random.Random(seed).shuffle(shuffled)
    planner = ReadPlanner()
    assert planner.plan(7, shuffled) == planner.plan(7, wanted)


def test_write_only_registers_never_planned() -> None:
    assert WRITE_ONLY  # 40000, 40159, 40500, 41000, 42000
    assert ReadPlanner().plan(PLANT_UNIT_ID, WRITE_ONLY) == []
    blocks = ReadPlanner().plan(PLANT_UNIT_ID, REGISTERS)
    planned = {r for b in blocks for r in b.registers}
    assert not planned & set(WRITE_ONLY)


def test_empty_plan() -> None:
    assert ReadPlanner().plan(1, []) == []


# The numbers the whole integration's poll cost rests on. They are also the
# independent optimum.
FULL_MAPS = [
    # (device, unit id, blocks, input blocks, holding blocks)
    (DeviceKind.PLANT, PLANT_UNIT_ID, 7, 3, 4),
    (DeviceKind.INVERTER, INVERTER_UNIT, 5, 3, 2),
    (DeviceKind.AC_CHARGER, AC_CHARGER_UNIT, 2, 1, 1),
]


@pytest.mark.parametrize(("device", "unit_id", "blocks", "inputs", "holdings"), FULL_MAPS)
def test_full_map_block_counts(
    device: DeviceKind, unit_id: int, blocks: int, inputs: int, holdings: int
) -> None:
    wanted = registers_for(device)
    plan = ReadPlanner().plan(unit_id, wanted)
    check_blocks(plan, unit_id, wanted)
    assert len(plan) == blocks
    assert len(plan) == optimum(wanted)
    assert sum(b.kind is RegisterKind.INPUT for b in plan) == inputs
    assert sum(b.kind is RegisterKind.HOLDING for b in plan) == holdings


def test_full_plant_map_blocks() -> None:
    plan = ReadPlanner().plan(PLANT_UNIT_ID, registers_for(DeviceKind.PLANT))
    assert [(b.kind, b.address, b.count) for b in plan] == [
        (RegisterKind.HOLDING, 40001, 68),  # 40001-40068, across Reserved 40026-40028
        (RegisterKind.HOLDING, 40157, 2),
        (RegisterKind.HOLDING, 50000, 123),
        (RegisterKind.HOLDING, 50123, 61),
        (RegisterKind.INPUT, 30000, 124),  # across Reserved 30073-30082
        (RegisterKind.INPUT, 30124, 124),
        (RegisterKind.INPUT, 30248, 39),
    ]


def test_full_inverter_map_blocks() -> None:
    plan = ReadPlanner().plan(INVERTER_UNIT, registers_for(DeviceKind.INVERTER))
    assert [(b.kind, b.address, b.count) for b in plan] == [
        (RegisterKind.HOLDING, 41002, 4),
        (RegisterKind.HOLDING, 41501, 7),  # 41500 is Reserved but readable
        (RegisterKind.INPUT, 30500, 124),  # 30500-30623 exactly, across 30554 and 30610
        (RegisterKind.INPUT, 31000, 106),
        (RegisterKind.INPUT, 31500, 27),
    ]


def test_blocks_do_not_bridge_outside_tables() -> None:
    """40069-40156 is Reserved (readable) but 41001 is Reserved write-only, 30287-30499 unknown."""
    assert 40100 in TABLE_ADDRESSES
    assert 41001 not in TABLE_ADDRESSES
    assert 30300 not in TABLE_ADDRESSES
    plan = ReadPlanner().plan(
        1, [BY_KEY["dc_charger_start_stop"], BY_KEY["dc_charger_max_charging_power_limit"]]
    )
    assert [(b.address, b.count) for b in plan] == [(41002, 2)]
    plan = ReadPlanner().plan(
        1, [BY_KEY["plant_ess_average_cell_temperature"], BY_KEY["model_type"]]
    )
    assert len(plan) == 2
    plan = ReadPlanner().plan(
        PLANT_UNIT_ID,
        [BY_KEY["under_frequency_boost_cut_off_frequency"], BY_KEY["pcc_power_factor_import"]],
    )
    assert [(b.address, b.count) for b in plan] == [(40068, 90)]


def test_block_limit_is_exact() -> None:
    """30500-30623 is exactly 124 registers: one read; one more register needs two."""
    first, last = BY_KEY["model_type"], BY_KEY["ess_min_cell_voltage"]
    assert last.end - first.address == MAX_READ_REGISTERS
    assert len(ReadPlanner().plan(1, [first, last])) == 1
    assert len(ReadPlanner(max_registers=MAX_READ_REGISTERS - 1).plan(1, [first, last])) == 2


# -- split ----------------------------------------------------------------------------


def _block(unit_id: int, *keys: str) -> ReadBlock:
    (block,) = ReadPlanner().plan(unit_id, [BY_KEY[k] for k in keys])
    return block


def test_split_at_widest_gap() -> None:
    # Gaps: 30554-30565 (12, Reserved) and 30610-30612 (3, Reserved).
    block = next(
        b for b in ReadPlanner().plan(1, registers_for(DeviceKind.INVERTER)) if b.address == 30500
    )
    left, right = ReadPlanner().split(block)
    assert left.registers[-1].key == "ess_rated_discharge_power"
    assert right.registers[0].key == "ess_charge_energy_daily"
    assert (left.address, left.end) == (30500, 30554)
    assert (right.address, right.end) == (30566, 30624)
    assert left.registers + right.registers == block.registers


def test_split_widest_gap_from_unwanted_registers() -> None:
    block = _block(1, "pv1_voltage", "pv2_voltage", "pv4_current", "pv_power")
    # Gaps: 31028 (1), 31030-31033 (4), none.
    left, right = ReadPlanner().split(block)
    assert [r.key for r in left.registers] == ["pv1_voltage", "pv2_voltage"]
    assert [r.key for r in right.registers] == ["pv4_current", "pv_power"]


def test_split_without_gaps_cuts_in_the_middle() -> None:
    keys = [f"pv{i}_{q}" for i in range(1, 5) for q in ("voltage", "current")]
    block = _block(1, *keys)
    left, right = ReadPlanner().split(block)
    assert [r.key for r in left.registers] == keys[:4]
    assert [r.key for r in right.registers] == keys[4:]
    assert left.end == right.address


def test_split_two_registers() -> None:
    left, right = ReadPlanner().split(_block(1, "alarm_1", "alarm_2"))
    assert (left.address, left.count, right.address, right.count) == (30605, 1, 30606, 1)


@PLANNER_SETTINGS
@given(wanted=wanted_registers(), data=st.data())
def test_split_property(wanted: list[Register], data: st.DataObject) -> None:
    planner = ReadPlanner()
    blocks = [b for b in planner.plan(3, wanted) if len(b.registers) > 1]
    if not blocks:
        return
    block = data.draw(st.sampled_from(blocks))
    left, right = planner.split(block)
    assert left.registers + right.registers == block.registers
    assert left.registers
    assert right.registers
    assert (left.unit_id, left.kind) == (right.unit_id, right.kind) == (block.unit_id, block.kind)
    gaps = [b.address - a.end for a, b in zip(block.registers, block.registers[1:], strict=False)]
    assert right.address - left.end == max(gaps)


# -- learning from refusals ------------------------------------------------------------------


def test_mark_unbridgeable_splits_exactly_there() -> None:
    planner = ReadPlanner()
    before = planner.plan(1, registers_for(DeviceKind.INVERTER))
    block = next(b for b in before if b.address == 30500)
    left, right = planner.split(block)
    planner.mark_unbridgeable(1, left, right)
    assert planner.unbridgeable(1, RegisterKind.INPUT) == frozenset(range(30554, 30566))
    after = planner.plan(1, registers_for(DeviceKind.INVERTER))
    assert len(after) == len(before) + 1
    assert left in after
    assert right in after
    assert [b for b in after if b not in (left, right)] == [b for b in before if b is not block]
    # Learned per unit and per register space.
    other = planner.plan(2, registers_for(DeviceKind.INVERTER))
    assert [(b.address, b.registers) for b in other] == [(b.address, b.registers) for b in before]
    assert planner.unbridgeable(1, RegisterKind.HOLDING) == frozenset()


def test_mark_unbridgeable_between_adjacent_registers() -> None:
    keys = [f"pv{i}_{q}" for i in range(1, 5) for q in ("voltage", "current")]
    planner = ReadPlanner()
    block = _block(1, *keys)
    left, right = planner.split(block)
    planner.mark_unbridgeable(1, left, right)
    assert planner.unbridgeable(1, RegisterKind.INPUT) == {right.address}
    assert planner.plan(1, [BY_KEY[k] for k in keys]) == [left, right]


@PLANNER_SETTINGS
@given(wanted=wanted_registers(), data=st.data())
def test_mark_unbridgeable_property(wanted: list[Register], data: st.DataObject) -> None:
    """After a refused gap is learned, the plan cuts there and is optimal with that cut."""
    planner = ReadPlanner()
    before = planner.plan(5, wanted)
    candidates = [b for b in before if len(b.registers) > 1]
    if not candidates:
        return
    block = data.draw(st.sampled_from(candidates))
    left, right = planner.split(block)
    planner.mark_unbridgeable(5, left, right)
    after = planner.plan(5, wanted)
    check_blocks(after, 5, wanted)
    cut = (left.registers[-1].key, right.registers[0].key)
    assert len(after) == optimum(wanted, refused={cut})
    assert len(before) <= len(after) <= len(before) + 1
    # Nothing before the refused gap changes; the read that hit it now ends there.
    same_kind_before = [b for b in before if b.kind is block.kind and b.address < block.address]
    assert all(b in after for b in same_kind_before)
    assert left in after
    assert any(b.address == right.address for b in after)
    # Other register spaces are untouched.
    assert [b for b in after if b.kind is not block.kind] == [
        b for b in before if b.kind is not block.kind
    ]


def test_mark_unsupported_drops_the_register() -> None:
    planner = ReadPlanner()
    wanted = [BY_KEY[k] for k in ("pv1_voltage", "pv1_current", "pv2_voltage")]
    planner.mark_unsupported(1, BY_KEY["pv1_current"])
    assert planner.unsupported(1) == {"pv1_current"}
    assert planner.unsupported(2) == frozenset()
    plan = planner.plan(1, wanted)
    assert all(BY_KEY["pv1_current"] not in b.registers for b in plan)
    check_blocks(plan, 1, [BY_KEY["pv1_voltage"], BY_KEY["pv2_voltage"]])
    # Other units still read it.
    assert planner.plan(2, wanted) == [_block(2, "pv1_voltage", "pv1_current", "pv2_voltage")]


def test_mark_unsupported_splits_only_at_that_register() -> None:
    """Marking one register splits the read it was in there, and nowhere else."""
    planner = ReadPlanner()
    full = registers_for(DeviceKind.INVERTER)
    before = planner.plan(1, full)
    gone = BY_KEY["pv5_voltage"]
    planner.mark_unsupported(1, gone)
    after = planner.plan(1, full)
    assert all(gone not in b.registers for b in after)
    assert all(not (b.address <= gone.address < b.end) for b in after)
    remaining = [r for r in full if r is not gone]
    assert len(after) == optimum(remaining, refused_addresses=range(gone.address, gone.end))
    assert len(after) == len(before) + 1


def test_plan_does_not_read_across_an_unsupported_register() -> None:
    planner = ReadPlanner()
    planner.mark_unsupported(1, BY_KEY["pv1_current"])
    plan = planner.plan(1, [BY_KEY["pv1_voltage"], BY_KEY["pv2_voltage"]])
    assert all(not (b.address <= 31028 < b.end) for b in plan)


@PLANNER_SETTINGS
@given(wanted=wanted_registers(), data=st.data())
def test_mark_unsupported_property(wanted: list[Register], data: st.DataObject) -> None:
    readable = [r for r in wanted if r.access.readable]
    if not readable:
        return
    gone = set(data.draw(st.lists(st.sampled_from(readable), max_size=5)))
    planner = ReadPlanner()
    for register in gone:
        planner.mark_unsupported(9, register)
    after = planner.plan(9, wanted)
    remaining = [r for r in wanted if r not in gone]
    check_blocks(after, 9, remaining)
    refused = {a for r in gone for a in range(r.address, r.end)}
    assert len(after) == optimum(remaining, refused_addresses=refused)
    assert all(not (b.address <= a < b.end) for b in after for a in refused)


def test_forget_one_unit() -> None:
    planner = ReadPlanner()
    full = registers_for(DeviceKind.INVERTER)
    fresh = planner.plan(1, full)
    for unit_id in (1, 2):
        planner.mark_unsupported(unit_id, BY_KEY["pv1_voltage"])
        block = next(b for b in planner.plan(unit_id, full) if b.address == 30500)
        planner.mark_unbridgeable(unit_id, *planner.split(block))
    planner.forget(1)
    assert planner.unsupported(1) == frozenset()
    assert planner.unbridgeable(1, RegisterKind.INPUT) == frozenset()
    assert planner.plan(1, full) == fresh
    assert planner.unsupported(2) == {"pv1_voltage"}
    assert planner.unbridgeable(2, RegisterKind.INPUT)
    assert len(planner.plan(2, full)) > len(fresh)


def test_forget_all() -> None:
    planner = ReadPlanner()
    full = registers_for(DeviceKind.INVERTER)
    fresh = {u: planner.plan(u, full) for u in (1, 2)}
    for unit_id in (1, 2):
        planner.mark_unsupported(unit_id, BY_KEY["pv1_voltage"])
        block = next(b for b in planner.plan(unit_id, full) if b.address == 30500)
        planner.mark_unbridgeable(unit_id, *planner.split(block))
    planner.forget()
    for unit_id in (1, 2):
        assert planner.unsupported(unit_id) == frozenset()
        assert planner.unbridgeable(unit_id, RegisterKind.INPUT) == frozenset()
        assert planner.plan(unit_id, full) == fresh[unit_id]


def test_forget_unknown_unit_is_harmless() -> None:
    planner = ReadPlanner()
    planner.forget(99)
    planner.forget()
    assert planner.unsupported(99) == frozenset()
