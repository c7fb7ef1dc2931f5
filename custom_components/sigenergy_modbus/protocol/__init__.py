"""Sigenergy Modbus Protocol V2.9: register map, codec, read planner and client.

Pure Python on pymodbus; nothing here imports Home Assistant.
"""
