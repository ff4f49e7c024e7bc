"""tools/aws-upload.sh and tools/gce-upload.sh (docs/deploy.md), on the
host only, never touching a cloud: shellcheck finds nothing; --dry-run
prints every command and runs none; missing arguments are a usage error
(exit status 2); an image that is not there, or not an appliance image, is
refused before any command. The real (not dry-run) path runs against stub
aws, gsutil and gcloud commands first on PATH, which log their arguments:
the order of the calls, the import poll, a failed and a timed-out import,
and the archive Compute Engine is given."""
import os
import shutil
import stat
import subprocess
import tarfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AWS = os.path.join(ROOT, "tools", "aws-upload.sh")
GCE = os.path.join(ROOT, "tools", "gce-upload.sh")

# Stubs for the cloud CLIs: each logs its arguments (one call a line) and
# answers as the real one would with --output text. STUB_IMPORT: "ok" (one
# poll "active", then "completed"), "fail" (deleted, with a message),
# "slow" (always active).
AWS_STUB = r"""#!/bin/bash
echo "aws $*" >>"$STUB_LOG"
case "$1 $2" in
"s3 cp") echo "upload: $3 to $4" ;;
"ec2 import-snapshot") echo import-snap-0abc123 ;;
"ec2 describe-import-snapshot-tasks")
    n=$(cat "$STUB_LOG.polls" 2>/dev/null || echo 0); echo $((n + 1)) >"$STUB_LOG.polls"
    case ${STUB_IMPORT:-ok} in
    ok) if [ "$n" -eq 0 ]; then printf 'active\tNone\t30\tpending\n'; else printf 'completed\tsnap-0def456\tNone\tNone\n'; fi ;;
    fail) printf 'deleted\tNone\tNone\tClientError: Disk validation failed\n' ;;
    slow) printf 'active\tNone\t5\tpending\n' ;;
    esac ;;
"ec2 register-image") echo ami-0feed789 ;;
*) echo "stub aws: unexpected $*" >&2; exit 9 ;;
esac
"""
GSUTIL_STUB = r"""#!/bin/bash
echo "gsutil $*" >>"$STUB_LOG"
[ "$1" = cp ] && tar -tvzf "$2" >>"$STUB_LOG.tar"
"""
GCLOUD_STUB = r"""#!/bin/bash
echo "gcloud $*" >>"$STUB_LOG"
"""


def fake_image(path, esp_name="appliance-esp"):
    """Enough of an appliance image for the scripts' check: a GPT header at
    LBA 1 and a partition entry named appliance-esp at LBA 2."""
    data = bytearray(1 << 20)
    data[512:520] = b"EFI PART"
    name = esp_name.encode("utf-16-le")
    data[1024 + 56:1024 + 56 + len(name)] = name
    path.write_bytes(bytes(data))
    return path


