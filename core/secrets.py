"""Secrets (SIP passwords, API keys) in the OS keyring, never in the settings file or the logs.

An environment variable `EARPIECE_SECRET_<NAME>` (non-alphanumerics of the name become `_`, so
`sip:alice` -> `EARPIECE_SECRET_SIP_ALICE`) overrides the keyring for headless nodes. When no usable
keyring backend exists the error says how to fix it; there is no plain-text fallback.
"""

from __future__ import annotations

import os
import re

import keyring
import keyring.backend
import keyring.errors

from earpiece.core.redaction import register_secret

SERVICE = "earpiece"

# Backends that are no keyring at all, or that would keep the secret in a plain-text file.
_UNUSABLE_BACKENDS = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt.file")


class SecretStoreUnavailableError(RuntimeError):
    pass


class SecretMissingError(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


def env_name(name: str) -> str:
    return "EARPIECE_SECRET_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def _backends(ring: keyring.backend.KeyringBackend) -> list[keyring.backend.KeyringBackend]:
    return list(getattr(ring, "backends", [ring]))


def backend_description() -> str:
    ring = keyring.get_keyring()
    names = ", ".join(f"{type(b).__module__}.{type(b).__name__}" for b in _backends(ring))
    return names or f"{type(ring).__module__}.{type(ring).__name__} (no backends)"


def keyring_usable() -> bool:
    backends = _backends(keyring.get_keyring())
    return any(not type(b).__module__.startswith(_UNUSABLE_BACKENDS) for b in backends)


def _unavailable(name: str, cause: str) -> SecretStoreUnavailableError:
    return SecretStoreUnavailableError(
        f"No usable OS keyring for the secret {name!r} ({cause}). On Linux install and unlock a "
        "Secret Service keyring (GNOME Keyring or KWallet) in your desktop session; on a headless "
        f"node pass the secret in the environment variable {env_name(name)} instead."
    )


def get_secret(name: str) -> str:
    from_env = os.environ.get(env_name(name))
    if from_env:
        register_secret(from_env)
        return from_env
    if not keyring_usable():
        raise _unavailable(name, f"backend: {backend_description()}")
    try:
        value = keyring.get_password(SERVICE, name)
    except keyring.errors.KeyringError as exc:
        raise _unavailable(name, f"{type(exc).__name__}: {exc}") from exc
    if value is None:
        raise SecretMissingError(
            f"No secret {name!r} is stored. Enter it in Settings, or set {env_name(name)}."
        )
    register_secret(value)
    return value


def set_secret(name: str, value: str) -> None:
    if not keyring_usable():
        raise _unavailable(name, f"backend: {backend_description()}")
    register_secret(value)
    try:
        keyring.set_password(SERVICE, name, value)
    except keyring.errors.KeyringError as exc:
        raise _unavailable(name, f"{type(exc).__name__}: {exc}") from exc


def delete_secret(name: str) -> None:
    """Forget a secret; deleting one that is not stored is not an error."""
    if not keyring_usable():
        raise _unavailable(name, f"backend: {backend_description()}")
    try:
        keyring.delete_password(SERVICE, name)
    except keyring.errors.PasswordDeleteError:
        pass
    except keyring.errors.KeyringError as exc:
        raise _unavailable(name, f"{type(exc).__name__}: {exc}") from exc
