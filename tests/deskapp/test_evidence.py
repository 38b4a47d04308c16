"""Evidence files (issue 15): attached by path or as bytes, kept once per content in the
evidence folder or the database, their SHA-256 in the audit chain, and `deskapp audit verify`
failing for a file changed or gone and for a row edited to match another file."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import select

from deskapp import audit, clock
from deskapp.cases import Desk, IntakeForm
from deskapp.cli import main
from deskapp.config import load_settings
from deskapp.errors import InvalidInput, PermissionDenied
from deskapp.evidence import human_size, media_type_of
from deskapp.evidence_check import check_evidence
from deskapp.seal_check import check_rows
from store.engine import read_session
from store.models import Attachment, EvidenceBlob
from tests.conftest import case_rows

INLINE_MAX = 1024
MAX = 64 * 1024


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The evidence folder, limits small enough to cross in a test (the CLI reads the same)."""
    where = tmp_path / "evidence"
    monkeypatch.setenv("DESKAPP_EVIDENCE__DIRECTORY", str(where))
    monkeypatch.setenv("DESKAPP_EVIDENCE__INLINE_MAX_BYTES", str(INLINE_MAX))
    monkeypatch.setenv("DESKAPP_EVIDENCE__MAX_BYTES", str(MAX))
    load_settings.cache_clear()
    return where


@pytest.fixture
def desk(engine: Engine, staffed: dict[str, int], folder: Path) -> Desk:
    return Desk(engine)


def register(desk: Desk, subject: str = "洗衣机漏水") -> str:
    form = IntakeForm(
        phone="13800138000", name="王小明", subject=subject, description="漏水", demand="换新"
    )
    return desk.intake(desk.actor("agent"), form).number


