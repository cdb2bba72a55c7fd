#!/usr/bin/env python3
"""Governs a running Quorate sandbox as member0 with CCF's own tools: every proposal, ballot and
withdrawal is signed by `ccf_cose_sign1` from the `ccf` Python package and sent with Python's
TLS stack (OpenSSL) to CCF's versioned governance API (`?api-version=2024-07-01`).

Steps (each prints one line per check and ends with a `verified in N s:` line; the first failed
check prints `FAIL` with the server's answer and exits 1):
  user          set_user for a new user (keygenerator.sh identity): proposal and ballot signed by
                ccf_cose_sign1; the user then writes and reads /app/log/private with its TLS client
                certificate and is listed by GET /gov/service/users
  replay        the same proposal bytes twice -> 400 ProposalReplay; the same proposal signed by a
                key that is not a member's -> 401; the open proposal is withdrawn (signed withdrawal)
  js_app        set_js_app with a small bundle, then its endpoints answer the new user on every
                node (a read, and a kv write read back); a bundle whose module does not parse
                fails its proposal (500, naming the module) and the previous app still answers
  node          a fourth node process joins (config derived from sandbox_1's), is listed Pending,
                is trusted by transition_node_to_trusted, then reports itself Trusted and
                PartOfNetwork and serves /app reads (of data written before it joined) with a
                certificate endorsed by the service;
                it is stopped before the step ends, whatever happens
  constitution  re-proposing the constitution in force is accepted; one that is not valid JS is
                refused and the constitution in force is unchanged
  all           every step above, in this order
The steps share STATE_DIR (the new user's identity is made by `user` and reused by the others).

usage: live_governance.py SANDBOX_WORKSPACE STATE_DIR QUORATE_BIN STEP PORT [PORT ...]
"""
import hashlib, http.client, json, os, shutil, signal, socket, ssl, subprocess, sys, time, traceback
from datetime import datetime, timezone

API = "api-version=2024-07-01"
TIMEOUT_S = 10  # longest wait for any one condition
STEPS = ["user", "replay", "js_app", "node", "constitution"]

if len(sys.argv) < 6 or sys.argv[4] not in STEPS + ["all"]:
    sys.exit(__doc__)
workspace, state, quorate, step = sys.argv[1:5]
ports = [int(p) for p in sys.argv[5:]]
common = os.path.join(workspace, "sandbox_common")
service_cert = os.path.join(common, "service_cert.pem")
member_cert = os.path.join(common, "member0_cert.pem")
member_key = os.path.join(common, "member0_privk.pem")
venv_bin = os.path.dirname(sys.executable)
os.makedirs(state, exist_ok=True)


class Failed(Exception):
    pass


def check(ok, what, answer=None):
    if not ok:
        raise Failed(f"{what}" + (f"\n  server answered: {answer}" if answer is not None else ""))
    print(f"  ok  {what}", flush=True)


def cert_id(pem_file):
    """CCF's member/user id: hex SHA-256 of the certificate's DER."""
    with open(pem_file) as f:
        return hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()


def tls(cert=None, key=None, verify=True):
    if verify:
        context = ssl.create_default_context(cafile=service_cert)
    else:  # a node not yet trusted presents a certificate the service has not endorsed
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if cert:
        context.load_cert_chain(cert, key)
    return context


ANON = tls()


class Answer:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def __str__(self):
        return f"HTTP {self.status} {self.body[:600].decode(errors='replace')}"


def call(method, path, body=None, content_type=None, port=None, context=ANON, timeout=5):
    connection = http.client.HTTPSConnection("127.0.0.1", port or ports[0], context=context, timeout=timeout)
    headers = {}
    if body is not None:
        if not isinstance(body, bytes):
            body, content_type = json.dumps(body).encode(), "application/json"
        headers["content-type"] = content_type
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()


def gov(method, path, body=None, port=None, context=ANON):
    sep = "&" if "?" in path else "?"
    return call(method, f"/gov{path}{sep}{API}", body, "application/cose", port, context)


