"""Child processes that end with the benchmark that started them."""

from __future__ import annotations

import ctypes
import signal


def die_with_parent() -> None:
    """In the child before exec (`preexec_fn`): ask Linux to SIGKILL it when its parent ends. A
    benchmark stopped half-way (a timeout, ctrl+c) otherwise left its programs running (they run
    in sessions of their own, or as separate workers); a bare Textual app whose terminal had
    closed spun at a quarter of a CPU, skewing every later figure on the host."""
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
