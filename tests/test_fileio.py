"""Outputs never destroy what stood at the path: inputs, special files, read-only files, modes, empty results."""

from __future__ import annotations

import os
import stat

import pytest

from sarcoma_kg.errors import EXIT_INPUT
from sarcoma_kg.fileio import OutputError, atomic_writer, write_atomic


def test_an_output_that_is_an_input_is_refused_and_the_input_kept(tmp_path):
    sheet = tmp_path / "sheet.csv"
    sheet.write_bytes(b"case_id\nP-1\n")
    with pytest.raises(OutputError, match="is also an input") as caught:
        write_atomic(tmp_path / "." / "sheet.csv", b"@prefix x: <y> .", inputs=[sheet])
    assert caught.value.exit_code == EXIT_INPUT
    assert sheet.read_bytes() == b"case_id\nP-1\n"


def test_an_output_that_is_a_hard_link_to_an_input_is_refused(tmp_path):
    sheet = tmp_path / "sheet.csv"
    sheet.write_bytes(b"case_id\n")
    os.link(sheet, tmp_path / "other-name.csv")
    with pytest.raises(OutputError, match="is also an input"):
        write_atomic(tmp_path / "other-name.csv", b"x", inputs=[sheet])


def test_a_directory_is_not_replaced(tmp_path):
    (tmp_path / "out").mkdir()
    with pytest.raises(OutputError, match="out: is a directory"):
        write_atomic(tmp_path / "out", b"x")
    assert (tmp_path / "out").is_dir()


def test_a_fifo_is_not_replaced(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OutputError, match="FIFO"):
        write_atomic(fifo, b"x")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_device_is_not_replaced(tmp_path):
    with pytest.raises(OutputError, match="is a device"):
        write_atomic("/dev/null", b"x")


def test_a_read_only_file_is_refused_and_kept(tmp_path):
    target = tmp_path / "release.ttl"
    target.write_bytes(b"previous")
    target.chmod(0o444)
    with pytest.raises(OutputError, match="read-only"):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"previous"
    assert stat.S_IMODE(target.stat().st_mode) == 0o444


def test_a_replaced_file_keeps_its_permission_bits(tmp_path):
    target = tmp_path / "patients.ttl"
    target.write_bytes(b"previous")
    target.chmod(0o600)
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path):
    real = tmp_path / "real.ttl"
    real.write_bytes(b"previous")
    link = tmp_path / "link.ttl"
    link.symlink_to(real)
    write_atomic(link, b"new")
    assert link.is_symlink()
    assert real.read_bytes() == b"new"


def test_an_empty_result_is_refused_unless_allowed(tmp_path):
    target = tmp_path / "cases.ttl"
    target.write_bytes(b"previous cases")
    with pytest.raises(OutputError, match="--allow-empty"):
        write_atomic(target, b"@prefix sarc: <https://w3id.org/sarcoma-kg/> .\n", items=0)
    assert target.read_bytes() == b"previous cases"
    write_atomic(target, b"", allow_empty=True)
    assert target.read_bytes() == b""


def test_an_empty_path_is_refused():
    with pytest.raises(OutputError, match="empty"):
        write_atomic("", b"x")


def test_a_failed_write_keeps_the_previous_file_and_leaves_no_temporary(tmp_path):
    target = write_atomic(tmp_path / "out.ttl", b"previous")
    with pytest.raises(RuntimeError), atomic_writer(target) as handle:
        handle.write(b"half a fi")
        raise RuntimeError("disk full")
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["out.ttl"]


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_a_replaced_file_keeps_its_owner_and_group(tmp_path):
    target = tmp_path / "patients.ttl"
    target.write_bytes(b"previous")
    os.chown(target, 4321, 4321)
    write_atomic(target, b"new")
    assert (target.stat().st_uid, target.stat().st_gid) == (4321, 4321)


def test_a_new_file_gets_the_mode_the_umask_gives(tmp_path):
    previous = os.umask(0o027)
    try:
        target = write_atomic(tmp_path / "new.ttl", b"x")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