def until(what, probe, accept=lambda answer: answer.status == 200, seconds=TIMEOUT_S):
    """Polls probe() until accept(its answer); fails with the last answer (or error) on timeout."""
    deadline, last = time.time() + seconds, None
    while time.time() < deadline:
        try:
            last = probe()
            if accept(last):
                return last
        except (OSError, ssl.SSLError, http.client.HTTPException) as error:
            last = f"{type(error).__name__}: {error}"
        time.sleep(0.1)
    raise Failed(f"timed out after {seconds} s waiting for {what}\n  last answer: {last}")


def sign(content, msg_type, proposal_id=None, cert=member_cert, key=member_key):
    """COSE Sign1 from CCF's ccf_cose_sign1, created_at = now."""
    created_at = datetime.now(timezone.utc).isoformat()
    command = [os.path.join(venv_bin, "ccf_cose_sign1"), "--content", "-", "--signing-key", key,
               "--signing-cert", cert, "--ccf-gov-msg-type", msg_type, "--ccf-gov-msg-created-at", created_at]
    if proposal_id:
        command += ["--ccf-gov-msg-proposal-id", proposal_id]
    if not isinstance(content, bytes):
        content = json.dumps(content).encode()
    done = subprocess.run(command, input=content, capture_output=True, timeout=30)
    if done.returncode != 0:
        raise Failed(f"ccf_cose_sign1 failed: {done.stderr.decode(errors='replace')}")
    return done.stdout


MEMBER_ID = cert_id(member_cert)
BALLOT_YES = {"ballot": "export function vote (proposal, proposerId) { return true }"}


def propose(actions, **signer):
    return gov("POST", "/members/proposals:create", sign({"actions": actions}, "proposal", **signer))


def vote(proposal_id):
    return gov("POST", f"/members/proposals/{proposal_id}/ballots/{MEMBER_ID}:submit",
               sign(BALLOT_YES, "ballot", proposal_id))


def open_proposal(actions, label):
    answer = propose(actions)
    body = answer.json() or {}
    check(answer.status == 200 and body.get("proposalState") == "Open" and body.get("proposalId"),
          f"{label}: proposal (ccf_cose_sign1) is Open as {body.get('proposalId')}", answer)
    return body["proposalId"]


def pass_proposal(actions, label):
    """Proposes and votes for `actions`; checks the proposal is Accepted."""
    proposal_id = open_proposal(actions, label)
    answer = vote(proposal_id)
    body = answer.json() or {}
    check(answer.status == 200 and body.get("proposalState") == "Accepted",
          f"{label}: ballot (ccf_cose_sign1) makes it Accepted", answer)
    return proposal_id


def identity(name):
    """A user identity made by CCF's keygenerator.sh, kept in STATE_DIR."""
    cert, key = os.path.join(state, f"{name}_cert.pem"), os.path.join(state, f"{name}_privk.pem")
    if not os.path.exists(cert):
        done = subprocess.run([os.path.join(venv_bin, "keygenerator.sh"), "--name", name], cwd=state,
                              capture_output=True, timeout=30)
        if done.returncode != 0:
            raise Failed(f"keygenerator.sh --name {name}: {done.stderr.decode(errors='replace')}")
    return cert, key


def user_context():
    cert, key = identity("user1")
    return tls(cert, key)


# ------------------------------------------------------------------------------------------ user
def step_user():
    cert, _ = identity("user1")
    user_id = cert_id(cert)
    with open(cert) as f:
        pem = f.read()
    pass_proposal([{"name": "set_user", "args": {"cert": pem}}], "set_user user1")
    context = user_context()
    record = {"id": 4242, "msg": "written by user1, registered by ccf_cose_sign1"}
    answer = until("user1's write to be accepted", lambda: call("POST", "/app/log/private", record, context=context))
    check(answer.body == b"true", "user1 (TLS client cert) POST /app/log/private", answer)
    for port in ports:
        answer = until(f"user1's record at port {port}",
                       lambda: call("GET", "/app/log/private?id=4242", port=port, context=context))
        check((answer.json() or {}).get("msg") == record["msg"], f"user1 GET /app/log/private at port {port}", answer)
    answer = gov("GET", "/service/users")
    listed = [u for u in (answer.json() or {}).get("value", []) if u.get("userId") == user_id]
    check(answer.status == 200 and len(listed) == 1 and listed[0].get("certificate") == pem,
          f"GET /gov/service/users lists user1 ({user_id[:12]}...) with its certificate", answer)
    answer = gov("GET", f"/service/users/{user_id}")
    check(answer.status == 200 and (answer.json() or {}).get("userId") == user_id,
          "GET /gov/service/users/{userId} answers user1", answer)
    return "set_user signed by ccf_cose_sign1; the new user is served"


