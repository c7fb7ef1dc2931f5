"""Fault injection: the integration under faults of the network and the plant."""
