"""Plan the fewest Modbus reads that cover a set of registers.

For each (unit id, register space) the planner sorts the wanted registers and
grows a read from the first one while the next register still ends within
``max_registers`` of the read's start and the gap before it can be bridged.
This greedy cover is optimal: no read can start earlier than the first
register it must cover, so starting there and reaching as far as possible
never needs more reads than any other plan.

A gap is bridged only where every address in it belongs to a protocol table
(a register or a Reserved row) and nothing learned says the device refuses
it. Whether a device accepts reads across Reserved addresses is not stated by
the protocol, so the planner learns it: when a read is answered with
exception 0x02 the client splits it (``split``) and reports back either an
unsupported register (``mark_unsupported``) or a gap the device refuses
(``mark_unbridgeable``). The next plan then avoids exactly that, and keeps
batching everything else, instead of falling back to one request a register.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .registers import MAX_READ_REGISTERS, REGISTERS, RESERVED, Register, RegisterKind

if TYPE_CHECKING:
    from collections.abc import Iterable


def _table_addresses() -> frozenset[int]:
    """Every address that a readable register or Reserved row occupies."""
    spans = [(r.address, r.end) for r in REGISTERS if r.access.readable]
    spans += [(r.address, r.end) for r in RESERVED if r.access.readable]
    return frozenset(a for start, end in spans for a in range(start, end))


TABLE_ADDRESSES = _table_addresses()


def _position(register: Register) -> tuple[RegisterKind, int]:
    return register.kind, register.address


def _within(run: list[Register], register: Register) -> bool:
    first, last = run[0], run[-1]
    return (
        register.kind is first.kind
        and first.address <= register.address
        and register.end <= last.end
    )


@dataclass(frozen=True, slots=True)
class ReadBlock:
    """One read request: a contiguous run of registers on one unit."""

    unit_id: int
    kind: RegisterKind
    address: int
    count: int
    registers: tuple[Register, ...]

    @property
    def end(self) -> int:
        """The first address after the block."""
        return self.address + self.count


@dataclass(slots=True)
class ReadPlanner:
    """Turns wanted registers into reads, and remembers what a device refused."""

    max_registers: int = MAX_READ_REGISTERS
    _unsupported: dict[int, set[str]] = field(default_factory=dict)
    _unbridgeable: dict[tuple[int, RegisterKind], set[int]] = field(default_factory=dict)

    def plan(
        self,
        unit_id: int,
        registers: Iterable[Register],
        optional: Iterable[Register] = (),
    ) -> list[ReadBlock]:
        """Return the fewest reads covering the readable, supported registers.

        ``optional`` registers ride along where they fit into those reads
        without adding one: a poll that reads a block anyway refreshes what a
        slower poll would otherwise ask for separately.
        """
        wanted = self._sorted(unit_id, registers)
        runs: list[list[Register]] = []
        for register in wanted:
            if runs and self._extends(unit_id, runs[-1], register):
                runs[-1].append(register)
            else:
                runs.append([register])
        extra = [r for r in self._sorted(unit_id, optional) if r not in set(wanted)]
        if extra and runs:
            self._absorb(unit_id, runs, extra)
        return [self._block(unit_id, run) for run in runs]

    def _sorted(self, unit_id: int, registers: Iterable[Register]) -> list[Register]:
        unsupported = self._unsupported.get(unit_id, set())
        return sorted(
            {r for r in registers if r.access.readable and r.key not in unsupported},
            key=lambda r: (r.kind, r.address),
        )

    def _absorb(self, unit_id: int, runs: list[list[Register]], extra: list[Register]) -> None:
        """Grow each run over optional registers, forwards then backwards, never adding a run."""
        taken: set[Register] = set()
        for index, run in enumerate(runs):
            limit = runs[index + 1][0] if index + 1 < len(runs) else None
            self._grow_forward(unit_id, run, extra, limit, taken)
        for index, run in enumerate(runs):
            floor = runs[index - 1][-1] if index else None
            self._grow_backward(unit_id, run, extra, floor, taken)
        for run in runs:  # optional registers that lie inside a read come free
            inside = [r for r in extra if r not in taken and _within(run, r)]
            taken.update(inside)
            run.extend(inside)
            run.sort(key=lambda r: r.address)

    def _grow_forward(
        self,
        unit_id: int,
        run: list[Register],
        extra: list[Register],
        limit: Register | None,
        taken: set[Register],
    ) -> None:
        for register in extra:
            if register in taken or _position(register) < (run[-1].kind, run[-1].end):
                continue
            if limit is not None and (register.kind, register.end) > _position(limit):
                return
            if not self._extends(unit_id, run, register):
                return
            run.append(register)
            taken.add(register)

    def _grow_backward(
        self,
        unit_id: int,
        run: list[Register],
        extra: list[Register],
        floor: Register | None,
        taken: set[Register],
    ) -> None:
        for register in reversed(extra):
            if register in taken or (register.kind, register.end) > _position(run[0]):
                continue
            if floor is not None and _position(register) < (floor.kind, floor.end):
                return
            fits = run[-1].end - register.address <= self.max_registers
            if not fits or not self._extends(unit_id, [register], run[0]):
                return
            run.insert(0, register)
            taken.add(register)

    def _extends(self, unit_id: int, run: list[Register], register: Register) -> bool:
        first, last = run[0], run[-1]
        if register.kind is not first.kind or register.end - first.address > self.max_registers:
            return False
        gap = range(last.end, register.address)
        if not all(a in TABLE_ADDRESSES for a in gap):
            return False
        refused = self._unbridgeable.get((unit_id, register.kind), set())
        return not any(a in refused for a in (gap or (last.end,)))

    @staticmethod
    def _block(unit_id: int, run: list[Register]) -> ReadBlock:
        start = run[0].address
        return ReadBlock(unit_id, run[0].kind, start, run[-1].end - start, tuple(run))

    def split(self, block: ReadBlock) -> tuple[ReadBlock, ReadBlock]:
        """Split a refused read in two at its widest gap between registers."""
        regs = block.registers
        cut = max(
            range(1, len(regs)),
            key=lambda i: (regs[i].address - regs[i - 1].end, -abs(2 * i - len(regs))),
        )
        return (
            self._block(block.unit_id, list(regs[:cut])),
            self._block(block.unit_id, list(regs[cut:])),
        )

    def mark_unsupported(self, unit_id: int, register: Register) -> None:
        """Remember that a unit refuses a register; no read asks for or spans it again."""
        self._unsupported.setdefault(unit_id, set()).add(register.key)
        refused = self._unbridgeable.setdefault((unit_id, register.kind), set())
        refused.update(range(register.address, register.end))

    def mark_unbridgeable(self, unit_id: int, left: ReadBlock, right: ReadBlock) -> None:
        """Remember that a unit refuses reads across the gap between two reads."""
        refused = self._unbridgeable.setdefault((unit_id, left.kind), set())
        refused.update(range(left.end, right.address) or (left.end,))

    def unsupported(self, unit_id: int) -> frozenset[str]:
        """Keys of the registers a unit has refused."""
        return frozenset(self._unsupported.get(unit_id, set()))

    def unbridgeable(self, unit_id: int, kind: RegisterKind) -> frozenset[int]:
        """Gap addresses a unit refuses to read across."""
        return frozenset(self._unbridgeable.get((unit_id, kind), set()))

    def forget(self, unit_id: int | None = None) -> None:
        """Forget what was learned (all units, or one), e.g. after a firmware change."""
        if unit_id is None:
            self._unsupported.clear()
            self._unbridgeable.clear()
            return
        self._unsupported.pop(unit_id, None)
        for key in [k for k in self._unbridgeable if k[0] == unit_id]:
            del self._unbridgeable[key]
