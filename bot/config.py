"""Settings for the worker: a TOML file, overridden by `FOIBOT_*` environment variables.

The keys of DESIGN.md ("Service contract") are a contract with users' config files, so
they are spelled exactly as there; everything else here is an addition with a safe default.
With no config file at all the embedded default applies: a Maildir inbox and a Maildir
outbox under `data_dir`, nothing leaves the machine, so an empty allowlist may mean
"answer everyone" in that case only.

Secrets may live in files (`password_file`, `oauth2_token_file`); a secrets file that
group or others can read is refused, as ssh does, because a leaked mailbox password is
worse than a failed start.
"""

from __future__ import annotations

import os
import stat
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.errors import UserError
from bot.model import Limits

DEFAULT_DATA_DIR = "./foibot-data"
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "localhost.localdomain"})

TlsMode = Literal["ssl", "starttls", "none"]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MailboxSettings(Section):
    kind: Literal["maildir", "imap"] = "maildir"
    path: str = ""  # maildir; empty = DATA_DIR/inbox


class ImapSettings(Section):
    host: str = "localhost"
    port: int = 993
    tls: TlsMode = "ssl"
    username: str = ""
    password: SecretStr = SecretStr("")
    password_file: str = ""
    #: OAuth2 bearer token (XOAUTH2); when set it is used instead of the password
    oauth2_token: SecretStr = SecretStr("")
    oauth2_token_file: str = ""
    folder: str = "INBOX"
    processed_folder: str = ""  # move processed mail here; empty = flag only
    #: extra CA bundle (PEM) for a private CA; system CAs are used otherwise
    ca_file: str = ""
    timeout: float = 60.0
    #: IDLE is restarted before this many seconds (RFC 2177: servers may drop it after 30 min)
    idle_renew_seconds: float = 25 * 60
    #: reconnect backoff: first wait, then doubling up to the maximum
    reconnect_min_seconds: float = 1.0
    reconnect_max_seconds: float = 300.0


class SendSettings(Section):
    kind: Literal["maildir", "smtp"] = "maildir"
    path: str = ""  # maildir; empty = DATA_DIR/outbox


class SmtpSettings(Section):
    host: str = "localhost"
    port: int = 587
    tls: TlsMode = "starttls"
    username: str = ""
    password: SecretStr = SecretStr("")
    password_file: str = ""
    from_address: str = "foibot@localhost"
    from_name: str = "FOI bot"
    ca_file: str = ""
    timeout: float = 60.0


class DigestSettings(Section):
    time: str = "07:30"
    timezone: str = "Europe/London"
    #: send a digest even on a day with nothing to say
    send_when_empty: bool = False


class ServiceLimits(Limits):
    """`[limits]`: the pipeline's limits (`bot.model.Limits`) plus the ones only the worker enforces."""

    #: a PDF with more pages than this is refused (quarantined); below it, the first max_pdf_pages are read
    max_pdf_document_pages: int = 2000
    #: wall-clock seconds one message's parse + triage may take (a watchdog kills it); 0 = no watchdog
    message_seconds: float = 60.0
    #: memory one message's analysis may add on top of the loaded model, in MB; 0 = no ceiling
    message_memory_mb: int = 1024


class AuthenticitySettings(Section):
    """`[authenticity]`: how forward mode checks that the forwarder is who From says (see authenticity.py)."""

    mode: Literal["off", "authres", "dkim"] = "off"
    #: authserv-id(s) of OUR receiving server, as it writes them in Authentication-Results
    trusted_authserv_id: list[str] = Field(default_factory=list)
    #: which aligned passes count in authres mode
    accept: list[Literal["dmarc", "dkim", "spf"]] = Field(default_factory=lambda: ["dmarc", "dkim", "spf"])
    dkim_min_key_bits: int = Field(default=1024, ge=512)

    @field_validator("trusted_authserv_id", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class RetentionSettings(Section):
    """How long letters are kept; 0 keeps them for ever. Cases, outcomes and deadlines always stay."""

    #: days after which the raw bytes of a received email are deleted (then it cannot be reprocessed)
    raw_days: int = Field(default=0, ge=0)
    #: days after which the letter text kept with a triage (evidence quotes, entities, the summary email) is deleted
    text_days: int = Field(default=0, ge=0)


class ObservabilitySettings(Section):
    """`/healthz` and `/metrics` over HTTP on a local port (0 = off)."""

    port: int = Field(default=0, ge=0, le=65535)
    host: str = "127.0.0.1"
    #: Prometheus metrics at /metrics (needs the prometheus-client package)
    metrics: bool = True
    #: /healthz answers 503 when the worker loop has not come round for this long
    stale_seconds: float = Field(default=900.0, gt=0)


class Settings(BaseSettings):
    """Everything `foibot run` needs; build it with `load_settings`."""

    model_config = SettingsConfigDict(env_prefix="FOIBOT_", env_nested_delimiter="__", extra="forbid")

    data_dir: str = DEFAULT_DATA_DIR
    mode: Literal["forward", "inbox"] = "forward"
    owner: str = ""
    allow: list[str] = Field(default_factory=list)
    mailbox: MailboxSettings = MailboxSettings()
    imap: ImapSettings = ImapSettings()
    send: SendSettings = SendSettings()
    smtp: SmtpSettings = SmtpSettings()
    digest: DigestSettings = DigestSettings()
    limits: ServiceLimits = ServiceLimits()
    authenticity: AuthenticitySettings = AuthenticitySettings()
    retention: RetentionSettings = RetentionSettings()
    observability: ObservabilitySettings = ObservabilitySettings()
    #: the classification rules; empty = the rules/ shipped with foibot (a copy lets you try changes)
    rules_dir: str = ""
    #: path of the SQLite state; empty = DATA_DIR/state.sqlite3
    state_path: str = ""
    #: tries before a message that keeps failing goes to quarantine
    max_attempts: int = Field(default=3, ge=1)
    #: summaries per recipient per hour; more wait in the outbox
    hourly_send_limit: int = Field(default=30, ge=1)
    #: summaries to all recipients together per hour (a spam-relay brake); more wait in the outbox
    global_hourly_send_limit: int = Field(default=300, ge=1)
    #: seconds between mailbox checks when there is no push (no IDLE, no inotify)
    poll_interval: float = Field(default=60.0, gt=0)
    #: first wait before re-trying a failed send; doubles per attempt up to an hour
    send_retry_seconds: float = Field(default=60.0, gt=0)
    #: monitored address, or "request-NNN" id of a WhatDoTheyKnow-style address -> requester
    requester_map: dict[str, str] = Field(default_factory=dict)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    #: set by load_settings: True only for the embedded default with an empty allowlist
    allow_everyone: bool = False

    @field_validator("allow")
    @classmethod
    def _lower_allow(cls, value: list[str]) -> list[str]:
        return [entry.strip().lower() for entry in value if entry.strip()]

    @field_validator("requester_map")
    @classmethod
    def _lower_map(cls, value: dict[str, str]) -> dict[str, str]:
        return {key.strip().lower(): addr.strip() for key, addr in value.items()}

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # precedence: command-line values > environment > TOML file > defaults
        return (init_settings, env_settings, _TomlData(settings_cls))

    # ------------------------------------------------------------ derived paths

    @property
    def inbox_path(self) -> Path:
        return Path(self.mailbox.path or Path(self.data_dir) / "inbox")

    @property
    def outbox_path(self) -> Path:
        return Path(self.send.path or Path(self.data_dir) / "outbox")

    @property
    def state_file(self) -> Path:
        return Path(self.state_path or Path(self.data_dir) / "state.sqlite3")


_toml_data: ContextVar[dict[str, Any]] = ContextVar("foibot_toml_data", default={})


class _TomlData(PydanticBaseSettingsSource):
    """The parsed TOML file as a settings source (parsed by `load_settings` for clear errors)."""

    def get_field_value(self, field, field_name):  # pragma: no cover - __call__ is used
        return _toml_data.get().get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_toml_data.get())


