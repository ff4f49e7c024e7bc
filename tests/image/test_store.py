"""Whole-image store tests: the real image with a virtio-blk data disk (a
file here) and a database section with migrations. A blank disk is
formatted, migrations run once each and are recorded, an edited or failing
migration leaves the appliance up but not ready, a disk holding other data
is never written, and `apctl db export` reads the database back on the host
after the VM was killed (SIGKILL: no clean shutdown)."""
import os
import socket
import sqlite3
import subprocess
import tempfile
import time

import pytest

from qemu import ROOT, Guest, free_port

APCTL = os.path.join(ROOT, "build", "apctl")

CONF = """\
network { dhcp }
firewall { inbound tcp 80 from any }
database { migrations db }
routes {
    GET /healthz health
    GET /readyz ready
}
"""
M1 = "CREATE TABLE posts(id INTEGER PRIMARY KEY, title TEXT NOT NULL);\n"
M2 = "INSERT INTO posts(title) VALUES ('hello');\nINSERT INTO posts(title) VALUES ('world');\n"


def pack(d, migrations, conf=CONF):
    mig = d / "db"
    if mig.exists():
        for f in mig.iterdir():
            f.unlink()
    mig.mkdir(parents=True, exist_ok=True)
    for name, sql in migrations.items():
        (mig / name).write_text(sql)
    (d / "appliance.conf").write_text(conf)
    r = subprocess.run([APCTL, "pack", str(d / "appliance.conf"), "-o", str(d / "blob")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return d / "blob"


def boot(blob, disk):
    port = free_port()
    qmp = os.path.join(tempfile.mkdtemp(prefix="apqmp-"), "qmp.sock")
    extra = ["-initrd", str(blob), "-netdev", f"user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:{port}-:80",
             "-device", "virtio-net-pci,netdev=n0", "-qmp", f"unix:{qmp},server=on,wait=off"]
    if disk:
        extra += ["-drive", f"file={disk},format=raw,if=none,id=d0,cache=writeback",
                  "-device", "virtio-blk-pci,drive=d0"]
    g = Guest("", extra=extra)
    g.port = port
    g.qmp_path = qmp
    return g


def status(g, path):
    r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", f"http://127.0.0.1:{g.port}{path}"],
                       capture_output=True, text=True, timeout=30)
    return int(r.stdout)


def export(disk, out):
    r = subprocess.run([APCTL, "db", "export", str(disk), str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return sqlite3.connect(out)


@pytest.fixture
def disk(tmp_path):
    p = tmp_path / "disk.img"
    with open(p, "wb") as f:
        f.truncate(16 << 20)
    return p


def test_migrations_run_once_and_survive_a_kill(tmp_path, disk):
    blob = pack(tmp_path, {"001_create.sql": M1, "002_seed.sql": M2})
    with boot(blob, disk) as g:
        g.wait_for(r"store: formatted the blank disk .*: 13 MiB for the database, 1 MiB WAL")
        g.wait_for(r"store: migration 001_create.sql applied")
        g.wait_for(r"store: migration 002_seed.sql applied")
        g.wait_for(r"store: ready: 2 migrations \(2 new this boot\)")
        g.wait_for(r"boot: listening on")
        assert status(g, "/readyz") == 200
        g.proc.kill()                           # SIGKILL: no checkpoint, no close
    db = export(disk, tmp_path / "out.sqlite")
    assert db.execute("SELECT title FROM posts ORDER BY id").fetchall() == [("hello",), ("world",)]
    rows = db.execute("SELECT number, name, length(sha256) FROM _appliance_migrations").fetchall()
    assert rows == [(1, "001_create.sql", 64), (2, "002_seed.sql", 64)]
    # The next boot applies nothing again.
    with boot(blob, disk) as g:
        g.wait_for(r"store: opened the data disk")
        g.wait_for(r"store: ready: 2 migrations \(0 new this boot\)")
        g.wait_for(r"boot: listening on")
        assert status(g, "/readyz") == 200
    db = export(disk, tmp_path / "out2.sqlite")
    assert db.execute("SELECT count(*) FROM posts").fetchone() == (2,)


def test_edited_or_failing_migrations_leave_it_up_but_not_ready(tmp_path, disk):
    with boot(pack(tmp_path, {"001_create.sql": M1}), disk) as g:
        g.wait_for(r"store: ready: 1 migration \(1 new")
    # An edited migration: refused, nothing applied after it.
    blob = pack(tmp_path, {"001_create.sql": M1.replace("title", "name"), "002_seed.sql": M2})
    with boot(blob, disk) as g:
        g.wait_for(r"ERROR store: migration 001_create.sql changed after it was applied .*not ready")
        g.wait_for(r"boot: listening on")
        assert status(g, "/readyz") == 503
        assert status(g, "/healthz") == 200     # up for diagnosis
        g.send("db")
        g.wait_for(r"INFO  store: migration 001_create.sql changed")
        g.wait_for(r"INFO  store: statements: \d+ prepared, \d+ served from the cache")
    # A failing migration is rolled back whole: its first statement too.
    bad = "CREATE TABLE likes(post INTEGER);\nINSERT INTO nosuch VALUES (1);\n"
    with boot(pack(tmp_path, {"001_create.sql": M1, "002_bad.sql": bad}), disk) as g:
        g.wait_for(r"ERROR store: migration 002_bad.sql failed and was rolled back: no such table: nosuch")
        g.wait_for(r"boot: listening on")
        assert status(g, "/readyz") == 503
    db = export(disk, tmp_path / "out.sqlite")
    assert db.execute("SELECT name FROM sqlite_schema WHERE name = 'likes'").fetchall() == []
    assert db.execute("SELECT count(*) FROM _appliance_migrations").fetchone() == (1,)
    # A new migration numbered before the last applied one: refused.
    with boot(pack(tmp_path, {"001_create.sql": M1, "003_seed.sql": M2}), disk) as g:
        g.wait_for(r"store: ready: 2 migrations \(1 new")
    with boot(pack(tmp_path, {"001_create.sql": M1, "002_late.sql": M2, "003_seed.sql": M2}), disk) as g:
        g.wait_for(r"ERROR store: migration 002_late.sql is new but numbered before 3")


def test_a_disk_holding_other_data_is_never_written(tmp_path, disk):
    junk = b"\x7fELF" + os.urandom(4092)
    with open(disk, "r+b") as f:
        f.write(junk)
    before = disk.read_bytes()
    with boot(pack(tmp_path, {"001_create.sql": M1}), disk) as g:
        g.wait_for(r"ERROR store: disk .* is not used: it holds other data \(first bytes 7f 45 4c 46\)")
        g.wait_for(r"boot: listening on")
        assert status(g, "/readyz") == 503
    assert disk.read_bytes() == before
    r = subprocess.run([APCTL, "db", "export", str(disk), str(tmp_path / "x.sqlite")], capture_output=True, text=True)
    assert r.returncode == 1 and "holds other data" in r.stderr


def test_no_disk_for_the_database(tmp_path):
    with boot(pack(tmp_path, {"001_create.sql": M1}), None) as g:
        g.wait_for(r"ERROR store: no virtio-blk disk vda for the database: not ready")
        g.wait_for(r"boot: listening on")
        assert status(g, "/readyz") == 503


def test_power_button_drains_then_closes_the_database(tmp_path, disk):
    """QEMU's system_powerdown (the ACPI power button): a download in
    flight completes, new connections are refused, the WAL is checkpointed
    and the database closed, the machine powers off, and the next boot
    finds everything in order."""
    big = os.urandom(4 << 20)
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "big.bin").write_bytes(big)
    conf = CONF.replace("    GET /readyz ready\n", "    GET /readyz ready\n    GET /* static www\n")
    blob = pack(tmp_path, {"001_create.sql": M1, "002_seed.sql": M2}, conf)
    with boot(blob, disk) as g:
        g.wait_for(r"power: ACPI power button on SCI \d+")
        g.wait_for(r"boot: listening on")
        s = socket.create_connection(("127.0.0.1", g.port), timeout=30)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)
        s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        data = s.recv(65536)
        assert data.startswith(b"HTTP/1.1 200 ")
        assert g.qmp("system_powerdown") == {"return": {}}
        g.wait_for(r"power: power button: draining \(.* 1 open")
        # A newcomer is refused while the download goes on, slowly.
        with socket.create_connection(("127.0.0.1", g.port), timeout=10) as n:
            n.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            try:
                assert n.recv(100) == b""
            except ConnectionResetError:
                pass
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            time.sleep(0.005)
        s.close()
        head, body = data.split(b"\r\n\r\n", 1)
        assert body == big
        assert g.proc.wait(timeout=30) == 33     # a clean power-off
        out = g.output
        assert "store: closed cleanly: the WAL is checkpointed into the database" in out
        assert out.index("power: drained") < out.index("store: closed cleanly") < out.index("power: powering off")
    # The checkpoint left the whole database in its region: nothing in the WAL.
    db = export(disk, tmp_path / "out.sqlite")
    assert db.execute("SELECT count(*) FROM posts").fetchone() == (2,)
    with boot(blob, disk) as g:
        g.wait_for(r"store: ready: 2 migrations \(0 new this boot\)")


def test_disk_vdb_is_the_second_disk(tmp_path, disk):
    """Up to four virtio-blk disks are vda..vdd in PCI order; `disk vdb`
    uses the second and leaves the first alone."""
    conf = CONF.replace("database { migrations db }", "database {\n    disk vdb\n    migrations db\n}")
    blob = pack(tmp_path, {"001_create.sql": M1}, conf)
    second = tmp_path / "second.img"
    with open(second, "wb") as f:
        f.truncate(16 << 20)
    port = free_port()
    extra = ["-initrd", str(blob), "-netdev", f"user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:{port}-:80",
             "-device", "virtio-net-pci,netdev=n0"]
    for i, d in enumerate([disk, second]):
        extra += ["-drive", f"file={d},format=raw,if=none,id=d{i}", "-device", f"virtio-blk-pci,drive=d{i}"]
    with Guest("", extra=extra) as g:
        g.port = port
        g.wait_for(r"store: formatted the blank disk")
        g.wait_for(r"boot: listening on")
        assert status(g, "/readyz") == 200
        g.proc.kill()
    assert disk.read_bytes() == bytes(16 << 20)
    db = export(second, tmp_path / "out.sqlite")
    assert db.execute("SELECT count(*) FROM posts").fetchone() == (0,)
