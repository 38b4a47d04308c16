"""The `deskapp` console script: the collector is held before anything is imported
(`deskapp.startup` says why), then the command runs."""

from deskapp.startup import hold_collector


def run_command() -> None:
    hold_collector()
    from deskapp.cli.common import main

    main()
