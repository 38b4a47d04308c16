"""`python -m deskapp.cli …`, the same as the `deskapp` command."""

from deskapp.cli import main

main()
