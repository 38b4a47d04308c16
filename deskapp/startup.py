"""The cyclic garbage collector is held while the desk starts.

Starting `deskapp run` allocates a few hundred thousand long-lived objects (modules, classes,
CSS rules, the message catalog) and almost no garbage, yet the collector walks them all again
and again: about a tenth of a second before the sign-in screen appears, and more while the
worker imports the database stack. So the entry points (`deskapp` and `python -m deskapp.cli`)
hold it from the first line; a command other than `run` lets it go before its work starts,
and the desk lets it go once it is open, after moving everything alive into the permanent
generation (`gc.freeze`) so later collections do not walk the start-up objects either.
Reference counting still frees everything that is not in a cycle meanwhile.
"""

from __future__ import annotations

import gc


def hold_collector() -> None:
    gc.disable()


def let_collector_go() -> None:
    """Idempotent; a no-op where the collector was never held (tests, the benchmarks)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