def load_settings(config_path: str | None, data_dir: str | None) -> Settings:
    """Read the TOML file (if any), apply the environment, resolve secret files, check safety."""
    data: dict[str, Any] = {}
    if config_path:
        data = _read_toml(Path(config_path))
    token = _toml_data.set(data)
    try:
        overrides: dict[str, Any] = {"data_dir": data_dir} if data_dir else {}
        settings = Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UserError(f"bad setting {where!r}: {first['msg']}") from None
    finally:
        _toml_data.reset(token)
    settings.imap.password = _secret(settings.imap.password, settings.imap.password_file, "imap.password_file")
    settings.imap.oauth2_token = _secret(
        settings.imap.oauth2_token, settings.imap.oauth2_token_file, "imap.oauth2_token_file"
    )
    settings.smtp.password = _secret(settings.smtp.password, settings.smtp.password_file, "smtp.password_file")
    embedded_default = not config_path and settings.mailbox.kind == "maildir" and settings.send.kind == "maildir"
    settings.allow_everyone = embedded_default and not settings.allow
    check_settings(settings)
    return settings


def check_settings(settings: Settings) -> None:
    """Refuse combinations that would leak a password or answer strangers."""
    if settings.mailbox.kind == "imap":
        _check_tls("imap", settings.imap.host, settings.imap.tls)
        if not settings.imap.username:
            raise UserError("imap.username is empty: set it in the config or FOIBOT_IMAP__USERNAME")
    if settings.send.kind == "smtp":
        _check_tls("smtp", settings.smtp.host, settings.smtp.tls)
    if settings.mode == "inbox" and not settings.owner:
        raise UserError("mode = 'inbox' needs `owner` (the address that receives the summaries)")
    if settings.authenticity.mode == "authres" and not settings.authenticity.trusted_authserv_id:
        raise UserError("authenticity.mode = 'authres' needs trusted_authserv_id (your receiving server's name)")


def _check_tls(section: str, host: str, tls: str) -> None:
    if tls == "none" and host.lower() not in LOCAL_HOSTS:
        raise UserError(f"{section}.tls = 'none' is only allowed to localhost, not {host!r}: use 'ssl' or 'starttls'")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise UserError(f"config file {path} does not exist") from None
    except IsADirectoryError:
        raise UserError(f"config file {path} is a directory") from None
    except PermissionError:
        raise UserError(f"config file {path}: permission denied") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"config file {path} is not valid TOML: {exc}") from None


def read_secret_file(path: str, key: str) -> str:
    """The first line of a private file; refuse it when group or others may read it."""
    file = Path(path).expanduser()
    try:
        mode = file.stat().st_mode
    except FileNotFoundError:
        raise UserError(f"{key}: {file} does not exist") from None
    except PermissionError:
        raise UserError(f"{key}: {file}: permission denied") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise UserError(f"{key}: {file} is readable by group or others; run: chmod 600 {file}")
    try:
        lines = file.read_text(encoding="utf-8").strip().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{key}: cannot read {file}: {exc.__class__.__name__}") from None
    return lines[0].strip() if lines else ""


def _secret(current: SecretStr, file: str, key: str) -> SecretStr:
    if not file:
        return current
    return SecretStr(read_secret_file(file, key))


def ensure_writable_dir(path: Path, what: str) -> Path:
    """Create `path` if needed and prove we can write there; a UserError names the problem."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create {what} {path}: {exc.strerror or exc}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UserError(f"{what} {path} is not writable")
    return path
