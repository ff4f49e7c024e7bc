"""The echo client the network tests share. Imported in-process by
tests/image/test_net.py, and run as a script inside a network namespace by
tests/image/test_tap.py:

    python3 tests/netclient.py ADDR PORT SIZE PARALLEL [--bind SRC] [--timeout S]
    -> prints how many of PARALLEL simultaneous echoes of SIZE(+i) bytes
    came back intact (a connection that fails raises: exit status 1).
"""
import concurrent.futures
import socket
import sys
import threading


def echo(sock, payload):
    """Send payload to the echo service while reading the echo back, as a
    real client does (sending everything first would rely on buffers)."""
    sock.sendall(b"echo\n")
    sender = threading.Thread(target=sock.sendall, args=(payload,))
    sender.start()
    chunks, got = [], 0
    while got < len(payload):
        b = sock.recv(65536)
        if not b:
            break
        chunks.append(b)
        got += len(b)
    sender.join()
    return b"".join(chunks)


def main():
    args = sys.argv[1:]
    opts = {}
    while len(args) > 4:
        opts[args[-2]] = args[-1]
        args = args[:-2]
    addr, port, size, par = args[0], int(args[1]), int(args[2]), int(args[3])
    bind = (opts["--bind"], 0) if "--bind" in opts else None
    timeout = float(opts.get("--timeout", 60))
    block = bytes(range(251)) * (size // 251 + 3)

    def one(i):
        d = block[i % 251:i % 251 + size + i]          # byte k is (i + k) % 251
        with socket.create_connection((addr, port), timeout=timeout, source_address=bind) as s:
            return echo(s, d) == d
    with concurrent.futures.ThreadPoolExecutor(par) as ex:
        print(sum(ex.map(one, range(par))))


if __name__ == "__main__":
    main()
