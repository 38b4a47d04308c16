"""Many desks on one database: N worker processes, each signed in as a different person, work
cases through the real use cases (`deskapp.cases.Desk`) for D seconds; then a checker proves
nothing was lost or double-counted.

    python -m benchmarks.load                          # 20 desks, 60 s, a fresh SQLite file
    python -m benchmarks.load --pg postgresql://postgres@127.0.0.1:5432/postgres  # 50 desks
    python -m benchmarks.load --workers 4 --seconds 5  # a quick look

Who does what (each worker is one person, in their own interpreter, as a desk would be):

- *agents* register complaints (`intake`), accept and dispatch their own new cases to a
  department, and write notes on their own open cases;
- *handlers* take the cases dispatched to their department (each handler a share of them, by
  case id): start the investigation, wait for the customer and resume when the customer
  answers (`pend_customer`, `customer_answered`), write notes, propose a plan and `resolve`;
- *department managers* transfer some of the newly dispatched cases of their department to
  another one (`transfer`, with a reason) and write notes.

Between actions a worker reads its candidate cases the way a queue does (untimed); only the use
case's call is timed, from the call to its return (the commit). There is no think time: the
figures are what the database and the desks can carry, not a day's traffic. A use case refused
for a reason a person would see (someone else changed the case first, it moved out of the
department) is counted as refused, not as an operation. Anything else is a failure, and a
"database is locked" anywhere fails the run.

Each worker writes one JSON line per acknowledged operation (kind, case number, the case's
version and status after it, latency) to its own file. The checker then requires: every
acknowledged operation's event is in the database and no event is there that no worker
acknowledged; no failures at all; case numbers unique; each case's status is the one its last
acknowledged operation left; the status counts (`Desk.status_counts`), and each worker's header
counts (`deskapp.overview.my_counts`), equal a recount by hand-written SQL; and
`deskapp audit verify` passes.

On PostgreSQL each worker's engine keeps at most `PG_POOL_SIZE + PG_MAX_OVERFLOW` = 1
connection (a worker does one thing at a time), so 50 workers hold 50 of the server's default
100; the checker and the set-up use one more each, briefly.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.children import die_with_parent

#: A worker's connection pool on PostgreSQL (see the module's docstring).
PG_POOL_SIZE = 1
PG_MAX_OVERFLOW = 0
#: The refusals a person at a desk would see and act on; not failures of the desk.
REFUSALS = ("ConflictError", "TransitionError", "PermissionDenied", "NotFound")
KINDS = (
    "intake",
    "accept",
    "dispatch",
    "transfer",
    "start_investigation",
    "pend_customer",
    "customer_answered",
    "propose_plan",
    "resolve",
    "note",
)
HANDLED = ("dispatched", "investigating", "pending_customer", "plan_proposed")
LOAD_DB = "deskapp_load"
#: How long a worker with nothing to do waits before it looks again, as a desk's queue hears of
#: a change about once a second. Polling faster only burns the CPU the others need.
IDLE_WAIT = 0.5


@dataclass(frozen=True)
class Spec:
    """One worker: who it is and which cases it works."""

    index: int
    login: str
    role: str  # agent | handler | manager
    dept_id: int | None
    #: Handlers split their department's cases by id: this one takes id % slots == slot.
    slot: int
    slots: int
    #: Departments that have handlers in this run (where cases are dispatched and transferred).
    depts: tuple[int, ...]
    staff_id: int = 0


@dataclass
class Result:
    workers: int
    seconds: float
    backend: str
    ops: dict[str, list[float]] = field(default_factory=dict)
    refused: Counter[str] = field(default_factory=Counter)
    failures: list[dict[str, Any]] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)
    #: Transactions the use cases ran again after a transient failure (busy, locked, deadlock).
    retries: int = 0
    problems: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.ops.values())

    @property
    def ok(self) -> bool:
        return not self.problems


# -- memory -------------------------------------------------------------------------------------


def rss_kb(pid: int | str = "self") -> int:
    """Resident memory from /proc (psutil is not a dependency)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _import_stack(url: str) -> None:
    """What a worker imports: the use cases, the store, SQLAlchemy and the database driver."""
    import sqlalchemy  # noqa: F401
    import sqlmodel  # noqa: F401

    import deskapp.cases
    import deskapp.overview  # noqa: F401
    import store.engine  # noqa: F401

    if url.startswith("postgresql"):
        import psycopg  # noqa: F401


def baseline_main(url: str) -> None:
    _import_stack(url)
    print(rss_kb())


