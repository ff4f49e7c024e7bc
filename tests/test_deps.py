"""The pinned-dependency promises: a tarball that does not match its pin
stops the fetch with a message naming the file; a built tree is not
rebuilt by a second make."""
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FETCH = os.path.join(ROOT, "tools", "fetch-deps.sh")
BAD_SUM = "0" * 64


def test_tampered_download_is_refused_by_name(tmp_path):
    # The real BearSSL tarball from Debian's archive, checked against a pin
    # it cannot match: the download must fail and name the file.
    lock = tmp_path / "deps.lock"
    lock.write_text(f"bearssl  bearssl_0.6+dfsg.1.orig.tar.xz  {BAD_SUM}\n")
    r = subprocess.run([FETCH, str(tmp_path / "deps")], env=dict(os.environ, DEPS_LOCK=str(lock)),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 1, r.stderr
    assert "bearssl_0.6+dfsg.1.orig.tar.xz" in r.stderr and "sha256" in r.stderr, r.stderr
    assert not (tmp_path / "deps" / "tarballs" / "bearssl_0.6+dfsg.1.orig.tar.xz").exists()


def test_corrupt_local_tarball_is_named_and_replaced(tmp_path):
    # A tarball already on disk that does not match its pin is reported by
    # name and fetched again (checked against the real pin).
    real = open(os.path.join(ROOT, "tools", "deps.lock")).read().splitlines()
    line = next(l for l in real if l.startswith("bearssl"))
    lock = tmp_path / "deps.lock"
    lock.write_text(line + "\n")
    tar = tmp_path / "deps" / "tarballs" / "bearssl_0.6+dfsg.1.orig.tar.xz"
    tar.parent.mkdir(parents=True)
    tar.write_bytes(b"not a tarball")
    r = subprocess.run([FETCH, str(tmp_path / "deps")], env=dict(os.environ, DEPS_LOCK=str(lock)),
                       capture_output=True, text=True, timeout=300)
    assert "bearssl_0.6+dfsg.1.orig.tar.xz does not match its pinned sha256" in r.stderr
    assert r.returncode == 0, r.stderr
    assert tar.stat().st_size > 100000


def test_second_make_has_nothing_to_do():
    # After the build that `make test` just did, a dry run of the same goals
    # lists no command: no fetch, no library build, no compile, no link.
    r = subprocess.run(["make", "-n", "-C", ROOT, "all", "unit"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    cmds = [l for l in r.stdout.splitlines() if l.strip() and not l.startswith("make")]
    assert cmds == [], "a second make would run:\n" + "\n".join(cmds)
