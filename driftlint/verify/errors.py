"""The one error `driftlint verify` reports as a single line with exit code 2."""

from __future__ import annotations

from driftlint.config import ConfigError


class VerifyError(ConfigError):
    """A problem that stops verification (unreachable server, bad credentials, no driver...).

    The message is shown to the user as one line and must already be free of passwords.
    """