# -- the worker ---------------------------------------------------------------------------------


def worker_main(url: str, spec_json: str, seconds: float, out: Path, go: Path) -> None:
    _import_stack(url)
    import logging

    from deskapp.cases import Desk, IntakeForm
    from deskapp.errors import DeskError
    from store.engine import make_engine, read_session
    from store.models import Complaint

    retries = [0]

    class _Retries(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            retries[0] += 1

    logging.getLogger("deskapp.cases").addHandler(_Retries(logging.WARNING))
    spec = Spec(**{**json.loads(spec_json), "depts": tuple(json.loads(spec_json)["depts"])})
    engine = make_engine(url, pool_size=PG_POOL_SIZE, max_overflow=PG_MAX_OVERFLOW)
    desk = Desk(engine)
    actor = desk.actor(spec.login)
    rng = random.Random(1000 + spec.index)
    log = out.open("w", encoding="utf-8", buffering=1)
    pended: set[str] = set()
    ready = out.with_suffix(".ready")
    ready.write_text("ready")
    while not go.exists():
        time.sleep(0.01)
    end = time.perf_counter() + seconds

    def cases(*where: Any, limit: int = 20) -> list[Any]:
        with read_session(engine) as s:
            rows = s.exec(
                Complaint.__table__.select()  # type: ignore[attr-defined]
                .where(*where)
                .order_by(Complaint.id.desc())  # type: ignore[union-attr]
                .limit(limit)
            ).all()
        return list(rows)

    def run(kind: str, number: str, call: Any) -> None:
        started = time.perf_counter()
        try:
            version, status = call()
        except DeskError as exc:
            name = type(exc).__name__
            if name in REFUSALS:
                log.write(json.dumps({"refused": kind, "n": number, "error": name}) + "\n")
                return
            raise_failure(kind, number, exc)
            return
        except Exception as exc:
            raise_failure(kind, number, exc)
            return
        ms = (time.perf_counter() - started) * 1000
        record = {"k": kind, "n": number, "v": version, "s": status, "ms": round(ms, 3)}
        log.write(json.dumps(record) + "\n")

    def raise_failure(kind: str, number: str, exc: BaseException) -> None:
        message = str(exc).splitlines()[0] if str(exc) else ""
        record = {"failed": kind, "n": number, "error": type(exc).__name__, "msg": message}
        log.write(json.dumps(record) + "\n")

    def act(c: Any, action: str, **params: Any) -> None:
        def call() -> tuple[int, str]:
            done = desk.act(actor, c.number, action, expected_version=c.version, **params)
            return done.version, done.status

        run(action, c.number, call)

    def note(c: Any) -> None:
        def call() -> tuple[int, str]:
            saved = desk.add_note(
                actor,
                c.number,
                f"负载测试备注 {rng.randrange(10**6)}",
                customer_facing=False,
                expected_version=c.version,
            )
            return saved.version, c.status  # the version checked: the status it saw

        run("note", c.number, call)

    def intake() -> None:
        phone = f"139{spec.index:03d}{rng.randrange(10**5):05d}"
        form = IntakeForm(
            phone=phone,
            name=f"顾客{rng.randrange(1000)}",
            subject="包装破损",
            description="收到的包裹外箱破损，里面的杯子碎了一个。",
            demand="补发一个杯子",
            order_ref=f"LD-{spec.index}-{rng.randrange(10**9)}",
        )

        started = time.perf_counter()
        try:
            result = desk.intake(actor, form)
        except Exception as exc:
            raise_failure("intake", "", exc)
            return
        ms = (time.perf_counter() - started) * 1000
        record = {"k": "intake", "n": result.number, "v": 1, "s": "new", "ms": round(ms, 3)}
        log.write(json.dumps(record) + "\n")

    def agent_step() -> bool:
        if rng.random() < 0.4:
            intake()
            return True
        mine = cases(
            Complaint.first_owner_id == spec.staff_id,
            Complaint.is_open == True,  # noqa: E712
        )
        if not mine:
            intake()
            return True
        waiting = [c for c in mine if c.status in ("new", "accepted")]
        if waiting and rng.random() < 0.8:
            c = rng.choice(waiting)
            if c.status == "new":
                act(c, "accept")
            else:
                act(c, "dispatch", department_id=rng.choice(spec.depts))
            return True
        note(rng.choice(mine))
        return True

    def handler_step() -> bool:
        rows = cases(
            Complaint.primary_dept_id == spec.dept_id,
            Complaint.status.in_(HANDLED),  # type: ignore[attr-defined]
            Complaint.id % spec.slots == spec.slot,  # type: ignore[operator]
        )
        if not rows:
            return False
        c = rng.choice(rows)
        if c.status == "dispatched":
            act(c, "start_investigation")
        elif c.status == "pending_customer":
            act(c, "customer_answered")
        elif c.status == "plan_proposed":
            act(c, "resolve")
        elif rng.random() < 0.2:
            note(c)
        elif c.number not in pended and rng.random() < 0.5:
            pended.add(c.number)
            act(c, "pend_customer", reason="等待顾客提供照片")
        else:
            act(c, "propose_plan", remedy="补发一个杯子", root_cause="包装不足")
        return True

    def manager_step() -> bool:
        rows = cases(
            Complaint.primary_dept_id == spec.dept_id,
            Complaint.status.in_(("dispatched", "investigating")),  # type: ignore[attr-defined]
        )
        if not rows:
            return False
        fresh = [c for c in rows if not c.departments_left and c.id % 3 == 0]
        if fresh and rng.random() < 0.7:
            c = rng.choice(fresh)
            targets = [d for d in spec.depts if d != c.primary_dept_id]
            if targets:
                act(c, "transfer", department_id=rng.choice(targets), reason="应由该部门处理")
                return True
        note(rng.choice(rows))
        return True

    step = {"agent": agent_step, "handler": handler_step, "manager": manager_step}[spec.role]
    idle = 0
    while time.perf_counter() < end:
        if not step():
            idle += 1
            time.sleep(IDLE_WAIT)
    log.write(json.dumps({"rss_kb": rss_kb(), "idle": idle, "retries": retries[0]}) + "\n")
    log.close()
    engine.dispose()


# -- the harness --------------------------------------------------------------------------------


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKAPP_")}
    env["DESKAPP_CONFIG"] = os.devnull
    return env


def _python(*args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], env=_env(), capture_output=True, text=True, check=False, **kw
    )


