"""Modbus TCP simulator of a whole Sigenergy SigenStor plant.

``PlantSimulator`` serves the plant (unit 247), its inverters (1..N) and an
optional AC charger (N+1) over Modbus TCP, with physics driven by simulated
time (``simulator.model``). Run it from the command line with
``python -m simulator --help``.
"""

from .model import ControlOptions, PlantModel, Scenario
from .server import Faults, PlantSimulator, Stats

__all__ = ["ControlOptions", "Faults", "PlantModel", "PlantSimulator", "Scenario", "Stats"]
