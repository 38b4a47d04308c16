"""The `deskapp` command.

Every subcommand takes `--db URL` after its name and falls back to DESKAPP_DB, then to the
SQLite file in the user data directory. Settings come from, highest first: options, DESKAPP_*
environment variables (nested with `__`), the TOML file named by DESKAPP_CONFIG or
<user config dir>/deskapp/config.toml, then built-in defaults.

One module per group of commands; importing them registers them on `main`.
"""

from deskapp.cli import (
    audit,
    calendars,
    database,
    demo,
    desk,
    docs,
    importing,
    notice,
    people,
    serve,
    sla,
)
from deskapp.cli.common import main

__all__ = [
    "audit",
    "calendars",
    "database",
    "demo",
    "desk",
    "docs",
    "importing",
    "main",
    "notice",
    "people",
    "serve",
    "sla",
]
