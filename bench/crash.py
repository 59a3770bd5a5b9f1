#!/usr/bin/env python3
"""Crash test: sustained intake while the server is killed with SIGKILL again and again.

Reports arrive through the JSON API (each with an Idempotency-Key, retried with the same key
after a failure, as a careful client would) and through the signed WhatsApp webhook (retried
with the same message id, as Meta does); the scheduler fires SLA clocks (the process runs on a
clock 5000 times faster than real time, TANGGAP_TEST_TIME_RATE, so 24-hour thresholds cross
within the run) and the outbox sends to a fake WhatsApp provider. The server is killed at
random moments KILLS times and started again each time; on PostgreSQL the database server is
also restarted once mid-run.

Afterwards, with the server stopped:
- every submission that got a 2xx is in the database exactly once, under the tracking ID it
  was answered with;
- every webhook message that got a 2xx was recorded once and filed as exactly one report;
- every notification enqueued was sent, and the fake provider saw each WhatsApp one; a message
  seen twice is counted as a duplicate (the documented window: a crash after the provider took
  it and before the outbox recorded it) and must carry the same idempotency key, which it does
  by construction of the count; at most one duplicate per message in flight at each kill;
- no clock threshold fired twice (audit events `clock.threshold_fired`);
- `tanggap audit verify` passes.

Usage: bench/crash.py --bin target/release/tanggap [--backend sqlite|postgres] [--kills 10]
Prints one JSON line of figures at the end; exits non-zero if a check failed.
"""

import argparse
import hashlib
import hmac
import http.client
import http.server
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid

APP_SECRET = "crash-app-secret"
RATE = 5000  # the server's clock runs this many times faster than real time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeWhatsApp(http.server.ThreadingHTTPServer):
    """The Graph API's message endpoint: records every message it accepts."""

    def __init__(self):
        self.lock = threading.Lock()
        self.seen = []  # (to, idempotency key)
        super().__init__(("127.0.0.1", free_port()), FakeHandler)

    def handle_error(self, request, client_address):
        # A server killed while it sent leaves the connection reset: that is the test.
        pass

    def record(self, to, key):
        with self.lock:
            self.seen.append((to, key))
            return len(self.seen)


class FakeHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        n = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(n) or b"{}")
        count = self.server.record(body.get("to"), body.get("biz_opaque_callback_data"))
        out = json.dumps({"messaging_product": "whatsapp", "messages": [{"id": f"wamid.OUT{count}"}]}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


class Server:
    def __init__(self, args, env, log):
        self.args, self.env, self.log = args, env, log
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([self.args.bin, "serve"], env=self.env, stdout=self.log, stderr=self.log)
        deadline = time.time() + 60
        while time.time() < deadline:
            if request("GET", "/readyz", port=self.env["PORT"], timeout=1)[0] == 200:
                return
            if self.proc.poll() is not None:
                raise SystemExit(f"the server exited with {self.proc.returncode} at start (see {self.log.name})")
            time.sleep(0.1)
        raise SystemExit("the server did not become ready in 60 s")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)


def request(method, path, body=None, headers=None, port=None, timeout=10):
    try:
        c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=timeout)
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data
    except (OSError, http.client.HTTPException):
        return None, b""


