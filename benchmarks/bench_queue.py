"""The desks the queue benchmarks run on, at 1 k, 100 k and 1 M open cases.

The desks are built fast: a small demo desk, then its open complaints copied in SQL until the
queue holds the wanted number (the queue reads only the complaint and customer tables), so the
copies keep the demo's mix of states. The queue's tick, the sign-in and the idle terminal are
measured on them in a pseudo-terminal (`benchmarks.bench_wire`).
"""

from __future__ import annotations

from pathlib import Path

from deskapp import demo
from store.engine import make_engine
from store.migrate import upgrade


def build(path: Path, open_cases: int) -> str:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    demo.generate(engine, cases=400, seed=7)
    with engine.begin() as conn:
        cols = [r[1] for r in conn.exec_driver_sql("PRAGMA table_info(complaint)") if r[1] != "id"]
        have = conn.exec_driver_sql("SELECT count(*) FROM complaint WHERE is_open").scalar() or 0
        copy = ", ".join("number || '-' || k" if c == "number" else c for c in cols)
        rounds = 0
        while have < open_cases:
            need = open_cases - have
            batch = min(need, have)
            conn.exec_driver_sql(
                f"INSERT INTO complaint ({', '.join(cols)}) "
                f"SELECT {copy} FROM complaint, (SELECT {rounds + 1} AS k) "
                f"WHERE is_open ORDER BY id LIMIT {batch}"
            )
            have += batch
            rounds += 1
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return url


def desk_path(workdir: Path, open_cases: int) -> Path:
    return workdir / f"queue-{open_cases}.db"
