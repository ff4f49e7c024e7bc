"""Whole-image firewall tests on the tap path (tests/tapnet.py): real
scanners and clients in a private network namespace against the booted
image, with security-group rules from a config blob. What a user of an AWS
security group expects: allowed ports open, everything else filtered (no
RST, no ICMP), stateful replies, source CIDRs, ICMP by rule, outbound
rules that bind the image's own traffic, and counters that say what
happened."""
import re
import shutil
import subprocess
import time

import pytest

from qemu import EXIT_OK, ROOT
from tapnet import needs_tap, netns, sh, tap_guest  # noqa: F401 (netns is a fixture)

pytestmark = needs_tap
APCTL = f"{ROOT}/build/apctl"
GUEST = "192.0.2.10"
STATIC = "network {\n    address 192.0.2.10/24\n    gateway 192.0.2.1\n}\n"


def blob(tmp_path, firewall, network=STATIC):
    d = tmp_path / "conf"
    d.mkdir(exist_ok=True)
    (d / "appliance.conf").write_text(network + "firewall {\n" + firewall + "\n}\n")
    out = tmp_path / "blob"
    r = subprocess.run([APCTL, "pack", str(d / "appliance.conf"), "-o", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return ["-initrd", str(out)]


def counters(g):
    """The firewall's counters from the `fw` console command."""
    n = len(g.lines)
    g.send("fw")
    g.wait_for(r"fw: rule ", timeout=10)
    time.sleep(0.3)
    return "\n".join(t for _, t in g.lines[n:])


def count(text, direction, reason):
    m = re.search(rf"fw: dropped {direction}:.*\b{re.escape(reason)} (\d+)", text)
    return int(m.group(1)) if m else 0


def nmap(ex, *args, timeout=240):
    r = sh(*ex, "nmap", "-n", "-Pn", "-oG", "-", *args, GUEST, timeout=timeout, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


@pytest.mark.skipif(not shutil.which("nmap"), reason="nmap is installed by tools/install-packages.sh")
def test_syn_scan_of_every_port_finds_exactly_80_and_443(netns, tmp_path):
    # 8443 has a listener too, but its rule admits another network only:
    # the firewall does not care what listens (seeds' "even if your server
    # is running, no one can reach it").
    rules = ('    inbound tcp 80 from any "http"\n    inbound tcp 443 from any "https"\n'
             '    inbound tcp 8443 from 198.51.100.0/24 "partners only"')
    with tap_guest(netns, "test.tcpsvc=443,8443", extra=blob(tmp_path, rules)) as g:
        g.wait_for(rf"listening on {GUEST}")
        g.wait_for(r"TEST-ONLY TCP service on port 8443")
        t0 = time.monotonic()
        out = nmap(netns, "-sS", "-p-", "-T4", "--max-retries", "1", "--min-rate", "5000")
        took = time.monotonic() - t0
        ports = re.search(r"Ports: (.*?)(\t|$)", out, re.M).group(1)
        opened = sorted(p.split("/")[0] for p in ports.split(", ") if "/open/" in p)
        assert opened == ["443", "80"], out
        assert re.search(r"Ignored State: filtered \(65533\)", out), out
        c = counters(g)
        # Every other port was dropped by the missing rule, never answered.
        assert count(c, "in", "no-rule") >= 65533, c
        assert "dropped out: none" in c, c
        # Drops are logged, and the log is rate-limited.
        assert re.search(r"fw: blocked in tcp 192\.0\.2\.1:\d+ -> 192\.0\.2\.10:\d+ \[S\]: "
                         r"no inbound rule allows it", g.output)
        logged = len(re.findall(r"fw: blocked in", g.output))
        assert logged < 20 + 10 * (took + 5), (logged, took)
        assert re.search(r"\(\d+ more drops not logged\)", g.output)


@pytest.mark.skipif(not shutil.which("nmap"), reason="nmap is installed by tools/install-packages.sh")
def test_udp_scan_is_filtered_unless_a_rule_lets_the_port_answer(netns, tmp_path):
    # udp 161 is allowed but nothing listens: the stack answers with ICMP
    # port unreachable (a related reply), so nmap sees "closed". The other
    # ports get nothing back: "open|filtered", which is all a scan learns.
    with tap_guest(netns, "", extra=blob(tmp_path, "    inbound udp 161 from any")) as g:
        g.wait_for(rf"listening on {GUEST}")
        out = nmap(netns, "-sU", "-p", "53,67,123,161,500", "--max-retries", "1")
        assert re.search(r"161/closed/udp", out), out
        for port in (53, 67, 123, 500):
            assert re.search(rf"{port}/open\|filtered/udp", out), out
        c = counters(g)
        assert re.search(r"passed out:.*related [1-9]", c), c


def hping(ex, *args):
    if not shutil.which("hping3"):
        pytest.skip("hping3 is installed by tools/install-packages.sh")
    return sh(*ex, "hping3", "-c", "2", "-i", "u200000", *args, GUEST, timeout=30, check=False)


def test_ack_fin_and_fragments_get_no_answer(netns, tmp_path):
    rules = "    inbound tcp 80 from any\n    inbound tcp 81 from any"
    with tap_guest(netns, "", extra=blob(tmp_path, rules)) as g:
        g.wait_for(rf"listening on {GUEST}")
        # The control: a SYN to an allowed port where nothing listens gets
        # the stack's RST, so silence below is the firewall's doing.
        r = hping(netns, "-S", "-p", "81")
        assert "flags=RA" in r.stdout, r.stdout + r.stderr
        for flags, port in (("-A", "22"), ("-F", "22"), ("-A", "80"), ("-F", "80"), ("-SF", "80")):
            r = hping(netns, flags, "-p", port)
            assert "flags=" not in r.stdout, (flags, port, r.stdout)
            assert "100% packet loss" in r.stdout + r.stderr, (flags, port, r.stdout, r.stderr)
        r = hping(netns, "-S", "-p", "80", "-f", "-d", "200")      # fragmented SYNs
        assert "flags=" not in r.stdout, r.stdout
        c = counters(g)
        assert count(c, "in", "no-rule") >= 2, c                   # ACK to 22
        assert count(c, "in", "tcp-no-flow") >= 2, c               # ACK to 80: no connection
        assert count(c, "in", "tcp-flags") >= 6, c                 # FIN without ACK, SYN+FIN
        assert count(c, "in", "fragment") >= 2, c


def ping(ex, addr, source=None):
    src = ["-I", source] if source else []
    return sh(*ex, "ping", "-c", "2", "-i", "0.2", "-W", "2", *src, addr, check=False)


def test_ping_needs_an_icmp_rule_and_source_cidrs_are_enforced(netns, tmp_path):
    # 192.0.2.1 is in 192.0.2.0/28; 192.0.2.100 (also on tap0) is not.
    sh(*netns, "ip", "addr", "add", "192.0.2.100/24", "dev", "tap0")
    rules = ("    inbound icmp echo-request from 192.0.2.0/28 \"ping from the admin net\"\n"
             "    inbound tcp 7 from 192.0.2.0/28")
    with tap_guest(netns, "test.tcpsvc=7", extra=blob(tmp_path, rules)) as g:
        g.wait_for(rf"listening on {GUEST}")
        assert ping(netns, GUEST, "192.0.2.1").returncode == 0
        assert ping(netns, GUEST, "192.0.2.100").returncode != 0
        ok = sh(*netns, "/usr/bin/python3", f"{ROOT}/tests/netclient.py", GUEST, "7", "1000", "1",
                "--bind", "192.0.2.1", timeout=60, check=False)
        assert ok.returncode == 0 and ok.stdout.strip() == "1", ok.stdout + ok.stderr
        bad = sh(*netns, "/usr/bin/python3", f"{ROOT}/tests/netclient.py", GUEST, "7", "1000", "1",
                 "--bind", "192.0.2.100", "--timeout", "3", timeout=60, check=False)
        assert bad.returncode != 0, bad.stdout
        g.wait_for(r"fw: blocked in tcp 192\.0\.2\.100:\d+ -> 192\.0\.2\.10:7 \[S\]: no inbound rule")
        g.wait_for(r"fw: blocked in icmp 192\.0\.2\.100 -> 192\.0\.2\.10 type 8 code 0")
        c = counters(g)
        assert re.search(r'rule inbound 1 \(line \d+, "ping from the admin net"\): [1-9]\d* packets', c), c
    # Without an ICMP rule, ping gets nothing at all.
    with tap_guest(netns, "", extra=blob(tmp_path, "    inbound tcp 443 from any")) as g:
        g.wait_for(rf"listening on {GUEST}")
        assert ping(netns, GUEST, "192.0.2.1").returncode != 0


def test_large_transfer_passes_on_replies_alone(netns, tmp_path):
    # Outbound rules allow only NTP: every byte the image sends back is a
    # reply of the inbound connection, let through by tracking.
    rules = "    inbound tcp 7 from any\n    outbound udp 123 to any"
    with tap_guest(netns, "test.tcpsvc=7", extra=blob(tmp_path, rules)) as g:
        g.wait_for(rf"listening on {GUEST}")
        size = 30_000_000
        r = sh(*netns, "/usr/bin/python3", f"{ROOT}/tests/netclient.py", GUEST, "7", str(size), "2",
               timeout=180, check=False)
        assert r.returncode == 0 and r.stdout.strip() == "2", r.stdout + r.stderr
        c = counters(g)
        assert "dropped out: none" in c, c
        for reason in ("no-rule", "tcp-state", "tcp-no-flow", "table-full"):
            assert count(c, "in", reason) == 0, c              # (the namespace's IPv6 chatter aside)
        m = re.search(r"rule inbound 1 \(line \d+\): (\d+) packets, (\d+) bytes", c)
        assert m and int(m.group(2)) > 2 * 2 * size, c          # both ways, both connections


def test_outbound_rules_without_udp_stop_dhcp_and_count_it(netns, tmp_path):
    leases = tmp_path / "leases"
    dnsmasq = subprocess.Popen(
        netns + ["dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--interface=tap0",
                 "--bind-dynamic", "--port=0", "--no-resolv", "--no-hosts",
                 f"--dhcp-leasefile={leases}", "--dhcp-range=192.0.2.50,192.0.2.60,255.255.255.0,1h"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        extra = blob(tmp_path, "    outbound tcp any to any", network="network { dhcp }\n")
        with tap_guest(netns, "test.poweroff=6000", extra=extra) as g:
            rc = g.wait_exit(60)
            assert rc == EXIT_OK, g.output
            out = g.output
        assert "listening on" not in out
        assert re.search(r"fw: blocked out udp 0\.0\.0\.0:68 -> 255\.255\.255\.255:67: "
                         r"no outbound rule allows it", out), out
        assert re.search(r"fw: dropped out: no-rule [1-9]", out), out
        assert not leases.exists() or "52:54:00" not in leases.read_text()
    finally:
        dnsmasq.kill()
        dnsmasq.wait()
