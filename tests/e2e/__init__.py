"""End-to-end tests: Chromium drives Home Assistant, which talks to the simulator."""
