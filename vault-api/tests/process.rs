//! The real binary: durability across restarts, graceful shutdown on
//! SIGTERM/SIGINT, bounded drain time, and the access log format.

mod support;

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use support::process::{http, read_response, start_request, ServiceProcess};

const JSON: [(&str, &str); 1] = [("content-type", "application/json")];

fn embedded_service(dir: &tempfile::TempDir, extra: &[(&str, &str)]) -> ServiceProcess {
    let data_dir = dir.path().to_str().unwrap().to_owned();
    let mut env = vec![("VAULT_DATA_DIR", data_dir.as_str())];
    env.extend_from_slice(extra);
    ServiceProcess::start(&env)
}

#[test]
fn embedded_store_data_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = embedded_service(&dir, &[]);
    let put = http(
        first.addr,
        "PUT",
        "/vault/items/keep-me",
        &JSON,
        br#"{"saved":[1,2,3]}"#,
    );
    assert_eq!(put.status, 201);
    let etag = put.header("etag").unwrap().to_owned();
    let posted = http(first.addr, "POST", "/vault/items", &JSON, br#"{"also":"saved"}"#);
    assert_eq!(posted.status, 201);
    let posted_id = posted.json()["id"].as_str().unwrap().to_owned();
    first.signal("TERM");
    assert!(first.wait_exit(Duration::from_secs(30)).success());

    let mut second = embedded_service(&dir, &[]);
    let read = http(second.addr, "GET", "/vault/items/keep-me", &[], b"");
    assert_eq!(read.status, 200);
    assert_eq!(read.header("etag"), Some(etag.as_str()));
    assert_eq!(read.json()["data"], serde_json::json!({"saved": [1, 2, 3]}));
    let list = http(second.addr, "GET", "/vault/items", &[], b"").json();
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&"keep-me") && ids.contains(&posted_id.as_str()));
    second.signal("TERM");
    assert!(second.wait_exit(Duration::from_secs(30)).success());
}

fn connection_refused(addr: std::net::SocketAddr) -> bool {
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err()
}

