"""`python -m deskapp.cli …`, the same as the `deskapp` command."""

from deskapp.cli.entry import run_command

run_command()
