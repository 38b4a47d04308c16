"""The `deskapp` command.

Every subcommand takes `--db URL` after its name and falls back to DESKAPP_DB, then to the
SQLite file in the user data directory. Settings come from, highest first: options, DESKAPP_*
environment variables (nested with `__`), the TOML file named by DESKAPP_CONFIG or
<user config dir>/deskapp/config.toml, then built-in defaults.

One module per group of commands; each registers its commands on `main` when it is imported,
and `main` imports a command's module only when that command is asked for
(`deskapp.cli.common.COMMAND_MODULES`).
"""

from deskapp.cli.common import main

__all__ = ["main"]
