"""Helpers for users-view.sh (run with /usr/bin/python3).

  users_view.py sink PORT EVERY OUT     a TCP listener that counts lines; each time the count reaches a
                                        multiple of EVERY it writes "<count> <unix time>" to OUT (a FIFO the
                                        caller reads, so that nobody polls while the relay works)
  users_view.py counter URL NAME TARGET polls a Prometheus endpoint until the counter NAME reaches
                                        TARGET, then prints "<unix time> <value>"
"""
import socket
import sys
import threading
import time
import urllib.request


def sink(port, every, out):
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(16)
    lock = threading.Lock()
    state = {"count": 0, "next": every}

    def serve(conn):
        with conn:
            while True:
                data = conn.recv(1 << 20)
                if not data:
                    return
                with lock:
                    state["count"] += data.count(b"\n")
                    while state["count"] >= state["next"]:
                        reached = time.time()
                        with open(out, "a") as f:
                            f.write("%d %.6f\n" % (state["next"], reached))
                        state["next"] += every

    while True:
        conn, _ = server.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


def counter_value(url, name):
    body = urllib.request.urlopen(url, timeout=5).read().decode()
    for line in body.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def counter(url, name, target):
    # A scrape costs the process being measured CPU: ask every 100 ms until nine tenths of the way
    # (from where the counter stood at the start), then every 5 ms.
    start = None
    while True:
        try:
            value = counter_value(url, name)
        except Exception as e:  # not up yet, or a reply cut short: ask again
            print("counter: %s" % e, file=sys.stderr)
            value = 0.0
        if value >= target:
            print("%.6f %d" % (time.time(), value), flush=True)
            return
        if start is None:
            start = value
        time.sleep(0.1 if value < start + 0.9 * (target - start) else 0.005)


if __name__ == "__main__":
    if sys.argv[1] == "sink":
        sink(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    elif sys.argv[1] == "counter":
        counter(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    else:
        sys.exit(__doc__)