#[test]
fn sigterm_lets_an_in_flight_request_finish_then_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let mut service = embedded_service(&dir, &[]);
    let created = http(service.addr, "PUT", "/vault/items/in-flight", &JSON, br#"{"n":1}"#);
    assert_eq!(created.status, 201);

    // Start a replace whose body arrives slowly: the request is in flight.
    let body = br#"{"n":2,"padding":"0123456789"}"#;
    let (first, rest) = body.split_at(10);
    let mut stream = start_request(service.addr, "PUT", "/vault/items/in-flight", &JSON, first, body.len());
    std::thread::sleep(Duration::from_millis(300));
    service.signal("TERM");

    // The listener closes: new connections are refused while draining.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !connection_refused(service.addr) {
        assert!(Instant::now() < deadline, "still accepting after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }

    stream.write_all(rest).unwrap();
    let response = read_response(stream);
    assert_eq!(response.status, 200, "{:?}", String::from_utf8_lossy(&response.body));
    assert_eq!(response.json()["data"]["n"], 2);
    let status = service.wait_exit(Duration::from_secs(30));
    assert!(status.success(), "exit status {status:?}");

    let messages: Vec<String> = service
        .log_events()
        .iter()
        .filter_map(|e| e["message"].as_str().map(str::to_owned))
        .collect();
    assert!(messages.iter().any(|m| m.starts_with("shutting down")), "{messages:?}");
    assert!(messages.iter().any(|m| m == "drained; exiting"), "{messages:?}");
}

#[test]
fn ctrl_c_shuts_down_cleanly_too() {
    let dir = tempfile::tempdir().unwrap();
    let mut service = embedded_service(&dir, &[]);
    assert_eq!(http(service.addr, "GET", "/vault", &[], b"").status, 200);
    service.signal("INT");
    assert!(service.wait_exit(Duration::from_secs(30)).success());
}

/// The handlers are installed before the listener is bound, so a signal that
/// arrives the moment the service says "listening" (no request served yet)
/// still drains and exits 0 instead of killing the process. They used to be
/// registered lazily on a spawned task, which lost this race under load.
#[test]
fn a_signal_right_after_listening_is_still_graceful() {
    for signal in ["TERM", "INT", "TERM", "INT"] {
        let dir = tempfile::tempdir().unwrap();
        let mut service = embedded_service(&dir, &[]);
        service.signal(signal);
        let status = service.wait_exit(Duration::from_secs(30));
        assert!(status.success(), "SIG{signal}: exit status {status:?}");
    }
}

#[test]
fn a_request_that_never_finishes_cannot_hold_shutdown_past_the_grace_period() {
    let dir = tempfile::tempdir().unwrap();
    let mut service = embedded_service(&dir, &[("VAULT_SHUTDOWN_GRACE_SECS", "1")]);
    // Declares a body it never sends.
    let _stuck = start_request(service.addr, "PUT", "/vault/items/stuck", &JSON, b"{", 100);
    std::thread::sleep(Duration::from_millis(300));
    let signalled = Instant::now();
    service.signal("TERM");
    let status = service.wait_exit(Duration::from_secs(20));
    assert!(status.success(), "exit status {status:?}");
    let took = signalled.elapsed();
    assert!(
        took >= Duration::from_millis(900),
        "exited before the grace period: {took:?}"
    );
    let warned = service
        .log_events()
        .iter()
        .any(|e| e["message"] == "in-flight requests did not finish in time; exiting anyway");
    assert!(warned);
}

#[test]
fn every_request_is_logged_as_one_json_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut service = embedded_service(&dir, &[]);
    let sent = [
        ("GET", "/vault", "req-health", 200),
        ("GET", "/vault/items/nothing", "req-missing", 404),
        ("PUT", "/vault/items/logged", "req-put", 201),
    ];
    for (method, path, id, status) in sent {
        let mut headers = vec![("x-request-id", id)];
        headers.extend_from_slice(&JSON);
        let r = http(service.addr, method, path, &headers, b"{}");
        assert_eq!(r.status, status);
        assert_eq!(r.header("x-request-id"), Some(id));
    }
    let generated = http(service.addr, "GET", "/vault?probe=1", &[], b"");
    let generated_id = generated.header("x-request-id").unwrap().to_owned();
    service.signal("TERM");
    assert!(service.wait_exit(Duration::from_secs(30)).success());

    let requests: Vec<serde_json::Value> = service
        .log_events()
        .into_iter()
        .filter(|e| e["message"] == "request")
        .collect();
    assert_eq!(requests.len(), 4, "{requests:?}");
    for ((method, path, id, status), line) in sent.iter().zip(&requests) {
        assert_eq!(line["method"], *method);
        assert_eq!(line["path"], *path);
        assert_eq!(line["status"], *status);
        assert_eq!(line["request_id"], *id);
        assert!(line["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0));
        assert_eq!(line["level"], "INFO");
        assert!(line["timestamp"].is_string());
    }
    assert_eq!(requests[3]["path"], "/vault", "the query string is not logged");
    assert_eq!(requests[3]["request_id"], generated_id.as_str());
}

/// Runs the binary with `envs` (on a free loopback port, data in `dir`) and
/// expects it to refuse to start: returns its exit status and output.
fn refused_start(dir: &tempfile::TempDir, envs: &[(&str, &str)]) -> (std::process::ExitStatus, String) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_vault-api"));
    for inherited in [
        "VAULT_TABLE",
        "VAULT_STORE",
        "AWS_ENDPOINT_URL",
        "ECS_CONTAINER_METADATA_URI",
        "ECS_CONTAINER_METADATA_URI_V4",
        "AWS_EXECUTION_ENV",
    ] {
        command.env_remove(inherited);
    }
    let mut child = command
        .env("HOST", "127.0.0.1")
        .env("PORT", "0")
        .env("VAULT_LOG_FORMAT", "json")
        .env("VAULT_DATA_DIR", dir.path())
        .envs(envs.iter().copied())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starting vault-api");
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let output = child.wait_with_output().expect("output");
            panic!(
                "vault-api started with {envs:?} instead of refusing: {}",
                String::from_utf8_lossy(&output.stdout)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = child.wait_with_output().expect("output");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (status, text)
}

/// A blank VAULT_TABLE (say, a deployment template whose table reference
/// resolved to nothing) must not silently select the embedded store, whose
/// data on Fargate lives and dies with one task.
#[test]
fn a_blank_vault_table_is_refused_not_taken_as_embedded() {
    for blank in ["", "  "] {
        let dir = tempfile::tempdir().unwrap();
        let (status, output) = refused_start(&dir, &[("VAULT_TABLE", blank)]);
        assert!(!status.success(), "{output}");
        assert!(output.contains("VAULT_TABLE"), "the error names the variable: {output}");
        assert!(!dir.path().join("vault.redb").exists(), "no embedded store was created");
    }
}

/// In an ECS task, the embedded store's data lives and dies with the task,
/// so it is used only when asked for by name.
#[test]
fn in_an_ecs_task_the_store_must_be_chosen_explicitly() {
    let ecs = ("ECS_CONTAINER_METADATA_URI_V4", "http://169.254.170.2/v4/test");
    let dir = tempfile::tempdir().unwrap();
    let (status, output) = refused_start(&dir, &[ecs]);
    assert!(!status.success(), "{output}");
    assert!(
        output.contains("VAULT_STORE") && output.contains("VAULT_TABLE"),
        "{output}"
    );

    let mut explicit = embedded_service(&dir, &[ecs, ("VAULT_STORE", "embedded")]);
    assert_eq!(http(explicit.addr, "GET", "/vault/ready", &[], b"").status, 200);
    explicit.signal("TERM");
    assert!(explicit.wait_exit(Duration::from_secs(30)).success());
}

/// The embedded store's memory does not grow with the data: the page cache
/// is bounded. Writes and then reads back 48 MiB, several times the cache,
/// and checks the peak resident memory stays far below the data size. (The
/// goal figure, under load, is measured by bench/run.sh; this only checks
/// that memory is bounded at all.)
#[test]
fn embedded_store_memory_does_not_grow_with_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let mut service = embedded_service(&dir, &[]);
    let blob = "x".repeat(200 * 1024);
    let count = 240; // 48 MiB
    for i in 0..count {
        let body = format!("{{\"i\":{i},\"blob\":\"{blob}\"}}");
        let r = http(
            service.addr,
            "PUT",
            &format!("/vault/items/m{i}"),
            &JSON,
            body.as_bytes(),
        );
        assert_eq!(r.status, 201);
    }
    for i in 0..count {
        let r = http(service.addr, "GET", &format!("/vault/items/m{i}"), &[], b"");
        assert_eq!(r.status, 200);
    }
    let status = std::fs::read_to_string(format!("/proc/{}/status", service.pid())).expect("/proc status");
    let peak_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    eprintln!("peak RSS after writing and reading 48 MiB: {} KiB", peak_kib);
    assert!(
        peak_kib < 40 * 1024,
        "peak RSS {peak_kib} KiB grows with the 48 MiB of data"
    );
    service.signal("TERM");
    assert!(service.wait_exit(Duration::from_secs(30)).success());
}