# ---------------------------------------------------------------------------------------- replay
def step_replay():
    user0 = cert_id(os.path.join(common, "user0_cert.pem"))
    content = {"actions": [{"name": "set_user_data", "args": {"user_id": user0, "user_data": {"note": "replay check"}}}]}
    signed = sign(content, "proposal")
    answer = gov("POST", "/members/proposals:create", signed)
    body = answer.json() or {}
    check(answer.status == 200 and body.get("proposalState") == "Open", "proposal submitted once: Open", answer)
    proposal_id = body["proposalId"]
    answer = gov("POST", "/members/proposals:create", signed)
    error = (answer.json() or {}).get("error", {})
    check(answer.status == 400 and error.get("code") == "ProposalReplay",
          f"same bytes again: 400 ProposalReplay ({error.get('message')})", answer)
    stranger_cert, stranger_key = identity("stranger")
    answer = gov("POST", "/members/proposals:create", sign(content, "proposal", cert=stranger_cert, key=stranger_key))
    check(answer.status == 401, f"same proposal signed by a non-member: 401 ({(answer.json() or {}).get('error', {}).get('code')})", answer)
    answer = gov("POST", f"/members/proposals/{proposal_id}:withdraw", sign(b"", "withdrawal", proposal_id))
    check(answer.status == 200 and (answer.json() or {}).get("proposalState") == "Withdrawn",
          "withdrawal (ccf_cose_sign1): Withdrawn", answer)
    return "replay refused (400), non-member refused (401), withdrawal accepted"


# ---------------------------------------------------------------------------------------- js_app
def endpoint(function, mode="readonly"):
    return {"js_module": "govtest.js", "js_function": function, "authn_policies": ["user_cert"],
            "forwarding_required": "sometimes", "mode": mode, "openapi": {}}


GOOD_BUNDLE = {
    "metadata": {"endpoints": {
        "/govtest/hello": {"get": endpoint("hello")},
        "/govtest/note": {"put": endpoint("putNote", "readwrite"), "get": endpoint("getNote")},
    }},
    "modules": [{"name": "govtest.js", "module": """\
const NOTES = "govtest_notes";
const KEY = ccf.strToBuf("note");
export function hello(request) {
  return { statusCode: 200, body: { greeting: "hello from a set_js_app bundle", caller: request.caller.id } };
}
export function putNote(request) {
  ccf.kv[NOTES].set(KEY, ccf.strToBuf(request.body.json().note));
  return { statusCode: 204 };
}
export function getNote(request) {
  const value = ccf.kv[NOTES].get(KEY);
  return value === undefined ? { statusCode: 404, body: "no note" } : { statusCode: 200, body: { note: ccf.bufToStr(value) } };
}
"""}],
}
NOTE = "stored through the set_js_app bundle"
BROKEN_BUNDLE = {
    "metadata": {"endpoints": {"/govtest/broken": {"get": {**endpoint("hello"), "js_module": "broken.js"}}}},
    "modules": [{"name": "broken.js", "module": "export function hello(request) { return { statusCode: 200, body: 'x' ;\n"}],
}


def hello(port):
    return call("GET", "/app/govtest/hello", port=port, context=user_context())


def is_hello(answer):
    """The bundle's greeting, naming user1 as the caller."""
    body = answer.json() or {}
    return (answer.status == 200 and body.get("greeting") == "hello from a set_js_app bundle"
            and body.get("caller") == cert_id(identity("user1")[0]))


