"""Exceptions of the protocol package, rooted in one base class."""

from __future__ import annotations


class SigenergyError(Exception):
    """Base of every error this package raises."""


class SigenergyConnectionError(SigenergyError):
    """The TCP connection could not be made or was lost."""


class SigenergyTimeoutError(SigenergyConnectionError):
    """The device did not answer in time; the connection is dropped."""


class SigenergyProtocolError(SigenergyConnectionError):
    """The device answered something that is not a valid reply to the request."""


class SigenergyDeviceError(SigenergyError):
    """The device answered with a Modbus exception reply.

    The connection stays up: an exception reply is an answer.
    """

    ILLEGAL_FUNCTION = 0x01
    ILLEGAL_DATA_ADDRESS = 0x02
    ILLEGAL_DATA_VALUE = 0x03
    SLAVE_DEVICE_FAILURE = 0x04
    SLAVE_DEVICE_BUSY = 0x06

    def __init__(self, code: int, unit_id: int, function_code: int, address: int) -> None:
        """Record which request got which exception code."""
        super().__init__(
            f"unit {unit_id} answered exception 0x{code:02X} to function 0x{function_code:02X} "
            f"at address {address}"
        )
        self.code = code
        self.unit_id = unit_id
        self.function_code = function_code
        self.address = address


class SigenergyUnsupportedError(SigenergyDeviceError):
    """The device does not support this function or address (0x01 / 0x02)."""


class SigenergyValueError(SigenergyError, ValueError):
    """A value cannot be encoded for a register, or a register cannot be written."""


class SigenergyReadOnlyError(SigenergyValueError):
    """A write was refused because the client is read-only or the register is."""


class SigenergyWriteVerificationError(SigenergyError):
    """The value read back after a write is not the value written."""
