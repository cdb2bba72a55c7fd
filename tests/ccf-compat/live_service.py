#!/usr/bin/env python3
"""Drives a running Quorate sandbox with Python's own TLS stack (OpenSSL, as CCF's Python client
uses): writes records as user0 through every node, waits until they commit, checks they read
back, and saves the JSON receipt of each write for verify_receipts.py.
usage: live_service.py SANDBOX_COMMON_DIR RECEIPT_DIR PORT [PORT ...]
"""
import http.client, json, os, shutil, ssl, sys, time

common, receipts, ports = sys.argv[1], sys.argv[2], [int(p) for p in sys.argv[3:]]
context = ssl.create_default_context(cafile=os.path.join(common, "service_cert.pem"))
context.load_cert_chain(os.path.join(common, "user0_cert.pem"), os.path.join(common, "user0_privk.pem"))


def call(port, method, path, body=None):
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    headers = {"content-type": "application/json"} if body is not None else {}
    connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, response.getheader("x-ms-ccf-transaction-id"), data


def until(what, check, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = check()
        if value is not None:
            return value
        time.sleep(0.1)
    sys.exit(f"timed out waiting for {what}")


written = {}
for i in range(30):
    port = ports[i % len(ports)]
    status, txid, body = call(port, "POST", "/app/log/private", {"id": i, "msg": f"record {i}"})
    assert status == 200 and body == b"true", (port, status, body)
    written[i] = txid
for i, txid in written.items():
    until(f"{txid} committed", lambda: True if json.loads(call(ports[0], "GET", f"/app/tx?transaction_id={txid}")[2])["status"] == "Committed" else None)
for port in ports:
    for i in written:
        until(f"record {i} at {port}", lambda: True if call(port, "GET", f"/app/log/private?id={i}")[0] == 200 else None)
os.makedirs(receipts, exist_ok=True)
shutil.copy(os.path.join(common, "service_cert.pem"), receipts)
for i, txid in written.items():
    status, _, body = call(ports[i % len(ports)], "GET", f"/app/receipt?transaction_id={txid}")
    assert status == 200, (txid, status, body)
    with open(os.path.join(receipts, f"{txid}.json"), "wb") as out:
        out.write(body)
print(f"wrote {len(written)} records through {len(ports)} nodes; {len(written)} receipts saved")
