"""Boot the real image in QEMU and read its serial console.

Guest(...) starts qemu-system-x86_64 (TCG unless ACCEL=kvm), serial on
stdout, with isa-debug-exit when asked. A reader thread keeps every console
line with the host time it arrived. Every wait has a timeout; the context
manager kills QEMU on exit, so no test leaves a process behind. Each QEMU
carries -name RUN_TAG so the session guard can find strays.
"""
import os
import re
import socket
import subprocess
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KERNEL = os.path.join(ROOT, "build", "appliance.elf")
APCTL = os.path.join(ROOT, "build", "apctl")
RUN_TAG = f"appliance-test-{os.getpid()}"
ACCEL = os.environ.get("ACCEL", "tcg")

# QEMU exit statuses: isa-debug-exit gives ((0x10 | code) << 1) | 1
# (kernel/power.h); ACPI S5 power-off gives 0.
EXIT_OK, EXIT_PANIC, EXIT_EXCEPTION, EXIT_CONFIG, EXIT_SELFTEST = 33, 35, 37, 39, 41
EXIT_ACPI_OFF = 0


class Guest:
    def __init__(self, append="", machine="q35", mem="128M", cpu="max",
                 debugexit=True, extra=(), kernel=KERNEL, prefix=()):
        # prefix: e.g. ["ip", "netns", "exec", NS] (it execs QEMU in place).
        # kernel None: boot from a disk image (its firmware and boot loader).
        self.cmd = list(prefix) + ["qemu-system-x86_64", "-name", RUN_TAG, "-M", machine,
                    "-accel", ACCEL, "-cpu", cpu, "-m", mem, "-nodefaults",
                    "-no-reboot", "-display", "none", "-serial", "stdio"]
        if kernel:
            self.cmd += ["-kernel", kernel]
        if debugexit:
            self.cmd += ["-device", "isa-debug-exit,iobase=0xf4,iosize=4"]
            append = ("debugexit " + append).strip()
        if kernel:
            self.cmd += ["-append", append]
        self.cmd += list(extra)
        self.lines = []          # (host seconds since start, text)
        self.cond = threading.Condition()
        self.proc = None
        self.t0 = None

    def __enter__(self):
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        threading.Thread(target=self._read, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.kill()

    def _read(self):
        for raw in self.proc.stdout:
            text = raw.decode("utf-8", "replace").rstrip("\r\n")
            with self.cond:
                self.lines.append((time.monotonic() - self.t0, text))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def qmp(self, command):
        """One QMP command (the Guest needs extra=qmp_args(path)); its reply."""
        import json
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(self.qmp_path)
            f = s.makefile("rw")
            f.readline()                            # the greeting
            for cmd in ("qmp_capabilities", command):
                f.write(json.dumps({"execute": cmd}) + "\n")
                f.flush()
                reply = {}
                while "return" not in reply and "error" not in reply:
                    reply = json.loads(f.readline())  # events may come first
            return reply

    def send(self, line):
        """Type a line on the serial console (console commands)."""
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
        if self.proc:
            self.proc.wait(timeout=10)

    @property
    def output(self):
        with self.cond:
            return "\n".join(t for _, t in self.lines)

    def wait_for(self, pattern, timeout=30):
        """First console line matching pattern (regex): (host_time, match)."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = 0
        with self.cond:
            while True:
                for t, text in self.lines[seen:]:
                    m = rx.search(text)
                    if m:
                        return t, m
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and seen == len(self.lines)
                                 and not self._reader_may_add()):
                    raise AssertionError(f"no console line matches {pattern!r} within {timeout}s; "
                                         f"console:\n{self.output}\nstderr: {self._stderr()}")
                self.cond.wait(min(left, 0.2))

    def _reader_may_add(self):
        return not self.proc.stdout.closed and self.proc.poll() is None

    def _stderr(self):
        if self.proc.poll() is None:
            return "(running)"
        return self.proc.stderr.read().decode("utf-8", "replace")

    def cpu_seconds(self):
        """Host CPU time (user + system) QEMU has used so far."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def idle_cpu_share(self, seconds=3.0):
        """Share of one host CPU QEMU uses over the next `seconds`."""
        c0, t0 = self.cpu_seconds(), time.monotonic()
        time.sleep(seconds)
        return (self.cpu_seconds() - c0) / (time.monotonic() - t0)

    def wait_exit(self, timeout=30):
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"QEMU still running after {timeout}s; console:\n{self.output}")
        time.sleep(0.05)         # let the reader drain the pipe
        return rc


def free_port():
    """A loopback port free now, for a hostfwd or a reference server."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def boot(append="", timeout=30, **kw):
    """Boot to exit; returns (exit status, console text)."""
    with Guest(append=append, **kw) as g:
        rc = g.wait_exit(timeout)
        return rc, g.output


def pack_dir(d):
    """apctl pack d/appliance.conf into d/blob (the config must be valid)."""
    r = subprocess.run([APCTL, "pack", os.path.join(d, "appliance.conf"), "-o", os.path.join(d, "blob")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return os.path.join(d, "blob")


def blank_disk(path, size=32 << 20):
    """A blank (sparse) raw disk file."""
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def disk_guest(blob, disk, guest_port=80, append="", mem="128M"):
    """A Guest with blob as its config, disk as its first virtio-blk disk
    and guest_port forwarded from a free loopback port (g.port)."""
    port = free_port()
    extra = ["-initrd", str(blob),
             "-netdev", f"user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:{port}-:{guest_port}",
             "-device", "virtio-net-pci,netdev=n0",
             "-drive", f"file={disk},format=raw,if=none,id=d0,cache=writeback", "-device", "virtio-blk-pci,drive=d0"]
    g = Guest(append.format(port=port), mem=mem, extra=extra)
    g.port = port
    return g
