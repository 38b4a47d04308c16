"""The few settings the sign-in screen needs before anything else, read without pydantic.

`deskapp.config.Settings` (pydantic-settings) costs about as much to import as Textual itself,
so `deskapp run` paints its sign-in screen with these and loads the full settings in the worker
that opens the desk. The sources and their order are the same (`DESKAPP_*` environment
variables, case-insensitive, nested with `__`; then the TOML file; then the defaults), and
`tests/deskapp/test_first_settings.py` holds the two readers to each other.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

PREFIX = "DESKAPP_"
_TRUE = {"1", "on", "t", "true", "y", "yes"}
_FALSE = {"0", "off", "f", "false", "n", "no"}


def config_dir() -> Path:
    return platformdirs.user_config_path("deskapp", appauthor=False)


def config_file() -> Path:
    named = os.environ.get("DESKAPP_CONFIG")
    return Path(named).expanduser() if named else config_dir() / "config.toml"


@dataclass
class FirstSettings:
    """What the first frame depends on; the defaults are `deskapp.config.Settings`'s."""

    language: str = ""
    theme: str = "textual-dark"
    keymap: dict[str, str] = field(default_factory=dict)
    mouse: bool = True
    #: Checked before the desk starts, as before: a broken template stops `deskapp run`.
    script_dirs: list[Path] = field(default_factory=lambda: [config_dir() / "scripts"])


def first_settings() -> FirstSettings:
    """The settings the sign-in screen needs. A value the full settings would refuse is left
    at its default here: the worker that loads them says what is wrong."""
    values: dict[str, Any] = {}
    path = config_file()
    if path.is_file():
        try:
            values.update(tomllib.loads(path.read_text(encoding="utf-8")))
        except Exception:  # the full settings report it
            values = {}
    env = {k.lower(): v for k, v in os.environ.items() if k.upper().startswith(PREFIX)}
    prefix = PREFIX.lower()
    for name in ("language", "theme", "mouse"):
        if prefix + name in env:
            values[name] = env[prefix + name]
    keymap = values.get("keymap")
    keymap = dict(keymap) if isinstance(keymap, dict) else {}
    if prefix + "keymap" in env:
        try:
            keymap = dict(json.loads(env[prefix + "keymap"]))
        except (ValueError, TypeError):
            keymap = {}
    dirs = values.get("script_dirs")
    if prefix + "script_dirs" in env:
        try:
            dirs = json.loads(env[prefix + "script_dirs"])
        except ValueError:
            dirs = None
    nested = prefix + "keymap__"
    keymap.update({k[len(nested) :]: v for k, v in env.items() if k.startswith(nested)})
    return FirstSettings(
        language=_text(values.get("language"), ""),
        theme=_text(values.get("theme"), "textual-dark"),
        keymap={str(k): str(v) for k, v in keymap.items()},
        mouse=_flag(values.get("mouse"), True),
        script_dirs=[Path(d) for d in dirs]
        if isinstance(dirs, list) and all(isinstance(d, str) for d in dirs)
        else [config_dir() / "scripts"],
    )


def _text(value: object, default: str) -> str:
    return value if isinstance(value, str) else default


def _flag(value: object, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    return default