def write(path: Path, size: int, seed: bytes = b"photo") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    block = hashlib.sha256(seed).digest()
    path.write_bytes((block * (size // len(block) + 1))[:size])
    return path


def verify(engine: Engine) -> tuple[int, str]:
    url = engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(main, ["audit", "verify", "--db", url])
    return result.exit_code, result.output


def test_a_file_is_kept_by_its_hash_and_its_hash_is_in_the_chain(
    desk: Desk, folder: Path, tmp_path: Path
) -> None:
    number = register(desk)
    photo = write(tmp_path / "in" / "漏水照片.jpg", 5000)
    sha = hashlib.sha256(photo.read_bytes()).hexdigest()
    handler = desk.actor("agent")
    done = desk.attach_file(handler, number, photo, note=" 客户微信发来 ")
    assert (done.sha256, done.size, done.storage) == (sha, 5000, "file")
    assert (done.media_type, done.file_name, done.version) == ("image/jpeg", "漏水照片.jpg", 2)
    kept = folder / sha[:2] / sha
    assert kept.read_bytes() == photo.read_bytes()
    assert not [p for p in folder.iterdir() if p.name.startswith(".incoming")]
    c, _, events = case_rows(desk, number)
    assert c.version == 2
    event = next(e for e in events if e.kind == "attach")
    assert json.loads(event.payload) == {
        "version": 2,
        "attachment_id": done.attachment_id,
        "sha256": sha,
        "size": 5000,
        "name": "漏水照片.jpg",
        "media_type": "image/jpeg",
        "storage": "file",
        "note": "客户微信发来",
    }
    with read_session(desk.engine) as s:
        row = s.get(Attachment, done.attachment_id)
        assert row is not None
        assert (row.sha256, row.size, row.storage, row.note) == (sha, 5000, "file", "客户微信发来")
        assert row.reference == str(photo) and row.added_by_id == handler.staff_id
        assert audit.verify(s).ok
        assert check_evidence(s, desk.settings.evidence).ok
    code, output = verify(desk.engine)
    assert code == 0, output
    assert "evidence files as attached: 1" in output and "rows as sealed" in output


def test_a_small_file_is_kept_in_the_database(desk: Desk, folder: Path, tmp_path: Path) -> None:
    number = register(desk)
    note = write(tmp_path / "客服记录.txt", INLINE_MAX)
    done = desk.attach_file(desk.actor("agent"), number, note)
    assert done.storage == "inline"
    with read_session(desk.engine) as s:
        blob = s.get(EvidenceBlob, done.sha256)
        assert blob is not None and bytes(blob.data) == note.read_bytes()
    assert not folder.exists() or not any(folder.iterdir())
    assert verify(desk.engine)[0] == 0


def test_the_same_content_is_kept_once_and_attached_once_per_case(
    desk: Desk, folder: Path, tmp_path: Path
) -> None:
    first, second = register(desk), register(desk, "另一台洗衣机")
    agent = desk.actor("agent")
    big = write(tmp_path / "a.png", 4000)
    copy = write(tmp_path / "copy of a.png", 4000)
    small = write(tmp_path / "a.txt", 100)
    one = desk.attach_file(agent, first, big)
    two = desk.attach_file(agent, second, copy)
    desk.attach_file(agent, first, small)
    desk.attach_file(agent, second, small)
    assert one.sha256 == two.sha256
    assert [p.name for p in folder.rglob("*") if p.is_file()] == [one.sha256]
    with pytest.raises(InvalidInput, match=r"already attached to this case as a\.png"):
        desk.attach_file(agent, first, copy)
    with read_session(desk.engine) as s:
        assert len(s.exec(select(EvidenceBlob)).all()) == 1
        assert len(s.exec(select(Attachment)).all()) == 4
    assert verify(desk.engine)[0] == 0


def test_bytes_from_a_browser_are_attached_the_same_way(desk: Desk) -> None:
    number = register(desk)
    data = b"%PDF-1.4 " + os.urandom(3000)
    done = desk.attach_bytes(
        desk.actor("agent"), number, "C:\\Users\\wang\\发票.pdf", data, reference="upload"
    )
    assert (done.file_name, done.media_type, done.size) == ("发票.pdf", "application/pdf", 3009)
    assert done.sha256 == hashlib.sha256(data).hexdigest()
    with pytest.raises(InvalidInput, match="not allowed"):
        desk.attach_bytes(desk.actor("agent"), number, "run.exe", b"MZ")
    with pytest.raises(InvalidInput, match="larger than the limit"):
        desk.attach_bytes(desk.actor("agent"), number, "big.pdf", b"x" * (MAX + 1))


def test_files_that_cannot_be_taken_are_refused_before_anything_is_written(
    desk: Desk, folder: Path, tmp_path: Path
) -> None:
    number = register(desk)
    agent = desk.actor("agent")
    cases = {
        tmp_path / "nowhere.jpg": "no such file",
        tmp_path: "not a file",
        write(tmp_path / "huge.mp4", MAX + 1): "larger than the limit of 65.5 KB (65.5 KB)",
        write(tmp_path / "tool.exe", 4000): "file type .exe is not allowed",
        write(tmp_path / "no-extension", 4000): "file type (none) is not allowed",
        write(tmp_path / "empty.jpg", 0): "the file is empty",
        Path("  "): "required",
    }
    for path, why in cases.items():
        with pytest.raises(InvalidInput, match=why.replace("(", r"\(").replace(")", r"\)")):
            desk.attach_file(agent, number, path)
    with pytest.raises(InvalidInput, match="at most 500 characters"):
        desk.attach_file(agent, number, write(tmp_path / "a.jpg", 4000), note="x" * 501)
    outsider = write(tmp_path / "b.jpg", 4000)
    with pytest.raises(PermissionDenied):
        desk.attach_file(desk.actor("loghandler"), number, outsider)
    assert not folder.exists() or not any(folder.rglob("*"))
    assert case_rows(desk, number)[0].version == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_refused(desk: Desk, tmp_path: Path) -> None:
    number = register(desk)
    locked = write(tmp_path / "locked.jpg", 4000)
    locked.chmod(0)
    with pytest.raises(InvalidInput, match="cannot be read"):
        desk.attach_file(desk.actor("agent"), number, locked)


def test_allowed_types_by_extension_or_media_type(
    engine: Engine, staffed: dict[str, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESKAPP_EVIDENCE__ALLOWED_TYPES", '["image/*", ".PDF"]')
    monkeypatch.setenv("DESKAPP_EVIDENCE__DIRECTORY", str(tmp_path / "ev"))
    load_settings.cache_clear()
    desk = Desk(engine)
    number = register(desk)
    agent = desk.actor("agent")
    for name in ("a.HEIC", "b.webp", "c.tiff", "d.pdf"):
        desk.attach_file(agent, number, write(tmp_path / name, 2000, name.encode()))
    with pytest.raises(InvalidInput, match=r"allowed: image/\*, pdf"):
        desk.attach_file(agent, number, write(tmp_path / "e.mp3", 2000))
    assert media_type_of("x.amr") == "audio/amr" and media_type_of("x") == (
        "application/octet-stream"
    )
    assert [human_size(n) for n in (12, 1000, 1500, 2_000_000)] == [
        "12 B",
        "1 KB",
        "1.5 KB",
        "2 MB",
    ]


def test_verify_reports_a_changed_file_a_missing_one_and_an_edited_row(
    desk: Desk, folder: Path, tmp_path: Path
) -> None:
    number = register(desk)
    agent = desk.actor("agent")
    changed = desk.attach_file(agent, number, write(tmp_path / "changed.jpg", 3000, b"1"))
    missing = desk.attach_file(agent, number, write(tmp_path / "missing.mp3", 3000, b"2"))
    small = desk.attach_file(agent, number, write(tmp_path / "small.txt", 200, b"3"))
    edited = desk.attach_file(agent, number, write(tmp_path / "edited.pdf", 3000, b"4"))
    assert verify(desk.engine)[0] == 0

    target = folder / changed.sha256[:2] / changed.sha256
    target.chmod(0o640)
    target.write_bytes(b"a different photo")
    (folder / missing.sha256[:2] / missing.sha256).unlink()
    with desk.engine.begin() as conn:
        # The blob swapped, and a row pointed at another kept file (the one that changed).
        conn.execute(
            text("UPDATE evidence_blob SET data = :d WHERE sha256 = :s"),
            {"d": b"forged", "s": small.sha256},
        )
        conn.execute(
            text("UPDATE attachment SET sha256 = :s WHERE id = :id"),
            {"s": missing.sha256, "id": edited.attachment_id},
        )
    with read_session(desk.engine) as s:
        report = check_evidence(s, desk.settings.evidence)
        _chain, rows = check_rows(s)
    found = {(p.attachment_id, p.what) for p in report.problems}
    assert found == {
        (changed.attachment_id, "changed"),
        (missing.attachment_id, "missing"),
        (small.attachment_id, "changed"),
        (edited.attachment_id, "row_changed"),
    }
    # The seals name the edited column from their side.
    assert [(p.key, p.columns) for p in rows.problems] == [(str(edited.attachment_id), ("sha256",))]
    code, output = verify(desk.engine)
    assert code == 1
    assert "evidence files NOT as attached: 4" in output
    assert f"{number} attachment #{missing.attachment_id} (missing.mp3): the file is missing" in (
        output
    )
    assert f"{number} attachment #{changed.attachment_id} (changed.jpg): the file's content" in (
        output
    )


def test_verify_reports_rows_added_or_deleted_outside_the_desk(
    desk: Desk, folder: Path, tmp_path: Path
) -> None:
    number = register(desk)
    agent = desk.actor("agent")
    gone = desk.attach_file(agent, number, write(tmp_path / "gone.jpg", 3000))
    case_id = case_rows(desk, number)[0].id
    with desk.engine.begin() as conn:
        conn.execute(text("DELETE FROM attachment WHERE id = :id"), {"id": gone.attachment_id})
        conn.execute(
            text(
                "INSERT INTO attachment (id, complaint_id, reference, checksum, note,"
                " added_by_id, at, sha256, size, media_type, file_name, storage) VALUES (999,"
                " :case, 'x', '', '', :who, :at, :sha, 3000, 'image/jpeg', 'forged.jpg', 'file')"
            ),
            {"case": case_id, "who": agent.staff_id, "at": clock.now(), "sha": gone.sha256},
        )
    with read_session(desk.engine) as s:
        report = check_evidence(s, desk.settings.evidence)
    assert {(p.attachment_id, p.what) for p in report.problems} == {
        (gone.attachment_id, "row_missing"),
        (999, "unrecorded"),
    }


# -- the command ------------------------------------------------------------------------------


def test_the_attach_command(desk: Desk, db_url: str, tmp_path: Path) -> None:
    number = register(desk)
    photo = write(tmp_path / "scan.pdf", 3000)
    sha = hashlib.sha256(photo.read_bytes()).hexdigest()
    runner = CliRunner()
    base = ["attach", "--db", db_url, number.lower()]
    result = runner.invoke(
        main,
        [*base, str(photo), str(tmp_path / "gone.jpg"), "--note", "扫描件", "--as", "agent"],
        input="demo\n",
    )
    assert result.exit_code == 2, result.output
    assert f"{number} #1 scan.pdf (3 KB, application/pdf) sha256 {sha}" in result.output
    assert "gone.jpg: path: no such file" in result.output
    c, _, events = case_rows(desk, number)
    attached = [json.loads(e.payload) for e in events if e.kind == "attach"]
    assert [(a["sha256"], a["note"]) for a in attached] == [(sha, "扫描件")]
    assert events[-1].actor_id == desk.actor("agent").staff_id
    # Refused: a wrong password, nobody named, someone outside the case.
    wrong = runner.invoke(main, [*base, str(photo), "--as", "agent"], input="nope\n")
    assert wrong.exit_code == 2 and "agent:" in wrong.output
    assert runner.invoke(main, [*base, str(photo)]).exit_code == 2
    outsider = runner.invoke(
        main,
        [*base, str(write(tmp_path / "b.jpg", 3000)), "--as", "loghandler", "--password-stdin"],
        input="demo\n",
    )
    assert outsider.exit_code == 2 and "involved scope" in outsider.output
    assert case_rows(desk, number)[0].version == c.version


def test_the_attach_command_as_the_operating_system_user(
    desk: Desk, db_url: str, tmp_path: Path
) -> None:
    from deskapp.auth import os_login
    from store.engine import write_session
    from store.models import Staff

    number = register(desk)
    runner = CliRunner()
    args = ["attach", "--db", db_url, number, str(write(tmp_path / "a.wav", 3000)), "--os-user"]
    assert "no active staff account" in runner.invoke(main, args).output
    with write_session(desk.engine) as s:
        s.add(Staff(login=os_login(), display_name="Ops", roles="supervisor"))
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert (
        "a.wav (3 KB, audio/x-wav)" in result.output or "a.wav (3 KB, audio/wav)" in result.output
    )


def test_verify_reports_a_file_it_cannot_read(desk: Desk, folder: Path, tmp_path: Path) -> None:
    number = register(desk)
    kept = desk.attach_file(desk.actor("agent"), number, write(tmp_path / "a.jpg", 3000))
    target = folder / kept.sha256[:2] / kept.sha256
    target.unlink()
    target.mkdir()  # unreadable as a file, even for root
    with read_session(desk.engine) as s:
        report = check_evidence(s, desk.settings.evidence)
    assert [(p.attachment_id, p.what) for p in report.problems] == [
        (kept.attachment_id, "unreadable")
    ]
    code, output = verify(desk.engine)
    assert code == 1 and "a.jpg): the file cannot be read to check it" in output