@pytest.fixture
def stubs(tmp_path):
    """A PATH whose aws, gsutil and gcloud are the stubs; the log path."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name, text in (("aws", AWS_STUB), ("gsutil", GSUTIL_STUB), ("gcloud", GCLOUD_STUB)):
        p = bindir / name
        p.write_text(text)
        p.chmod(p.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "calls.log"
    env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}", STUB_LOG=str(log), AWS_UPLOAD_POLL="0",
               TMPDIR=str(tmp_path))
    return env, log


def calls(log):
    return log.read_text().splitlines() if log.exists() else []


def run(script, *args, env=None):
    return subprocess.run([script, *args], capture_output=True, text=True, env=env, timeout=60)


def plus_lines(out):
    return [line for line in out.splitlines() if line.startswith("+ ")]


@pytest.mark.parametrize("script", [AWS, GCE, os.path.join(ROOT, "tools", "upload-common.sh")])
def test_shellcheck_finds_nothing(script):
    if not shutil.which("shellcheck"):
        pytest.skip("shellcheck is not installed (Debian: shellcheck)")
    r = subprocess.run(["shellcheck", script], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout


def test_aws_dry_run_prints_every_command_and_runs_none(tmp_path, stubs):
    env, log = stubs
    img = fake_image(tmp_path / "appliance.img")
    r = run(AWS, "--dry-run", "--bucket", "my-bucket", "--name", "appliance-1", "--region", "eu-west-1",
            str(img), env=env)
    assert r.returncode == 0, r.stderr
    cmds = plus_lines(r.stdout)
    assert len(cmds) == 4, r.stdout
    assert cmds[0].startswith("+ aws s3 cp ") and f"{img} s3://my-bucket/appliance-1.img" in cmds[0]
    assert cmds[1].startswith("+ aws ec2 import-snapshot ")
    assert "'Format=raw,UserBucket={S3Bucket=my-bucket,S3Key=appliance-1.img}'" in cmds[1]
    assert cmds[2].startswith("+ aws ec2 describe-import-snapshot-tasks --import-task-ids import-snap-DRYRUN ")
    assert cmds[3].startswith("+ aws ec2 register-image --name appliance-1 ")
    for word in ("--architecture x86_64", "--virtualization-type hvm", "--root-device-name /dev/xvda",
                 "SnapshotId=snap-DRYRUN", "--ena-support", "--boot-mode uefi-preferred"):
        assert word in cmds[3], word
    assert all(c.endswith(" --region eu-west-1") for c in cmds)
    assert r.stdout.splitlines()[-1] == "ami-DRYRUN"
    assert calls(log) == []


def test_gce_dry_run_prints_every_command_and_runs_none(tmp_path, stubs):
    env, log = stubs
    img = fake_image(tmp_path / "appliance.img")
    r = run(GCE, "--dry-run", "--bucket", "my-bucket", "--name", "appliance-1", "--project", "proj",
            "--family", "appliance", str(img), env=env)
    assert r.returncode == 0, r.stderr
    cmds = plus_lines(r.stdout)
    assert [c.split()[1] for c in cmds] == ["cp", "truncate", "sgdisk", "tar", "gsutil", "gcloud"], r.stdout
    assert "--format=oldgnu -Sczf " in cmds[3] and cmds[3].endswith(" disk.raw")
    assert cmds[1].startswith("+ truncate -s 1G ")
    assert cmds[4].startswith("+ gsutil cp ") and cmds[4].endswith(" gs://my-bucket/appliance-1.tar.gz")
    assert cmds[5].startswith("+ gcloud compute images create appliance-1 --source-uri gs://my-bucket/appliance-1.tar.gz ")
    for word in ("--guest-os-features=UEFI_COMPATIBLE", "--family appliance", "--project proj"):
        assert word in cmds[5], word
    assert r.stdout.splitlines()[-1] == "appliance-1"
    assert calls(log) == [] and not list(tmp_path.glob("gce-upload.*"))


USAGE_ERRORS = [
    [],
    ["--dry-run"],
    ["--dry-run", "--bucket", "my-bucket", "IMG"],
    ["--dry-run", "--name", "appliance-1", "IMG"],
    ["--dry-run", "--bucket", "my-bucket", "--name", "appliance-1"],
    ["--dry-run", "--bucket", "my-bucket", "--name"],
    ["--dry-run", "--bucket", "my-bucket", "--name", "appliance-1", "--frobnicate", "IMG"],
    ["--dry-run", "--bucket", "my-bucket", "--name", "appliance-1", "IMG", "IMG"],
    ["--dry-run", "--bucket", "s3://my-bucket", "--name", "appliance-1", "IMG"],
]


@pytest.mark.parametrize("script", [AWS, GCE])
@pytest.mark.parametrize("args", USAGE_ERRORS)
def test_missing_or_wrong_arguments_are_a_usage_error(tmp_path, stubs, script, args):
    env, log = stubs
    img = str(fake_image(tmp_path / "appliance.img"))
    r = run(script, *[img if a == "IMG" else a for a in args], env=env)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "usage: tools/" in r.stderr and r.stdout == ""
    assert calls(log) == []


@pytest.mark.parametrize("script,name,ok", [
    (AWS, "Appliance_1 (2024)", True), (AWS, "ab", False), (AWS, "a,b,c", False),
    (GCE, "appliance-1", True), (GCE, "Appliance_1", False), (GCE, "1appliance", False)])
def test_names_are_checked_as_each_cloud_wants(tmp_path, stubs, script, name, ok):
    env, _ = stubs
    img = str(fake_image(tmp_path / "appliance.img"))
    r = run(script, "--dry-run", "--bucket", "b-1", "--name", name, img, env=env)
    assert r.returncode == (0 if ok else 2), r.stderr


@pytest.mark.parametrize("script", [AWS, GCE])
@pytest.mark.parametrize("dry", [True, False])
def test_an_image_that_is_not_there_or_not_ours_is_refused_first(tmp_path, stubs, script, dry):
    env, log = stubs
    flags = ["--dry-run"] if dry else []
    base = flags + ["--bucket", "my-bucket", "--name", "appliance-1"]
    r = run(script, *base, str(tmp_path / "nonexistent.img"), env=env)
    assert r.returncode == 1 and "no image" in r.stderr and r.stdout == ""
    (tmp_path / "junk.img").write_bytes(b"QFI\xfb" + bytes(4096))         # e.g. a qcow2
    r = run(script, *base, str(tmp_path / "junk.img"), env=env)
    assert r.returncode == 1 and "not a raw GPT disk image" in r.stderr and r.stdout == ""
    other = fake_image(tmp_path / "other.img", esp_name="EFI system")      # a GPT disk, not ours
    r = run(script, *base, str(other), env=env)
    assert r.returncode == 1 and "no appliance-esp partition" in r.stderr and r.stdout == ""
    assert calls(log) == []


def test_aws_upload_imports_waits_and_registers(tmp_path, stubs):
    env, log = stubs
    img = fake_image(tmp_path / "appliance.img")
    r = run(AWS, "--bucket", "my-bucket", "--name", "appliance-1", "--key", "images/a1.img", str(img), env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "ami-0feed789\n"
    c = calls(log)
    assert [" ".join(x.split()[:3]) for x in c] == [
        "aws s3 cp", "aws ec2 import-snapshot", "aws ec2 describe-import-snapshot-tasks",
        "aws ec2 describe-import-snapshot-tasks", "aws ec2 register-image"]
    assert c[0] == f"aws s3 cp {img} s3://my-bucket/images/a1.img"
    assert "--import-task-ids import-snap-0abc123" in c[2]
    assert "SnapshotId=snap-0def456" in c[4] and "--ena-support" in c[4] and "--boot-mode uefi-preferred" in c[4]
    assert "import task import-snap-0abc123: active 30%" in r.stderr
    assert "+ aws s3 cp" in r.stderr                     # each command is shown on stderr


def test_aws_upload_stops_on_a_failed_import(tmp_path, stubs):
    env, log = stubs
    env["STUB_IMPORT"] = "fail"
    img = fake_image(tmp_path / "appliance.img")
    r = run(AWS, "--bucket", "my-bucket", "--name", "appliance-1", str(img), env=env)
    assert r.returncode == 1 and r.stdout == ""
    assert "deleted: ClientError: Disk validation failed" in r.stderr
    assert not any("register-image" in x for x in calls(log))


def test_aws_upload_gives_up_after_its_timeout(tmp_path, stubs):
    env, log = stubs
    env["STUB_IMPORT"] = "slow"
    img = fake_image(tmp_path / "appliance.img")
    r = run(AWS, "--bucket", "my-bucket", "--name", "appliance-1", "--timeout", "0", str(img), env=env)
    assert r.returncode == 1 and r.stdout == ""
    assert "still active after 0 s" in r.stderr
    assert not any("register-image" in x for x in calls(log))


def test_gce_upload_packs_disk_raw_and_creates_the_image(tmp_path, stubs):
    if not shutil.which("sgdisk"):
        pytest.skip("sgdisk is not installed (Debian: gdisk)")
    env, log = stubs
    img = tmp_path / "appliance.img"
    with open(img, "wb") as f:
        f.truncate(3 << 20)
    subprocess.run(["sgdisk", "-o", "-n", "1:2048:0", "-t", "1:ef00", "-c", "1:appliance-esp", str(img)],
                   check=True, capture_output=True)
    r = run(GCE, "--bucket", "my-bucket", "--name", "appliance-1", str(img), env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "appliance-1\n"
    c = calls(log)
    assert len(c) == 2 and c[0].startswith("gsutil cp ") and c[0].endswith(" gs://my-bucket/appliance-1.tar.gz")
    assert c[1].startswith("gcloud compute images create appliance-1 --source-uri gs://my-bucket/appliance-1.tar.gz ")
    assert "--guest-os-features=UEFI_COMPATIBLE" in c[1]
    listing = (tmp_path / "calls.log.tar").read_text().split()
    assert "disk.raw" in listing and str(1 << 30) in listing     # one file, disk.raw, grown to 1 GiB
    assert not list(tmp_path.glob("gce-upload.*"))               # the temporary files are gone
    assert img.stat().st_size == 3 << 20                         # the image itself is untouched