def seed(url: str, workers: int) -> list[Spec]:
    """The demo's staff (`deskapp demo --cases 0`), and the worker accounts: demo people where
    the demo has enough of a role, `load.*` accounts (the demo's password) beyond them."""
    done = _python("-m", "deskapp.cli", "demo", "--db", url, "--cases", "0")
    if done.returncode:
        raise RuntimeError(f"deskapp demo failed: {done.stderr or done.stdout}")
    from sqlmodel import select

    from store.engine import make_engine, write_session
    from store.models import Department, Staff

    engine = make_engine(url)
    with write_session(engine) as s:
        depts = [d for d in s.exec(select(Department).order_by(Department.id)).all()]  # type: ignore[arg-type]
        staff = list(s.exec(select(Staff).order_by(Staff.id)).all())  # type: ignore[arg-type]
        hashed = staff[0].password_hash
        used = max(2, min(len(depts), workers // 6))
        depts = depts[:used]
        agents = max(1, int(workers * 0.4))
        managers = used if workers >= 10 else 1
        handlers = workers - agents - managers
        if handlers < len(depts[:2]):
            raise ValueError("too few workers: need at least 4")
        plan: list[tuple[str, Any]] = [("agent", None)] * agents
        plan += [("manager", depts[i % used]) for i in range(managers)]
        plan += [("handler", depts[i % used]) for i in range(handlers)]
        taken: set[int] = set()
        accounts: list[tuple[str, Any, Staff]] = []
        for role, dept in plan:
            word = {"agent": "agent", "handler": "handler", "manager": "dept_manager"}[role]
            found = next(
                (
                    st
                    for st in staff
                    if st.id not in taken
                    and st.active
                    and word in st.roles.split()
                    and (dept is None or st.department_id == dept.id)
                ),
                None,
            )
            if found is None:
                n = sum(1 for _r, d, _ in accounts if (_r, d) == (role, dept)) + 1
                code = dept.code if dept is not None else "CS"
                found = Staff(
                    login=f"load.{role}.{code.lower()}.{n}",
                    display_name=f"Load {role} {code} {n}",
                    roles=word,
                    department_id=dept.id if dept is not None else None,
                    password_hash=hashed,
                )
                s.add(found)
                s.flush()
                staff.append(found)
            taken.add(found.id or 0)
            accounts.append((role, dept, found))
    engine.dispose()
    with_handlers = tuple(sorted({d.id for r, d, _ in accounts if r == "handler"}))
    specs = []
    for index, (role, dept, st) in enumerate(accounts):
        same = [a for a in accounts if a[0] == "handler" and a[1] is dept]
        slot = next((i for i, a in enumerate(same) if a[2] is st), 0)
        specs.append(
            Spec(
                index=index,
                login=st.login,
                role=role,
                dept_id=dept.id if dept is not None else None,
                slot=slot,
                slots=max(1, len(same)),
                depts=with_handlers,
                staff_id=st.id or 0,
            )
        )
    return specs


def run_load(url: str, workers: int, seconds: float, workdir: Path) -> Result:
    """Seed, run the workers, check; the figures and every problem found in the Result."""
    backend = "postgresql" if url.startswith("postgresql") else "sqlite"
    specs = seed(url, workers)
    workdir.mkdir(parents=True, exist_ok=True)
    go = workdir / "go"
    go.unlink(missing_ok=True)
    procs = []
    for spec in specs:
        out = workdir / f"worker-{spec.index:03d}.jsonl"
        args = [
            "-m",
            "benchmarks.load",
            "_worker",
            url,
            json.dumps(asdict(spec)),
            str(seconds),
            str(out),
            str(go),
        ]
        procs.append(
            (
                spec,
                out,
                subprocess.Popen(
                    [sys.executable, *args],
                    env=_env(),
                    stderr=subprocess.PIPE,
                    text=True,
                    preexec_fn=die_with_parent,
                ),
            )
        )
    deadline = time.perf_counter() + 300
    while not all(out.with_suffix(".ready").exists() for _, out, _ in procs):
        dead = [p for _, _, p in procs if p.poll() is not None]
        if dead or time.perf_counter() > deadline:
            for _, _, p in procs:
                p.kill()
            errors = "".join((p.stderr.read() if p.stderr else "") for p in dead)
            raise RuntimeError(f"workers did not start: {errors[-2000:]}")
        time.sleep(0.05)
    go.write_text("go")
    result = Result(workers, seconds, backend)
    for _, _, p in procs:
        _, err = p.communicate(timeout=seconds + 120)
        if p.returncode:
            result.problems.append(f"a worker exited with {p.returncode}: {err[-1000:]}")
    records: list[tuple[Spec, dict[str, Any]]] = []
    for spec, out, _ in procs:
        for line in out.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            if "k" in rec:
                result.ops.setdefault(rec["k"], []).append(rec["ms"])
                records.append((spec, rec))
            elif "refused" in rec:
                result.refused[rec["refused"]] += 1
            elif "failed" in rec:
                result.failures.append(rec)
            elif "rss_kb" in rec:
                result.rss_kb.append(rec["rss_kb"])
                result.retries += rec.get("retries", 0)
    check(url, specs, records, result)
    return result


def check(
    url: str, specs: list[Spec], records: list[tuple[Spec, dict[str, Any]]], result: Result
) -> None:
    from sqlalchemy import text

    from deskapp import clock
    from deskapp.cases import Desk
    from deskapp.overview import my_counts
    from store.engine import make_engine, read_session

    problems, checks = result.problems, result.checks
    locked = [f for f in result.failures if "locked" in f.get("msg", "").lower()]
    if locked:
        problems.append(f"{len(locked)} operations failed with 'database is locked'")
    if result.failures:
        kinds = Counter(f"{f['failed']}: {f['error']}: {f['msg'][:80]}" for f in result.failures)
        problems.append(f"{len(result.failures)} operations failed: {dict(kinds.most_common(5))}")
    else:
        checks.append("no operation failed (none saw 'database is locked')")
    engine = make_engine(url)
    with read_session(engine) as s:
        rows = s.execute(
            text(
                "SELECT c.number, e.kind, e.payload FROM case_event e "
                "JOIN complaint c ON c.id = e.complaint_id"
            )
        ).all()
        stored: Counter[tuple[str, str, int]] = Counter()
        for number, kind, payload in rows:
            if kind in KINDS:
                stored[(number, kind, int(json.loads(payload).get("version", 0)))] += 1
        numbers = s.execute(text("SELECT number FROM complaint")).scalars().all()
        status_db = dict(s.execute(text("SELECT number, status FROM complaint")).all())
        recount = dict(
            s.execute(text("SELECT status, COUNT(*) FROM complaint GROUP BY status")).all()
        )
        mine_sql = {
            spec.staff_id: s.execute(
                text(
                    "SELECT COUNT(*) FROM complaint WHERE is_open = :yes "
                    "AND (first_owner_id = :me OR assignee_id = :me)"
                ),
                {"yes": True, "me": spec.staff_id},
            ).scalar_one()
            for spec in specs
        }
    acked = Counter((r["n"], r["k"], int(r["v"])) for _, r in records)
    missing = [k for k in acked if stored[k] < acked[k]]
    unacked = [k for k in stored if acked[k] < stored[k]]
    if missing:
        problems.append(f"{len(missing)} acknowledged operations have no event: {missing[:5]}")
    else:
        checks.append(f"all {sum(acked.values()):,} acknowledged operations have their event")
    if unacked:
        problems.append(f"{len(unacked)} events no worker acknowledged: {unacked[:5]}")
    else:
        checks.append("no event that no worker acknowledged")
    intakes = [r["n"] for _, r in records if r["k"] == "intake"]
    if len(set(numbers)) != len(numbers) or len(set(intakes)) != len(intakes):
        problems.append("case numbers are not unique")
    elif sorted(intakes) != sorted(numbers):
        problems.append("the cases in the database are not the acknowledged intakes")
    else:
        checks.append(f"{len(numbers):,} case numbers, unique, each an acknowledged intake")
    last: dict[str, tuple[int, str]] = {}
    for _, r in records:
        if r["n"] not in last or r["v"] > last[r["n"]][0]:
            last[r["n"]] = (r["v"], r["s"])
    wrong = [n for n, (_, st) in last.items() if status_db.get(n) != st]
    if wrong:
        problems.append(f"{len(wrong)} cases not in the state their last operation left")
    expected = Counter(st for _, st in last.values())
    counted = Desk(engine).status_counts()
    if not (dict(expected) == counted == {k: int(v) for k, v in recount.items()}):
        problems.append(f"status counts differ: log {dict(expected)}, desk {counted}, {recount}")
    else:
        checks.append(f"each case's state and the status counts agree with a recount: {counted}")
    now = clock.now()
    header = {spec.staff_id: my_counts(engine, spec.staff_id, now).open for spec in specs}
    if header != mine_sql:
        problems.append(f"header counts {header} differ from the recount {mine_sql}")
    else:
        checks.append("every worker's header count (my open cases) equals a recount")
    engine.dispose()
    verified = _python("-m", "deskapp.cli", "audit", "verify", "--db", url)
    if verified.returncode:
        problems.append(f"deskapp audit verify failed: {verified.stderr or verified.stdout}")
    else:
        checks.append(verified.stdout.strip())


def baseline_rss(url: str) -> int:
    done = _python("-m", "benchmarks.load", "_baseline", url)
    return int(done.stdout.strip() or 0)


# -- PostgreSQL ---------------------------------------------------------------------------------


def pg_database(server: str, name: str = LOAD_DB, *, drop: bool = False) -> str:
    """Create (or drop) a fresh database on the server; returns its URL."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from store.engine import make_engine, normalise_url

    admin = make_engine(server).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if not drop:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.engine.dispose()
    return make_url(normalise_url(server)).set(database=name).render_as_string(False)


# -- the report ---------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def table(result: Result, small: Result | None, base_kb: int) -> str:
    head = f"{'kind':<22}{'ops':>7}{'ops/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
    if small is not None:
        head += f"{'small p50':>11}{'small p99':>11}"
    lines = [head, "-" * len(head)]
    for kind in (*KINDS, "all"):
        values = (
            [v for vs in result.ops.values() for v in vs]
            if kind == "all"
            else result.ops.get(kind, [])
        )
        if not values:
            continue
        line = (
            f"{kind:<22}{len(values):>7}{len(values) / result.seconds:>9.1f}"
            f"{percentile(values, 50):>9.1f}{percentile(values, 99):>9.1f}"
        )
        if small is not None:
            sv = (
                [v for vs in small.ops.values() for v in vs]
                if kind == "all"
                else small.ops.get(kind, [])
            )
            line += f"{percentile(sv, 50):>11.1f}{percentile(sv, 99):>11.1f}"
        lines.append(line)
    refused = ", ".join(f"{k} {n}" for k, n in sorted(result.refused.items())) or "none"
    lines.append(f"refused (someone else changed the case first): {refused}")
    lines.append(f"transactions retried after a transient failure: {result.retries}")
    if small is not None:
        lines.append(
            f"baseline: {small.workers} desks, {small.total:,} operations in {small.seconds:g} s, "
            f"{small.total / small.seconds:.1f} ops/s, {small.retries} retried"
        )
    if result.rss_kb:
        mb = statistics.median(result.rss_kb) / 1024
        lines.append(
            f"resident memory per worker, median {mb:.1f} MB (max "
            f"{max(result.rss_kb) / 1024:.1f}); a bare Python with the same imports "
            f"{base_kb / 1024:.1f} MB"
        )
    return "\n".join(lines)


@dataclass
class Run:
    """A load run and its same-run baselines: a small desk doing the same mix in the same
    harness, and a bare Python process with the worker's imports (resident memory)."""

    result: Result
    small: Result | None
    base_kb: int
    #: The host's load average (1, 5, 15 min) before and after: other work on the machine.
    load: tuple[str, str] = ("", "")

    @property
    def ok(self) -> bool:
        return self.result.ok and (self.small is None or self.small.ok)


def bench_load(
    workdir: Path, *, workers: int, seconds: float, small: int = 4, pg: str | None = None
) -> Run:
    results: list[Result | None] = []
    base = 0
    before = _load()
    small_seconds = max(5.0, seconds / 4)
    for n, secs in ((workers, seconds), (small, small_seconds)):
        if not n:
            results.append(None)
            continue
        sqlite = f"sqlite:///{workdir / f'load-{n}.db'}"
        url = pg_database(pg) if pg else sqlite
        backend = "PostgreSQL" if pg else "SQLite"
        print(f"load: {n} desks for {secs:g} s on {backend} …", file=sys.stderr, flush=True)
        try:
            results.append(run_load(url, n, secs, workdir / f"run-{n}"))
            base = base or baseline_rss(url)
        finally:
            if pg:
                pg_database(pg, drop=True)
    result, small_result = results
    assert result is not None
    return Run(result, small_result, base, (before, _load()))


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


BEGIN = "<!-- load:{} -->"
END = "<!-- /load:{} -->"


def write_section(doc: Path, run: Run) -> None:
    """Replace this backend's section of docs/load.md with the run's table."""
    from deskapp import clock

    key = run.result.backend
    r = run.result
    body = [
        BEGIN.format(key),
        f"### {'PostgreSQL' if key == 'postgresql' else 'SQLite'}: {r.workers} desks, "
        f"{r.seconds:g} s",
        "",
        f"- date: {clock.now():%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, load average "
        f"{run.load[0]} at the start, {run.load[1]} at the end"
        + (f"; baseline: {run.small.workers} desks, {run.small.seconds:g} s" if run.small else ""),
        "",
        "```text",
        table(r, run.small, run.base_kb),
        *(f"ok: {line}" for line in r.checks),
        *(f"PROBLEM: {line}" for line in r.problems),
        "```",
        END.format(key),
    ]
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Many desks\n"
    start, end = text.find(BEGIN.format(key)), text.find(END.format(key))
    if start >= 0 and end > start:
        text = text[:start] + "\n".join(body) + text[end + len(END.format(key)) :]
    else:
        text = text.rstrip() + "\n\n" + "\n".join(body) + "\n"
    doc.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_worker":
        url, spec, seconds, out, go = argv[1:6]
        worker_main(url, spec, float(seconds), Path(out), Path(go))
        return 0
    if argv and argv[0] == "_baseline":
        baseline_main(argv[1])
        return 0
    parser = argparse.ArgumentParser(description="Many desks on one database (make loadtest).")
    parser.add_argument("--pg", metavar="URL", help="a PostgreSQL server (default: SQLite)")
    parser.add_argument("--workers", type=int, help="desk processes (20 SQLite, 50 PostgreSQL)")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument(
        "--small", type=int, default=4, help="desks in the same-run baseline (0: none)"
    )
    parser.add_argument("--write", type=Path, help="update this backend's section of a file")
    args = parser.parse_args(argv)
    workers = args.workers or (50 if args.pg else 20)
    with tempfile.TemporaryDirectory(prefix="deskapp-load-") as tmp:
        run = bench_load(
            Path(tmp), workers=workers, seconds=args.seconds, small=args.small, pg=args.pg
        )
    print(table(run.result, run.small, run.base_kb))
    for line in run.result.checks:
        print(f"ok: {line}")
    for line in run.result.problems:
        print(f"PROBLEM: {line}")
    if run.small is not None:
        for line in run.small.problems:
            print(f"PROBLEM (baseline run): {line}")
    if args.write:
        write_section(args.write, run)
        print(f"written to {args.write}", file=sys.stderr)
    return 0 if run.ok else 1


if __name__ == "__main__":
    sys.exit(main())
