//! The published `@microsoft/ccf-app` npm package works on Quorate: the TypeScript sample in
//! `apps/ts-sample` (written against the package, bundled with rollup as CCF's app template
//! does) is built by its `build.sh`, deployed on a three-node sandbox, and every endpoint is
//! driven over HTTPS as user0 through the primary and a backup.
//!
//! The test builds the app itself, so it needs Node.js 18+ and npm (and the npm registry or
//! npm's cache for the first install). Without them, or when the build fails, the test fails
//! with the build's output: it never skips.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::{Read, Seek};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, StatusCode};
use quorate_crypto::{Certificate, sha256};
use quorate_node::client::{ClientResponse, Connection};
use serde_json::{Value, json};
use support::{Sandbox, eventually, primary_index, try_get};

const STARTUP: Duration = Duration::from_secs(90);
/// `npm ci` from an empty cache plus the type-check and bundle; a warm build takes seconds.
const BUILD_LIMIT: Duration = Duration::from_secs(300);

fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../apps/ts-sample")
}

/// Runs `apps/ts-sample/build.sh` (at most [`BUILD_LIMIT`]) and returns the bundle directory.
fn build_bundle() -> PathBuf {
    let dir = sample_dir();
    let mut output = tempfile::tempfile().unwrap();
    let started = Instant::now();
    let mut child = Command::new("bash")
        .arg(dir.join("build.sh"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(output.try_clone().unwrap())
        .stderr(output.try_clone().unwrap())
        // Its own process group, so a build over the limit is stopped with npm's children.
        .process_group(0)
        .spawn()
        .unwrap_or_else(|error| panic!("cannot run bash apps/ts-sample/build.sh: {error}"));
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > BUILD_LIMIT {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut text = String::new();
    output.rewind().unwrap();
    output.read_to_string(&mut text).unwrap();
    match status {
        Some(status) if status.success() => {
            println!("build.sh ({:?}):\n{text}", started.elapsed());
        }
        Some(status) => panic!(
            "apps/ts-sample/build.sh failed ({status}); it needs Node.js 18+ and npm on PATH, and \
             the npm registry or npm's cache for the first install. Its output:\n{text}"
        ),
        None => panic!("apps/ts-sample/build.sh took over {BUILD_LIMIT:?}:\n{text}"),
    }
    let dist = dir.join("dist");
    assert!(dist.join("app.json").is_file(), "no dist/app.json:\n{text}");
    assert!(
        dist.join("src/node_modules/@microsoft/ccf-app/kv.js")
            .is_file(),
        "the package's modules are not in the bundle:\n{text}"
    );
    dist
}

/// One request; a body is sent as given with `content-type`.
async fn send(
    connection: &mut Connection,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> ClientResponse {
    connection
        .request(
            method.clone(),
            path,
            headers,
            Bytes::from(body.as_bytes().to_vec()),
        )
        .await
        .unwrap_or_else(|error| panic!("{method} {path}: {error}"))
}

async fn post_json(connection: &mut Connection, path: &str, body: &str) -> ClientResponse {
    send(
        connection,
        Method::POST,
        path,
        &[("content-type", "application/json")],
        body,
    )
    .await
}

async fn get(connection: &mut Connection, path: &str) -> ClientResponse {
    send(connection, Method::GET, path, &[], "").await
}

fn header<'a>(response: &'a ClientResponse, name: &str) -> Option<&'a str> {
    response.headers.get(name).and_then(|v| v.to_str().ok())
}

/// Asserts the status and `content-type`, and returns the body as JSON.
fn json_of(response: &ClientResponse, status: StatusCode, what: &str) -> Value {
    assert_eq!(
        response.status,
        status,
        "{what}: {}",
        String::from_utf8_lossy(&response.body)
    );
    assert_eq!(
        header(response, "content-type"),
        Some("application/json"),
        "{what}"
    );
    response.json().unwrap()
}

/// Asserts a CCF error body with `code`.
fn assert_error(response: &ClientResponse, status: StatusCode, code: &str, what: &str) {
    let body = json_of(response, status, what);
    assert_eq!(body["error"]["code"], code, "{what}: {body}");
}

fn text_of(response: &ClientResponse, what: &str) -> String {
    assert_eq!(
        response.status,
        StatusCode::OK,
        "{what}: {}",
        String::from_utf8_lossy(&response.body)
    );
    assert_eq!(
        header(response, "content-type"),
        Some("text/plain"),
        "{what}"
    );
    String::from_utf8(response.body.to_vec()).unwrap()
}

fn bytes_of(response: &ClientResponse, what: &str) -> Vec<u8> {
    assert_eq!(response.status, StatusCode::OK, "{what}");
    assert_eq!(
        header(response, "content-type"),
        Some("application/octet-stream"),
        "{what}"
    );
    response.body.to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_typescript_sample_built_with_npm_serves_every_endpoint() {
    let dist = build_bundle();
    let sandbox = Sandbox::start_with(3, STARTUP, &["--js-app", dist.to_str().unwrap()]);
    let primary = eventually(Duration::from_secs(30), "a primary", || {
        primary_index(&sandbox, 0)
    })
    .await;
    let backup = (primary + 1) % 3;
    let user = sandbox.tls(Some("user0"));
    let user_id = Certificate::from_pem(
        &std::fs::read_to_string(sandbox.common().join("user0_cert.pem")).unwrap(),
    )
    .unwrap()
    .fingerprint_sha256_hex();
    let mut p = Connection::connect(&user, sandbox.address(primary))
        .await
        .unwrap();
    let mut b = Connection::connect(&user, sandbox.address(backup))
        .await
        .unwrap();

    // The caller, the route and headers both ways (run on the backup itself: "never").
    let whoami = send(
        &mut b,
        Method::GET,
        "/app/whoami",
        &[("x-sample-note", "hello from rust")],
        "",
    )
    .await;
    assert_eq!(
        json_of(&whoami, StatusCode::OK, "whoami"),
        json!({"policy": "user_cert", "id": user_id, "method": "GET", "route": "/whoami",
               "path": "/app/whoami", "note": "hello from rust"})
    );
    assert_eq!(header(&whoami, "x-caller-id"), Some(user_id.as_str()));
    assert_eq!(header(&whoami, "x-sample-echo"), Some("hello from rust"));
    let anonymous = try_get(&sandbox.tls(None), sandbox.address(primary), "/app/whoami")
        .await
        .unwrap();
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    // The typed KV map: writes through the backup (forwarded) and the primary.
    let first = r#"{"n":1,"tags":["a","b"]}"#;
    let created = post_json(&mut b, "/app/items/alpha", first).await;
    assert_eq!(
        json_of(&created, StatusCode::CREATED, "create alpha"),
        json!({"key": "alpha", "created": true})
    );
    assert_eq!(header(&created, "location"), Some("/app/items/alpha"));
    let second = r#"{"n":2,"nested":{"ok":true,"none":null}}"#;
    let replaced = post_json(&mut p, "/app/items/alpha", second).await;
    assert_eq!(
        json_of(&replaced, StatusCode::OK, "replace alpha"),
        json!({"key": "alpha", "created": false})
    );
    for (key, body) in [
        ("beta", r#""a text value""#),
        ("alpine", "42"),
        ("apple", "[1,2,3]"),
        ("banana", "null"),
    ] {
        let response = post_json(&mut b, &format!("/app/items/{key}"), body).await;
        json_of(&response, StatusCode::CREATED, key);
    }
    // Bad input writes nothing.
    assert_error(
        &post_json(&mut p, "/app/items/gamma", "not json").await,
        StatusCode::BAD_REQUEST,
        "InvalidInput",
        "non-JSON body",
    );
    assert_error(
        &post_json(&mut p, "/app/items/bad!key", "1").await,
        StatusCode::BAD_REQUEST,
        "InvalidInput",
        "bad key",
    );

    // Reads: the record as JSON with its author, body digest and version; text; misses.
    for (name, connection) in [("primary", &mut p), ("backup", &mut b)] {
        let item = json_of(
            &get(connection, "/app/items/alpha").await,
            StatusCode::OK,
            name,
        );
        assert_eq!(item["key"], "alpha", "{name}");
        assert_eq!(
            item["value"],
            json!({"n": 2, "nested": {"ok": true, "none": null}}),
            "{name}"
        );
        assert_eq!(item["author"], user_id.as_str(), "{name}");
        assert_eq!(
            item["sha256"],
            hex::encode(sha256(second.as_bytes())),
            "{name}"
        );
        assert!(item["version"].as_u64().unwrap() > 0, "{name}: {item}");
        let text = get(connection, "/app/items/beta?format=text").await;
        assert_eq!(text_of(&text, name), r#""a text value""#);
        assert_eq!(header(&text, "x-item-author"), Some(user_id.as_str()));
        assert_error(
            &get(connection, "/app/items/alpha?format=xml").await,
            StatusCode::BAD_REQUEST,
            "InvalidInput",
            name,
        );
        let missing = get(connection, "/app/items/gamma").await;
        assert_error(&missing, StatusCode::NOT_FOUND, "ResourceNotFound", name);
        assert_eq!(
            missing.error_message().as_deref(),
            Some("No such item: gamma."),
            "{name}"
        );
    }

    // Query parsing: prefix (percent-encoded too), limit, bad limit; the readonly count.
    let list = |query: &'static str| format!("/app/items{query}");
    assert_eq!(
        json_of(&get(&mut b, &list("")).await, StatusCode::OK, "list"),
        json!({"keys": ["alpha", "alpine", "apple", "banana", "beta"], "total": 5})
    );
    assert_eq!(
        json_of(
            &get(&mut p, &list("?prefix=%61l&limit=1")).await,
            StatusCode::OK,
            "prefix"
        ),
        json!({"keys": ["alpha"], "total": 2})
    );
    assert_eq!(
        json_of(
            &get(&mut p, &list("?limit=2&prefix=b")).await,
            StatusCode::OK,
            "prefix b"
        ),
        json!({"keys": ["banana", "beta"], "total": 2})
    );
    for bad in ["?limit=0", "?limit=x", "?limit=1001"] {
        assert_error(
            &get(&mut p, &list(bad)).await,
            StatusCode::BAD_REQUEST,
            "InvalidInput",
            bad,
        );
    }
    assert_eq!(
        json_of(&get(&mut p, "/app/count").await, StatusCode::OK, "count"),
        json!({"count": 5})
    );

    // Deletes: 204 then 404, through the backup.
    let deleted = send(&mut b, Method::DELETE, "/app/items/beta", &[], "").await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert!(deleted.body.is_empty());
    assert_error(
        &send(&mut b, Method::DELETE, "/app/items/beta", &[], "").await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        "delete again",
    );
    assert_eq!(
        json_of(&get(&mut b, "/app/count").await, StatusCode::OK, "count"),
        json!({"count": 4})
    );

    // SHA-256 through the package's TextEncoder and string converter, as hex and as bytes.
    for (name, connection) in [("primary", &mut p), ("backup", &mut b)] {
        for text in ["abc", "", "héllo ✓ — ümlaut"] {
            let answer = send(connection, Method::POST, "/app/digest", &[], text).await;
            assert_eq!(
                json_of(&answer, StatusCode::OK, name),
                json!({"algorithm": "SHA-256", "hex": hex::encode(sha256(text.as_bytes())),
                       "bytes": text.len(), "roundTrip": true}),
                "{name} {text:?}"
            );
        }
        let raw = send(
            connection,
            Method::POST,
            "/app/digest?as=binary",
            &[],
            "abc",
        )
        .await;
        assert_eq!(bytes_of(&raw, name), sha256(b"abc").to_vec());
        assert_error(
            &send(
                connection,
                Method::POST,
                "/app/digest?as=base64",
                &[],
                "abc",
            )
            .await,
            StatusCode::BAD_REQUEST,
            "InvalidInput",
            name,
        );
    }
    let abc = send(&mut p, Method::POST, "/app/digest", &[], "abc").await;
    assert_eq!(
        json_of(&abc, StatusCode::OK, "abc")["hex"],
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );

    // AES keys: raw bytes of the requested size, fresh each time.
    let key_a = bytes_of(&get(&mut b, "/app/aes-key").await, "default key");
    let key_b = bytes_of(&get(&mut b, "/app/aes-key").await, "default key");
    assert_eq!(key_a.len(), 32);
    assert_ne!(key_a, key_b);
    for (bits, len) in [(128, 16), (192, 24), (256, 32)] {
        let key = get(&mut p, &format!("/app/aes-key?bits={bits}")).await;
        assert_eq!(bytes_of(&key, "key").len(), len, "{bits} bits");
    }
    for bad in ["100", "512", "abc"] {
        assert_error(
            &get(&mut p, &format!("/app/aes-key?bits={bad}")).await,
            StatusCode::BAD_REQUEST,
            "InvalidInput",
            bad,
        );
    }

    // A uint32 counter map behind a path parameter, answered as text.
    for (on_backup, path, want) in [
        (false, "/app/counters/visits", "1"),
        (false, "/app/counters/visits?by=5", "6"),
        (true, "/app/counters/visits", "7"),
        (true, "/app/counters/other", "1"),
    ] {
        let connection = if on_backup { &mut b } else { &mut p };
        let answer = send(connection, Method::POST, path, &[], "").await;
        assert_eq!(text_of(&answer, path), want, "{path}");
    }
    let counted = send(&mut p, Method::POST, "/app/counters/visits?by=0", &[], "").await;
    assert_eq!(text_of(&counted, "by=0"), "7");
    assert_eq!(header(&counted, "x-counter"), Some("visits"));
    assert_error(
        &send(&mut p, Method::POST, "/app/counters/visits?by=-1", &[], "").await,
        StatusCode::BAD_REQUEST,
        "InvalidInput",
        "negative by",
    );

    // The consensus API: the last committed transaction, on both nodes.
    for (name, index) in [("primary", primary), ("backup", backup)] {
        let status = eventually(Duration::from_secs(30), "a committed seqno", || {
            let user = user.clone();
            let address = sandbox.address(index);
            async move {
                let mut connection = Connection::connect(&user, address).await.ok()?;
                let status = connection.get("/app/status").await.ok()?;
                let body = json_of(&status, StatusCode::OK, name);
                (body["seqno"].as_u64()? > 1).then_some(body)
            }
        })
        .await;
        assert_eq!(
            status["committed"],
            format!("{}.{}", status["view"], status["seqno"]),
            "{name}"
        );
    }

    // A fresh session on the backup runs reads there (not forwarded): it sees the writes once
    // they have replicated.
    let address = sandbox.address(backup);
    let replicated = eventually(Duration::from_secs(30), "the backup's own reads", || {
        let user = user.clone();
        async move {
            let mut connection = Connection::connect(&user, address).await.ok()?;
            let count = connection.get("/app/count").await.ok()?.json().ok()?;
            (count == json!({"count": 4})).then_some(())?;
            connection.get("/app/items/apple").await.ok()?.json().ok()
        }
    })
    .await;
    assert_eq!(replicated["value"], json!([1, 2, 3]));

    // /app/api lists every endpoint of app.json, with user_cert.
    let api = try_get(&sandbox.tls(None), sandbox.address(backup), "/app/api")
        .await
        .unwrap();
    let api = json_of(&api, StatusCode::OK, "api");
    for (path, methods) in [
        ("/app/items", &["get"][..]),
        ("/app/items/{key}", &["post", "get", "delete"][..]),
        ("/app/count", &["get"][..]),
        ("/app/whoami", &["get"][..]),
        ("/app/digest", &["post"][..]),
        ("/app/aes-key", &["get"][..]),
        ("/app/counters/{name}", &["post"][..]),
        ("/app/status", &["get"][..]),
    ] {
        for method in methods {
            let operation = &api["paths"][path][method];
            assert!(operation.is_object(), "{method} {path} in /app/api");
            assert_eq!(
                operation["security"],
                json!([{"user_cert": []}]),
                "{method} {path}"
            );
        }
    }
}
