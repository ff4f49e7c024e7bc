"""The echo client the network tests share. Imported in-process by
tests/image/test_net.py, and run as a script inside a network namespace by
tests/image/test_tap.py:

    python3 tests/netclient.py ADDR PORT SIZE PARALLEL   -> prints how many
    of PARALLEL simultaneous echoes of SIZE(+i) bytes came back intact.
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
    addr, port, size, par = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])

    def one(i):
        d = bytes((i + k) % 251 for k in range(size + i))
        with socket.create_connection((addr, port), timeout=60) as s:
            return echo(s, d) == d
    with concurrent.futures.ThreadPoolExecutor(par) as ex:
        print(sum(ex.map(one, range(par))))


if __name__ == "__main__":
    main()
