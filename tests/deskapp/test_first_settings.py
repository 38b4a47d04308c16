"""The light reader `deskapp run` paints its sign-in screen with reads what the full settings
read (the same file, the same environment variables, the same order)."""

from __future__ import annotations

from pathlib import Path

import pytest

from deskapp.config import Settings
from deskapp.first_settings import first_settings

TOML = """
language = "en"
theme = "ansi"
mouse = false
script_dirs = ["/srv/desk/scripts", "/etc/desk/scripts"]
[keymap]
"app.help" = "f12"
"app.queue" = "f6"
"""

CASES: list[tuple[str, dict[str, str]]] = [
    ("", {}),
    (TOML, {}),
    (TOML, {"DESKAPP_LANGUAGE": "zh", "DESKAPP_THEME": "nord", "DESKAPP_MOUSE": "1"}),
    (TOML, {"deskapp_theme": "gruvbox", "DESKAPP_MOUSE": "off"}),
    ("", {"DESKAPP_MOUSE": "no", "DESKAPP_KEYMAP": '{"app.inbox": "f5"}'}),
    (TOML, {"DESKAPP_KEYMAP__app.inbox": "f5"}),
    ("", {"DESKAPP_KEYMAP__app.help": "f11", "DESKAPP_LANGUAGE": "en"}),
    (TOML, {"DESKAPP_SCRIPT_DIRS": '["/opt/scripts"]'}),
]


@pytest.mark.parametrize(("toml", "env"), CASES)
def test_the_first_frame_reads_what_the_full_settings_read(
    toml: str, env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(toml, encoding="utf-8")
    monkeypatch.setenv("DESKAPP_CONFIG", str(config))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    full, first = Settings(), first_settings()
    assert (first.language, first.theme, first.mouse, first.keymap, first.script_dirs) == (
        full.language,
        full.theme,
        full.mouse,
        full.keymap,
        full.script_dirs,
    )
