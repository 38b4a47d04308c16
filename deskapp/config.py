"""Deployment and user settings.

Precedence, highest first: command-line options, environment variables `DESKAPP_*` (nested with
`__`, e.g. `DESKAPP_SLA__WARN_FRACTION`), the TOML file named by `DESKAPP_CONFIG` or else
`<user config dir>/deskapp/config.toml`, then the defaults below. The desk works with no file
at all.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import platformdirs
from pydantic import BaseModel, Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

# Where the file is: shared with the light reader the sign-in screen is painted with.
from deskapp.first_settings import config_dir, config_file

__all__ = [
    "EvidenceSettings",
    "Settings",
    "SlaSettings",
    "SmtpSettings",
    "config_dir",
    "config_file",
    "load_settings",
]


class SlaSettings(BaseModel):
    #: A TOML SLA policy replacing the shipped one (deskapp/data/sla_policy.toml).
    policy_file: Path | None = None
    #: Extra folders searched for calendar files by name, before the shipped ones.
    calendar_dirs: list[Path] = Field(default_factory=lambda: [config_dir() / "calendars"])


#: What evidence files may be by default: photos, recordings, video, documents and mail. An
#: entry is an extension ("jpg") or a media type ("image/jpeg", "audio/*").
DEFAULT_EVIDENCE_TYPES = (
    *("jpg", "jpeg", "png", "gif", "webp", "heic", "heif"),
    *("pdf", "txt", "doc", "docx", "xls", "xlsx", "eml"),
    *("mp3", "m4a", "wav", "amr", "mp4", "mov"),
)


class EvidenceSettings(BaseModel):
    """Deployments differ in what evidence they take and where it may live: one host keeps it
    in its data folder, desks on many hosts need a shared folder or the database
    (deskapp.evidence)."""

    #: Files are kept here by content hash (`<sha[:2]>/<sha>`). Desks on several hosts that
    #: share one PostgreSQL database must share this folder too (a network mount), or keep
    #: every file in the database (`inline_max_bytes` as large as `max_bytes`).
    directory: Path = Field(
        default_factory=lambda: platformdirs.user_data_path("deskapp", appauthor=False) / "evidence"
    )
    #: The largest file taken, in bytes.
    max_bytes: int = Field(default=50_000_000, gt=0)
    #: Files up to this size are kept in the database instead (0: none).
    inline_max_bytes: int = Field(default=64 * 1024, ge=0)
    allowed_types: list[str] = Field(default_factory=lambda: list(DEFAULT_EVIDENCE_TYPES))

    @field_validator("allowed_types")
    @classmethod
    def _normalised(cls, value: list[str]) -> list[str]:
        return [t.strip().lower().lstrip(".") for t in value if t.strip(" .")]


def _outbox_dir() -> Path:
    return platformdirs.user_data_path("deskapp", appauthor=False) / "outbox"


class SmtpSettings(BaseModel):
    """The mail server written confirmations go out through (deskapp.mail). The password is
    never a setting kept with the others: it comes from the environment variable
    `DESKAPP_SMTP_PASSWORD`, else from `password_file`, and never reaches the database."""

    #: Empty: no server; letters are written as .eml files into `outbox_dir` instead.
    host: str = ""
    port: int = Field(default=587, ge=1, le=65535)
    #: Upgrade the connection with STARTTLS before logging in (the server must offer it).
    starttls: bool = True
    #: A CA bundle to trust beyond the system's (a relay with its own certificate authority).
    cafile: Path | None = None
    #: Log in when given (the password as said above).
    username: str = ""
    password_file: Path | None = None
    #: The From address, and the name shown with it.
    sender: str = ""
    sender_name: str = ""
    timeout_seconds: float = Field(default=30.0, gt=0)
    #: Seconds between this desk's looks at the outbox (0: leave it to other desks or to
    #: `deskapp mail --watch`).
    send_every_seconds: float = Field(default=30.0, ge=0)
    #: A letter the server did not take is tried again after this long, doubling each time up
    #: to `retry_max_seconds`; after `give_up_hours` of trying it is marked failed.
    retry_first_seconds: float = Field(default=60.0, gt=0)
    retry_max_seconds: float = Field(default=3600.0, gt=0)
    give_up_hours: float = Field(default=72.0, gt=0)
    #: Where letters are written when there is no server (to send by other means).
    outbox_dir: Path = Field(default_factory=_outbox_dir)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DESKAPP_", env_nested_delimiter="__", extra="ignore"
    )

    #: The desk's own time zone: case-number dates and "today" in messages.
    timezone: str = "Asia/Shanghai"
    #: "zh" or "en"; empty means: follow the locale (LC_ALL / LC_MESSAGES / LANG).
    language: str = ""
    default_channel: str = "phone"
    #: Plans with compensation above this amount need legal review.
    legal_review_amount: Decimal = Decimal("5000")
    #: A complaint from the same customer or on the same order within this many days is a repeat.
    repeat_window_days: int = 30
    sla: SlaSettings = Field(default_factory=SlaSettings)
    evidence: EvidenceSettings = Field(default_factory=EvidenceSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    #: Textual theme; "ansi" picks the 16-colour theme that follows the terminal's palette.
    theme: str = "textual-dark"
    #: Key remapping by binding id, e.g. {"app.new_complaint" = "f6"} (see docs/keys.md).
    keymap: dict[str, str] = Field(default_factory=dict)
    #: Ring the terminal bell with notifications about my cases.
    bell: bool = False
    #: Folders whose zh.toml / en.toml replace the shipped script templates (admins edit these).
    script_dirs: list[Path] = Field(default_factory=lambda: [config_dir() / "scripts"])
    #: Warn at sign-in this many days before a business calendar's holiday data runs out.
    calendar_warning_days: int = 60
    #: The secret that signs audit anchors (`deskapp audit keygen|anchor`). Keep it off the
    #: database host's backups, readable only by the admin account.
    audit_key_file: Path = Field(default_factory=lambda: config_dir() / "audit.key")
    #: Lock an unattended desk after this many minutes without a key or a click (0: never).
    #: The screen underneath and any draft survive; the password (or, signed in as the
    #: operating-system user, a key) opens it again.
    idle_lock_minutes: int = Field(default=10, ge=0)
    #: Seconds between this desk's sweeps of the escalation ladder (0: this desk leaves it to
    #: the others, or to `deskapp escalate --watch`). A rung reaches its people within this
    #: time of coming due, while any desk runs.
    escalate_every_seconds: float = Field(default=15.0, ge=0)
    #: The process's targets (DESIGN.md §1): the share of promises kept, per milestone, and the
    #: share of cases resolved; the breach board and the monthly analysis judge against them.
    on_time_target: float = Field(default=0.98, gt=0, le=1)
    resolution_target: float = Field(default=0.90, gt=0, le=1)
    #: A batch issue (批量问题): at least this many complaints with the same product, order
    #: batch, or category and keyword within the window (deskapp.batches).
    batch_min_cases: int = Field(default=5, ge=2)
    batch_window_hours: float = Field(default=24.0, gt=0)
    #: How an order reference names its batch: a regular expression whose first group is the
    #: batch ("^(.+)-[0-9]+$" reads SO-2026-11-0042 as batch SO-2026-11); "" leaves order
    #: batches out.
    order_batch_pattern: str = ""
    #: The department whose manager hears of every batch issue with the executive.
    quality_department: str = "QA"
    #: False runs the desk with the mouse off (keyboard-only workstations, some SSH clients).
    mouse: bool = True

    @field_validator("order_batch_pattern")
    @classmethod
    def _a_pattern_with_a_group(cls, value: str) -> str:
        if value:
            try:
                compiled = re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from None
            if compiled.groups < 1:
                raise ValueError("the pattern needs a group (…) that captures the batch")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        ZoneInfo(value)  # raises for an unknown zone, naming it
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=config_file()),
        )


@lru_cache(maxsize=1)
def load_settings() -> Settings:
    return Settings()