def step_js_app():
    pass_proposal([{"name": "set_js_app", "args": {"bundle": GOOD_BUNDLE}}], "set_js_app govtest.js")
    for port in ports:
        answer = until(f"GET /app/govtest/hello at port {port}", lambda: hello(port), is_hello)
        check(True, f"user1 GET /app/govtest/hello at port {port}: {answer.body.decode()}")
    answer = call("PUT", "/app/govtest/note", {"note": NOTE}, context=user_context())
    check(answer.status == 204, "user1 PUT /app/govtest/note (a readwrite JS handler)", answer)
    for port in ports:
        answer = until(f"the note at port {port}", lambda: call("GET", "/app/govtest/note", port=port, context=user_context()))
        check((answer.json() or {}).get("note") == NOTE, f"user1 GET /app/govtest/note at port {port}", answer)
    answer = call("GET", "/app/log/private?id=4242", context=user_context())
    print(f"  ..  the native logging app after set_js_app: GET /app/log/private -> HTTP {answer.status}")
    proposal_id = open_proposal([{"name": "set_js_app", "args": {"bundle": BROKEN_BUNDLE}}], "set_js_app broken.js")
    answer = vote(proposal_id)
    check(answer.status == 500 and b"broken.js" in answer.body,
          f"its ballot: HTTP {answer.status}, the failure names the module: {answer.body[:200].decode(errors='replace')}", answer)
    info = gov("GET", f"/members/proposals/{proposal_id}").json() or {}
    print(f"  ..  the proposal afterwards: {info.get('proposalState')}, {info.get('ballotCount')} ballot(s) "
          "(in CCF the 500 discards the ballot's transaction: it stays Open, no ballot)")
    answer = call("GET", "/app/govtest/broken", context=user_context())
    check(answer.status == 404, "the broken bundle's endpoint is not served (404)", answer)
    time.sleep(0.5)
    for port in ports:
        answer = hello(port)
        check(is_hello(answer), f"the previous app still answers at port {port}", answer)
    return "set_js_app deployed and served; a module that does not parse fails its proposal"


# ------------------------------------------------------------------------------------------ node
def free_ports(count):
    found = []
    while len(found) < count:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        p = s.getsockname()[1]
        s.close()
        if p < 60000 and p not in found and socket.socket().connect_ex(("127.0.0.1", p)) != 0:
            found.append(p)
    return found


def nodes_by_id():
    answer = gov("GET", "/service/nodes")
    if answer.status != 200:
        raise Failed(f"GET /gov/service/nodes: {answer}")
    return {n["nodeId"]: n for n in answer.json()["value"]}


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def step_node():
    with open(os.path.join(workspace, "sandbox_1", "config.json")) as f:
        config = json.load(f)
    rpc, n2n = free_ports(2)
    directory = os.path.join(workspace, "extra_node")
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    config["network"]["node_to_node_interface"]["bind_address"] = f"127.0.0.1:{n2n}"
    config["network"]["rpc_interfaces"]["primary_rpc_interface"]["bind_address"] = f"127.0.0.1:{rpc}"
    config["ledger"]["directory"] = os.path.join(directory, "ledger")
    config["command"]["service_certificate_file"] = os.path.abspath(service_cert)
    check(config["command"]["type"] == "Join", f"config from sandbox_1: Join {config['command']['join']['target_rpc_address']}, rpc :{rpc}, peers :{n2n}")
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    before = nodes_by_id()
    out, err = open(os.path.join(directory, "out"), "wb"), open(os.path.join(directory, "err"), "wb")
    process = subprocess.Popen([os.path.abspath(quorate), "node", "start", "--config", "config.json"], cwd=directory,
                               stdin=subprocess.DEVNULL, stdout=out, stderr=err)
    try:
        def new_nodes():
            if process.poll() is not None:
                raise Failed(f"the node exited with {process.returncode}")
            return {i: n for i, n in nodes_by_id().items() if i not in before}
        new = until("the new node in GET /gov/service/nodes", new_nodes, bool)
        check(len(new) == 1, f"GET /gov/service/nodes lists one new node", new)
        node_id, info = next(iter(new.items()))
        check(info.get("status") == "Pending", f"node {node_id[:12]}... is Pending", info)
        # As CCF's joining nodes do, it answers /node/state (self-signed TLS) while it waits.
        answer = call("GET", "/node/state", port=rpc, context=tls(verify=False), timeout=2)
        state = answer.json() or {}
        check(answer.status == 200 and state.get("state") == "Pending" and state.get("node_id") == node_id,
              "GET /node/state of the joining node: Pending", answer)
        valid_from = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%SZ")
        pass_proposal([{"name": "transition_node_to_trusted", "args": {"node_id": node_id, "valid_from": valid_from}}],
                      f"transition_node_to_trusted (valid_from {valid_from})")
        info = nodes_by_id().get(node_id, {})
        check(info.get("status") == "Trusted", "GET /gov/service/nodes: Trusted", info)

        # TLS verified against the service certificate: the node serves its endorsed certificate
        answer = until("the new node to report itself Trusted", lambda: call("GET", f"/node/network/nodes/{node_id}", port=rpc),
                       lambda a: a.status == 200 and (a.json() or {}).get("status") == "Trusted")
        check(True, f"new node's /node/network/nodes/{node_id[:12]}...: Trusted")
        answer = call("GET", "/node/network/nodes/self", port=rpc)
        check(answer.status == 308 and answer.headers.get("location") == f"/node/network/nodes/{node_id}",
              "new node's /node/network/nodes/self redirects to itself", answer)
        answer = call("GET", "/node/state", port=rpc)
        body = answer.json() or {}
        check(answer.status == 200 and body.get("state") == "PartOfNetwork" and body.get("node_id") == node_id,
              "new node's /node/state: PartOfNetwork, its own id", answer)
        answer = call("GET", "/node/network", port=rpc)
        check(answer.status == 200 and (answer.json() or {}).get("service_status") == "Open", "new node's /node/network: service Open", answer)
        answer = until("a JS app read at the new node", lambda: hello(rpc), is_hello)
        check(True, f"user1 GET /app/govtest/hello at the new node: {answer.body.decode()}")
        answer = until("a JS app kv read at the new node",
                       lambda: call("GET", "/app/govtest/note", port=rpc, context=user_context()))
        check((answer.json() or {}).get("note") == NOTE,
              "user1 GET /app/govtest/note at the new node (written before it joined)", answer)
    except Failed:
        print("  --  new node's err (last lines):")
        with open(os.path.join(directory, "err"), "rb") as f:
            for line in f.read().decode(errors="replace").splitlines()[-10:]:
                print("      " + line)
        raise
    finally:
        stop(process)
        out.close()
        err.close()
    print(f"  ok  the new node stopped (exit {process.returncode})")
    return "a joining node was trusted by a ccf_cose_sign1 proposal and served the app"