class Load:
    """Clients that keep submitting until told to stop, retrying each submission until it is
    answered (or the run ends)."""

    def __init__(self, port):
        self.port = port
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.api_acked = {}  # nonce -> tracking id
        self.api_replayed = 0  # answered by a replay after a failed attempt
        self.api_unanswered = 0
        self.wa_acked = {}  # wamid -> sender
        self.wa_unanswered = 0
        self.attempts_failed = 0

    def api_client(self, k):
        n = 0
        while not self.stop.is_set():
            n += 1
            nonce = f"crash{k}x{n}x{uuid.uuid4().hex[:8]}"
            body = json.dumps({
                "kind": "pengaduan",
                "title": f"Jalan rusak uji {nonce}",
                "body": f"Jalan provinsi berlubang besar dan membahayakan pengendara ({nonce}).",
                "region_code": "33.74.01.1001",
                "category": "jalan-jembatan",
                "visibility": "publik",
                "reporter": {"name": "Warga Uji", "phone": f"08123{k:02d}{n % 100000:05d}"},
            })
            failed_before = False
            while True:
                status, data = request("POST", "/api/v1/reports", body, {
                    "content-type": "application/json", "idempotency-key": nonce}, self.port)
                if status == 201:
                    with self.lock:
                        self.api_acked[nonce] = json.loads(data)["tracking_id"]
                        if failed_before:
                            self.api_replayed += 1
                    break
                with self.lock:
                    self.attempts_failed += 1
                failed_before = True
                if self.stop.is_set():
                    with self.lock:
                        self.api_unanswered += 1
                    break
                time.sleep(0.2)

    def wa_client(self, k):
        n = 0
        while not self.stop.is_set():
            n += 1
            sender = f"62857{k:02d}{n:06d}"
            wamid = f"wamid.crash{k}x{n}"
            body = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
                "field": "messages", "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {"display_phone_number": "6281100000000", "phone_number_id": "106540352242922"},
                    "contacts": [{"profile": {"name": "Warga"}, "wa_id": sender}],
                    "messages": [{"from": sender, "id": wamid, "timestamp": str(int(time.time())), "type": "text",
                                  "text": {"body": f"Lampu jalan di depan pasar mati sudah seminggu ({wamid})."}}]}}]}]},
                separators=(",", ":")).encode()
            sig = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
            while True:
                status, _ = request("POST", "/channels/whatsapp", body, {
                    "content-type": "application/json", "x-hub-signature-256": sig}, self.port)
                if status == 200:
                    with self.lock:
                        self.wa_acked[wamid] = sender
                    break
                with self.lock:
                    self.attempts_failed += 1
                if self.stop.is_set():
                    with self.lock:
                        self.wa_unanswered += 1
                    break
                time.sleep(0.2)
            time.sleep(0.05)


class Db:
    def __init__(self, backend, path=None, name=None):
        self.backend, self.path, self.name = backend, path, name

    def rows(self, sql):
        if self.backend == "sqlite":
            c = sqlite3.connect(self.path)
            try:
                return [tuple("" if v is None else str(v) for v in r) for r in c.execute(sql)]
            finally:
                c.close()
        out = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-AtqX", "-F", "\x1f", "-c", sql, self.name],
                             check=True, capture_output=True, text=True).stdout
        return [tuple(line.split("\x1f")) for line in out.splitlines() if line]

    def scalar(self, sql):
        return int(self.rows(sql)[0][0])


