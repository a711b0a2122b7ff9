"""One base class for every mistake a user can make: a bad value, a missing file, data or an
attack that does not fit. The command lines print ``error: <message>`` and exit with status 2
for any :class:`UserError` (``--verbose`` adds the traceback); anything else is a bug and keeps
its traceback. Subclass it (``DatasetError``, ``AttackError``, ...) rather than matching on
messages or class names.
"""

from __future__ import annotations


class UserError(ValueError):
    """A user's mistake; the message names the bad value and what was expected."""


class UnknownNameError(UserError, KeyError):
    """A name a registry does not know (model, optimizer, defense, baseline, strategy, ...); the
    message lists the known names. A ``KeyError`` too, for callers that look names up."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""