# ---------------------------------------------------------------------------------- constitution
def step_constitution():
    answer = gov("GET", "/service/constitution")
    check(answer.status == 200 and b"export function" in answer.body,
          f"GET /gov/service/constitution: {len(answer.body)} bytes", answer)
    current = answer.body
    pass_proposal([{"name": "set_constitution", "args": {"constitution": current.decode()}}], "set_constitution (the one in force)")
    answer = gov("GET", "/service/constitution")
    check(answer.status == 200 and answer.body == current, "constitution in force unchanged", answer)
    bad = "export function validate(input) { return { valid: true ;\nexport function apply( {"
    answer = propose([{"name": "set_constitution", "args": {"constitution": bad}}])
    body = answer.json() or {}
    if answer.status == 200 and body.get("proposalState") == "Open":  # refused at apply instead of at validate
        answer = vote(body["proposalId"])
        body = answer.json() or {}
    check(answer.status >= 400 or body.get("proposalState") in ("Failed", "Rejected"),
          f"set_constitution with invalid JS refused: {str(answer)[:200]}", answer)
    answer = gov("GET", "/service/constitution")
    check(answer.status == 200 and answer.body == current, "constitution in force unchanged", answer)
    # the constitution in force still governs
    pass_proposal([{"name": "set_user_data", "args": {"user_id": cert_id(identity('user1')[0]), "user_data": {"after": "constitution"}}}],
                  "set_user_data under it")
    return "set_constitution accepted for the one in force, refused for invalid JS"


def main():
    todo = STEPS if step == "all" else [step]
    try:
        for name in todo:
            print(f"{name}:", flush=True)
            started = time.time()
            summary = globals()[f"step_{name}"]()
            print(f"verified in {time.time() - started:.1f} s: {summary}", flush=True)
    except (Failed, OSError, ssl.SSLError, http.client.HTTPException, subprocess.TimeoutExpired) as error:
        print(f"FAIL {name}: {error}", flush=True)
        sys.exit(1)
    except Exception:  # an answer of an unexpected shape
        traceback.print_exc()
        print(f"FAIL {name}: unexpected error (traceback above)", flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