def metric(port, name, labels=""):
    status, data = request("GET", "/metrics", port=port)
    if status != 200:
        return None
    for line in data.decode().splitlines():
        if line.startswith(name + labels + " ") or (not labels and line.startswith(name + " ")):
            return float(line.split()[-1])
    return None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", default="target/release/tanggap")
    p.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--kills", type=int, default=10)
    p.add_argument("--api-clients", type=int, default=4)
    p.add_argument("--wa-clients", type=int, default=2)
    p.add_argument("--seed", type=int, default=None)
    args = p.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rnd = random.Random(seed)
    started = time.time()

    work = tempfile.mkdtemp(prefix="tanggap-crash-")
    fake = FakeWhatsApp()
    threading.Thread(target=fake.serve_forever, daemon=True).start()
    port = free_port()
    env = dict(os.environ)
    env.update({
        "PORT": str(port),
        "TANGGAP_DATA_DIR": work, "TANGGAP_LISTEN": f"127.0.0.1:{port}", "TANGGAP_LOG": "warn",
        "TANGGAP_SWEEP_INTERVAL_SECS": "1",
        "TANGGAP_TEST_TIME_RATE": str(RATE), "TANGGAP_TEST_TIME_ANCHOR": str(int(time.time())),
        "TANGGAP_RATE_SUBMISSIONS_PER_IP": "1000000",
        "TANGGAP_WHATSAPP_APP_SECRET": APP_SECRET, "TANGGAP_WHATSAPP_VERIFY_TOKEN": "crash-verify",
        "TANGGAP_WHATSAPP_ACCESS_TOKEN": "crash-token", "TANGGAP_WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
        "TANGGAP_WHATSAPP_API_BASE": f"http://127.0.0.1:{fake.server_address[1]}/v21.0",
        "TANGGAP_WHATSAPP_TEMPLATE": "tanggap_update",
    })
    env.pop("DATABASE_URL", None)
    if args.backend == "postgres":
        name = f"tanggap_crash_{os.getpid()}"
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {name}", "postgres"], check=True)
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"
        db = Db("postgres", name=name)
    else:
        db = Db("sqlite", path=os.path.join(work, "tanggap.db"))
    log = open(os.path.join(work, "server.log"), "ab")
    server = Server(args, env, log)
    server.start()

    load = Load(port)
    threads = [threading.Thread(target=load.api_client, args=(k,)) for k in range(args.api_clients)]
    threads += [threading.Thread(target=load.wa_client, args=(k,)) for k in range(args.wa_clients)]
    for t in threads:
        t.start()

    pg_restarted = False
    for i in range(args.kills):
        time.sleep(rnd.uniform(2.0, 7.0))
        if args.backend == "postgres" and i == args.kills // 2:
            # The database goes away under a running server, and comes back.
            cluster = sorted(os.listdir("/etc/postgresql"))[0]
            subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "restart", "-m", "fast"], check=True)
            pg_restarted = True
            time.sleep(rnd.uniform(1.0, 3.0))
        server.kill()
        time.sleep(rnd.uniform(0.0, 1.0))
        server.start()
    time.sleep(3)
    load.stop.set()
    for t in threads:
        t.join()

    # Let the inbox and the outbox finish: nothing waiting, three times in a row.
    calm, deadline = 0, time.time() + 180
    while calm < 3 and time.time() < deadline:
        time.sleep(1)
        inbox = db.scalar("SELECT count(*) FROM inbound_messages WHERE status <> 'done'")
        outbox = metric(port, "tanggap_outbox_notifications", '{state="pending"}')
        calm = calm + 1 if inbox == 0 and outbox == 0 else 0
    server.stop()

    failures = []

    def check(ok, what):
        if not ok:
            failures.append(what)

    # Submissions through the API: each acknowledged one exactly once, under its answer.
    stored = {}
    for title, tid in db.rows("SELECT title, tracking_id FROM reports WHERE channel = 'api'"):
        nonce = title.rsplit(" ", 1)[-1]
        stored.setdefault(nonce, []).append(tid)
    api_missing = [n for n in load.api_acked if n not in stored]
    api_twice = [n for n, tids in stored.items() if len(tids) > 1]
    api_wrong = [n for n, tid in load.api_acked.items() if n in stored and stored[n] != [tid]]
    check(not api_missing, f"{len(api_missing)} acknowledged API reports missing, e.g. {api_missing[:3]}")
    check(not api_twice, f"{len(api_twice)} API submissions stored more than once, e.g. {api_twice[:3]}")
    check(not api_wrong, f"{len(api_wrong)} API reports under another tracking ID than answered")

    # Webhook messages: each acknowledged one recorded once and filed as exactly one report.
    inbound = {}
    for pid, status, report in db.rows("SELECT provider_id, status, report_id FROM inbound_messages WHERE channel = 'whatsapp'"):
        inbound.setdefault(pid, []).append((status, report))
    per_report = {}
    for (rid,) in db.rows("SELECT r.id FROM reports r WHERE r.channel = 'whatsapp'"):
        per_report[rid] = per_report.get(rid, 0) + 1
    wa_missing = [w for w in load.wa_acked if w not in inbound]
    wa_unfiled = [w for w in load.wa_acked if w in inbound and not all(s == "done" and r for s, r in inbound[w])]
    wa_twice = [w for w, v in inbound.items() if len(v) > 1]
    reports_of = [r for v in inbound.values() for _, r in v if r]
    wa_shared = len(reports_of) - len(set(reports_of))
    check(not wa_missing, f"{len(wa_missing)} acknowledged WhatsApp messages not recorded")
    check(not wa_unfiled, f"{len(wa_unfiled)} acknowledged WhatsApp messages not filed as a report, e.g. {wa_unfiled[:3]}")
    check(not wa_twice, f"{len(wa_twice)} WhatsApp messages recorded twice")
    check(wa_shared == 0, f"{wa_shared} WhatsApp reports filed from two messages")
    wa_reports = db.scalar("SELECT count(*) FROM reports WHERE channel = 'whatsapp'")
    check(wa_reports == len(set(reports_of)), f"{wa_reports} WhatsApp reports for {len(set(reports_of))} filed messages")

    # The outbox: everything enqueued was sent; every WhatsApp one reached the fake.
    notes = db.rows("SELECT idempotency_key, channel, status FROM notifications")
    unsent = [k for k, ch, st in notes if st not in ("sent", "read")]
    check(not unsent, f"{len(unsent)} notifications not sent, e.g. {unsent[:3]}")
    wa_keys = {k for k, ch, st in notes if ch == "whatsapp"}
    seen = {}
    for _, key in fake.seen:
        seen[key] = seen.get(key, 0) + 1
    never = [k for k in wa_keys if k not in seen]
    unknown = [k for k in seen if k not in wa_keys]
    duplicates = sum(c - 1 for c in seen.values() if c > 1)
    check(not never, f"{len(never)} WhatsApp notifications marked sent but never reached the provider")
    check(not unknown, f"{len(unknown)} messages at the provider with no notification behind them")
    # At most the outbox's concurrency (16) in flight at each kill can be sent again.
    check(duplicates <= 16 * args.kills, f"{duplicates} duplicate sends for {args.kills} kills")

    # Clocks: no threshold fired twice.
    firings = {}
    for obj, after in db.rows("SELECT object_id, after_json FROM audit_events WHERE action = 'clock.threshold_fired'"):
        a = json.loads(after)
        key = (obj, a.get("assignment_id"), a.get("clock"), a.get("clock_started_at"), a.get("threshold_percent"))
        firings[key] = firings.get(key, 0) + 1
    twice = [k for k, c in firings.items() if c > 1]
    check(not twice, f"{len(twice)} clock thresholds fired twice, e.g. {twice[:2]}")
    check(len(firings) > 0, "no clock threshold fired at all (the accelerated clock did not work)")

    # The audit chain.
    verify = subprocess.run([args.bin, "audit", "verify"], env=env, capture_output=True, text=True)
    check(verify.returncode == 0, f"audit verify failed: {verify.stdout}{verify.stderr}")

    figures = {
        "backend": args.backend, "seed": seed, "kills": args.kills, "postgres_restarted": pg_restarted,
        "seconds": round(time.time() - started, 1),
        "api_acknowledged": len(load.api_acked), "api_found_once": len(load.api_acked) - len(api_missing) - len(api_wrong),
        "api_answered_by_replay_after_a_failure": load.api_replayed, "api_never_answered": load.api_unanswered,
        "api_stored_without_answer": len([n for n in stored if n not in load.api_acked]),
        "whatsapp_acknowledged": len(load.wa_acked), "whatsapp_filed_once": len(load.wa_acked) - len(wa_missing) - len(wa_unfiled),
        "failed_attempts_retried": load.attempts_failed,
        "notifications_enqueued": len(notes), "notifications_sent": len(notes) - len(unsent),
        "whatsapp_notifications": len(wa_keys), "provider_duplicates_same_key": duplicates,
        "clock_thresholds_fired": len(firings), "audit_verify": verify.returncode == 0,
        "failures": failures,
    }
    print(json.dumps(figures))
    if args.backend == "postgres":
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"DROP DATABASE IF EXISTS {db.name} WITH (FORCE)", "postgres"])
    if failures:
        print(f"FAILED (server log: {log.name}):", *failures, sep="\n  ", file=sys.stderr)
        sys.exit(1)
    subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
