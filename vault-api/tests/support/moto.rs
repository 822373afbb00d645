//! A `moto_server` (local DynamoDB-API emulator) per test, on 127.0.0.1 and a
//! free port, killed when the guard drops.
//!
//! Finding it: a Python with the `moto` package — `python3` on PATH, or the
//! interpreter of a `moto_server` script on PATH; failing both,
//! `python3 -m pip install 'moto[server]'` and look again. With `CI` set a
//! missing emulator fails the test; without, the test is skipped loudly.
//!
//! Why not exec `moto_server` directly: moto serves requests on parallel
//! threads without DynamoDB's per-item atomicity, so two conditional writes
//! can both pass their condition inside the emulator (seen here: two winners
//! of one `If-Match`). Real DynamoDB is linearizable per item. We therefore
//! run moto's own `main()` with its WSGI app wrapped in a lock, so it handles
//! one request at a time, like an atomic store; the service still sends its
//! requests concurrently, so a read-then-write race in *our* code would
//! still be caught.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::Client;

/// Runs moto's server `main()` with request handling serialized by a lock.
const SERIALIZED_MOTO: &str = r#"
import sys, threading
from moto import server
lock = threading.Lock()
run_simple = server.run_simple
def serialized_run_simple(host, port, app, **kwargs):
    def serialized(environ, start_response):
        with lock:
            return list(app(environ, start_response))
    return run_simple(host, port, serialized, **kwargs)
server.run_simple = serialized_run_simple
server.main(sys.argv[1:])
"#;

/// A Python interpreter that has moto, and how we found it.
#[derive(Debug, Clone)]
struct Launcher {
    python: PathBuf,
    moto_version: String,
    found_via: String,
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// The moto version `python` can import, if any.
fn moto_version(python: &Path) -> Option<String> {
    let output = Command::new(python)
        .args(["-c", "import moto, moto.server, flask; print(moto.__version__)"])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The interpreter named in a script's `#!` line, if it is a Python.
fn shebang_python(script: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(script).ok()?;
    let first = text.lines().next()?.strip_prefix("#!")?.trim();
    let interpreter = first.split_whitespace().next()?;
    interpreter.contains("python").then(|| PathBuf::from(interpreter))
}

fn find_launcher_once() -> Option<Launcher> {
    let moto_server = on_path("moto_server");
    let mut candidates: Vec<(PathBuf, String)> = Vec::new();
    if let Some(python) = on_path("python3") {
        candidates.push((python.clone(), format!("python3 on PATH ({})", python.display())));
    }
    if let Some(script) = &moto_server {
        if let Some(python) = shebang_python(script) {
            candidates.push((python, format!("interpreter of {}", script.display())));
        }
    }
    candidates.into_iter().find_map(|(python, how)| {
        moto_version(&python).map(|moto_version| Launcher {
            found_via: match &moto_server {
                Some(script) => format!("{how}; moto_server at {}", script.display()),
                None => how,
            },
            python,
            moto_version,
        })
    })
}

fn find_launcher() -> Option<Launcher> {
    if let Some(found) = find_launcher_once() {
        return Some(found);
    }
    announce("moto not found; trying: python3 -m pip install 'moto[server]'");
    let installed = Command::new("python3")
        .args(["-m", "pip", "install", "--quiet", "moto[server]"])
        .status()
        .is_ok_and(|s| s.success());
    if !installed {
        announce("pip install of moto[server] failed");
    }
    find_launcher_once()
}

/// Prints past the test harness's output capture, so the emulator in use
/// (or its absence) is visible in every test run, passing or not.
fn announce(message: &str) {
    let _ = writeln!(std::io::stderr(), "{message}");
}

/// The launcher, looked up once per test process.
fn launcher() -> Option<&'static Launcher> {
    static LAUNCHER: OnceLock<Option<Launcher>> = OnceLock::new();
    LAUNCHER
        .get_or_init(|| {
            let found = find_launcher();
            match &found {
                Some(l) => announce(&format!(
                    "using DynamoDB emulator: moto {} run by {} (found via {}), requests serialized",
                    l.moto_version,
                    l.python.display(),
                    l.found_via
                )),
                None => announce("no DynamoDB emulator (moto) available"),
            }
            found
        })
        .as_ref()
}

/// A running emulator. Dropping it kills the process.
pub struct MotoServer {
    child: Child,
    pub endpoint: String,
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free loopback port")
}

/// True once the server answers an HTTP request.
fn answers(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect((Ipv4Addr::LOCALHOST, port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = "GET /moto-api/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.")
}

impl MotoServer {
    /// Starts an emulator, or returns `None` (after a loud message) when none
    /// is available and `CI` is unset. Panics when `CI` is set and none is
    /// available.
    pub fn start() -> Option<MotoServer> {
        let Some(launcher) = launcher() else {
            if std::env::var_os("CI").is_some() {
                panic!("CI is set but no moto_server is available (pip install 'moto[server]' failed)");
            }
            announce(
                "\n*** SKIPPING DynamoDB test: moto is not installed and could not be \
                 installed. Install it with: python3 -m pip install 'moto[server]' ***\n",
            );
            return None;
        };
        for _attempt in 0..3 {
            let port = free_port();
            let mut child = Command::new(&launcher.python)
                .args(["-c", SERIALIZED_MOTO, "-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("starting moto with {}: {e}", launcher.python.display()));
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break; // Exited: most likely the port was taken meanwhile.
                }
                if answers(port) {
                    return Some(MotoServer {
                        child,
                        endpoint: format!("http://127.0.0.1:{port}"),
                    });
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("moto (via {}) did not start", launcher.python.display());
    }

    /// A DynamoDB client for this emulator with dummy credentials set on the
    /// client's own config (no process environment involved) and the same
    /// retry/timeout policy the service uses.
    pub fn client(&self) -> Client {
        client_for(&self.endpoint, vault_api::store::dynamo::retry_config())
    }
}

/// A client for `endpoint` with dummy credentials, `retry` and the
/// service's default timeouts.
pub fn client_for(endpoint: &str, retry: aws_sdk_dynamodb::config::retry::RetryConfig) -> Client {
    let attempt = Duration::from_millis(vault_api::config::DEFAULT_DYNAMODB_ATTEMPT_TIMEOUT_MS);
    client_with(endpoint, retry, attempt)
}

/// A client for `endpoint` like [`client_for`] with the service's retry
/// policy, but with a per-attempt timeout of `attempt`.
pub fn client_with_attempt_timeout(endpoint: &str, attempt: Duration) -> Client {
    client_with(endpoint, vault_api::store::dynamo::retry_config(), attempt)
}

fn client_with(endpoint: &str, retry: aws_sdk_dynamodb::config::retry::RetryConfig, attempt: Duration) -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .retry_config(retry)
        .timeout_config(vault_api::store::dynamo::timeout_config(attempt))
        .build();
    Client::from_conf(config)
}
