"""Tests of the Home Assistant integration, against the simulator over TCP."""
