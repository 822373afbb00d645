//! External tools the test suite checks output with: `cfn-lint`, `terraform`
//! (with the AWS provider from a filesystem mirror), `moto_server`, `checkov`
//! (in its own virtual environment), and for images Debian's `docker-registry`
//! (a real OCI registry) and `skopeo`.
//!
//! Each is found on `PATH` (and the usual pip install locations); the Python
//! ones are installed with `pip` when missing, the Debian ones with `apt-get`. What was used is printed straight to
//! stderr, past the test harness's capture, so a CI log says which binary checked
//! the output. When the `CI` environment variable is set a missing tool is an
//! error; elsewhere the caller may skip with a loud message.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// A tool that was found, with the version it reported.
#[derive(Clone, Debug)]
pub struct Tool {
    pub path: PathBuf,
    pub version: String,
}

/// Why a tool is not available.
#[derive(Clone, Debug)]
pub struct Missing(pub String);

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether we run in CI, where a missing tool must fail the test.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// Prints a line to the real stderr, bypassing the test harness's capture.
pub fn announce(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

fn search_path(name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("HOME") {
        let home = PathBuf::from(home);
        dirs.push(home.join(".local/bin"));
        dirs.push(home.join(".pyenv/shims"));
    }
    dirs.push("/usr/local/bin".into());
    dirs.into_iter().map(|d| d.join(name)).find(|p| p.is_file())
}

fn version_of(path: &Path, arg: &str) -> Option<String> {
    let out = Command::new(path).arg(arg).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    Some(text.lines().next().unwrap_or("").trim().to_string())
}

static PIP_LOCK: Mutex<()> = Mutex::new(());

/// Finds `name`; if missing and `pip_package` is given, installs it with pip first.
pub fn find_or_install(name: &str, version_arg: &str, pip_package: Option<&str>) -> Result<Tool, Missing> {
    let _guard = PIP_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let found = search_path(name).and_then(|p| version_of(&p, version_arg).map(|v| (p, v)));
    let found = match (found, pip_package) {
        (Some(f), _) => Some(f),
        (None, Some(pkg)) => {
            announce(&format!("{name} not found; installing {pkg} with pip"));
            let ok = Command::new("python3")
                .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", pkg])
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                search_path(name).and_then(|p| version_of(&p, version_arg).map(|v| (p, v)))
            } else {
                None
            }
        }
        (None, None) => None,
    };
    match found {
        Some((path, version)) => {
            announce(&format!("using {name}: {} ({version})", path.display()));
            Ok(Tool { path, version })
        }
        None => Err(Missing(format!("{name} is not installed and could not be installed"))),
    }
}

pub fn cfn_lint() -> Result<Tool, Missing> {
    find_or_install("cfn-lint", "--version", Some("cfn-lint"))
}

/// The checkov release the tests scan with. Its checks change between
/// releases, so the expected results in `stack/tests/checkov.rs` are for this one.
pub const CHECKOV_VERSION: &str = "3.3.30";

/// checkov at [`CHECKOV_VERSION`], in its own virtual environment (it pins
/// an old boto3 that would break moto's): a `checkov` on `PATH` reporting
/// that version, else `~/.cache/iac-tools/checkov-<version>`, created with
/// `python3 -m venv` and `pip install checkov==<version>` if missing.
pub fn checkov() -> Result<Tool, Missing> {
    let _guard = PIP_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(path) = search_path("checkov") {
        if version_of(&path, "--version").as_deref() == Some(CHECKOV_VERSION) {
            announce(&format!("using checkov: {} ({CHECKOV_VERSION})", path.display()));
            return Ok(Tool {
                path,
                version: CHECKOV_VERSION.into(),
            });
        }
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let venv = home.join(".cache/iac-tools").join(format!("checkov-{CHECKOV_VERSION}"));
    let bin = venv.join("bin/checkov");
    let complete = venv.join(".installed");
    if !complete.is_file() {
        announce(&format!(
            "checkov {CHECKOV_VERSION} not found; installing it with pip into its own virtual environment {}",
            venv.display()
        ));
        let _ = std::fs::remove_dir_all(&venv);
        let created = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .is_ok_and(|s| s.success());
        let installed = created
            && Command::new(venv.join("bin/python"))
                .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"])
                .arg(format!("checkov=={CHECKOV_VERSION}"))
                .status()
                .is_ok_and(|s| s.success());
        if !installed {
            return Err(Missing(format!(
                "checkov {CHECKOV_VERSION} could not be installed into {}",
                venv.display()
            )));
        }
        let _ = std::fs::write(&complete, CHECKOV_VERSION);
    }
    match version_of(&bin, "--version") {
        Some(version) => {
            announce(&format!("using checkov: {} ({version})", bin.display()));
            Ok(Tool { path: bin, version })
        }
        None => Err(Missing(format!("{} does not run", bin.display()))),
    }
}

/// Runs checkov once over `dir` for the given frameworks (e.g.
/// `cloudformation`, `terraform_json`), offline (`--skip-download`), and
/// returns one JSON report per framework that found files, keyed by its
/// `check_type`. Failed checks do not fail the run (`--soft-fail`); a
/// parsing error or a crash does.
pub fn run_checkov(tool: &Tool, dir: &Path, frameworks: &[&str]) -> Result<Vec<serde_json::Value>, String> {
    run_checkov_with_baseline(tool, dir, frameworks, None)
}

/// [`run_checkov`] with a checkov baseline (`--baseline FILE
/// --output-baseline-as-skipped`): the checks it lists for a resource are
/// reported as skipped ("baseline-skipped") instead of failed.
pub fn run_checkov_with_baseline(
    tool: &Tool,
    dir: &Path,
    frameworks: &[&str],
    baseline: Option<&Path>,
) -> Result<Vec<serde_json::Value>, String> {
    let mut cmd = Command::new(&tool.path);
    cmd.arg("--directory").arg(dir).arg("--framework").args(frameworks);
    if let Some(b) = baseline {
        cmd.arg("--baseline").arg(b).arg("--output-baseline-as-skipped");
    }
    let out = cmd
        .args(["--output", "json", "--soft-fail", "--skip-download"])
        .output()
        .map_err(|e| format!("checkov did not run: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let parsed: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        format!(
            "checkov exit {}: its output is not JSON ({e}):\n{text}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    let reports = match parsed {
        serde_json::Value::Array(list) => list,
        one => vec![one],
    };
    for r in &reports {
        let errors = &r["summary"]["parsing_errors"];
        if errors.as_u64().unwrap_or(0) > 0 {
            return Err(format!(
                "checkov could not parse {errors} file(s) for {}: {}",
                r["check_type"],
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    Ok(reports)
}

/// `moto_server` has no `--version`: `-h` proves it runs; the version comes from
/// the `moto` package it belongs to.
pub fn moto_server() -> Result<Tool, Missing> {
    let mut tool = find_or_install("moto_server", "-h", Some("moto[server]"))?;
    let out = Command::new("python3")
        .args(["-c", "import moto; print(moto.__version__)"])
        .output();
    if let Some(out) = out.ok().filter(|o| o.status.success()) {
        tool.version = format!("moto {}", String::from_utf8_lossy(&out.stdout).trim());
        announce(&format!("moto_server is {}", tool.version));
    }
    Ok(tool)
}

/// The filesystem mirror holding the AWS provider on these machines.
pub const TERRAFORM_PLUGIN_MIRROR: &str = "/opt/tf-plugins";

pub fn terraform() -> Result<Tool, Missing> {
    let tool = find_or_install("terraform", "version", None)?;
    if !Path::new(TERRAFORM_PLUGIN_MIRROR).is_dir() {
        return Err(Missing(format!(
            "the Terraform provider mirror {TERRAFORM_PLUGIN_MIRROR} does not exist"
        )));
    }
    Ok(tool)
}

/// Unwraps a tool for a test: in CI a missing tool panics (fails the test);
/// elsewhere it returns `None` after printing why the check is skipped.
pub fn require(tool: Result<Tool, Missing>, check: &str) -> Option<Tool> {
    match tool {
        Ok(t) => Some(t),
        Err(m) if in_ci() => panic!("{check} needs a tool that is missing in CI: {m}"),
        Err(m) => {
            announce(&format!("SKIPPED {check}: {m} (set CI=1 to make this a failure)"));
            None
        }
    }
}

/// Runs cfn-lint on the given templates, returning its report on failure.
pub fn run_cfn_lint(tool: &Tool, templates: &[PathBuf]) -> Result<(), String> {
    let out = Command::new(&tool.path)
        .args(templates)
        .output()
        .map_err(|e| format!("cfn-lint did not run: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "cfn-lint exit {}:\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// A Terraform CLI configuration in a temporary directory that installs providers
/// only from the filesystem mirror, with a shared plugin cache so each `init`
/// links the (large) AWS provider instead of copying it.
pub struct TerraformConfig {
    pub dir: PathBuf,
    pub file: PathBuf,
}

impl TerraformConfig {
    pub fn new(scratch: &Path) -> std::io::Result<Self> {
        let dir = scratch.join("terraform-cli");
        let cache = dir.join("plugin-cache");
        std::fs::create_dir_all(&cache)?;
        let file = dir.join("cli.tfrc");
        std::fs::write(
            &file,
            format!(
                "provider_installation {{\n  filesystem_mirror {{\n    path = \"{TERRAFORM_PLUGIN_MIRROR}\"\n  }}\n}}\nplugin_cache_dir = \"{}\"\nplugin_cache_may_break_dependency_lock_file = true\n",
                cache.display()
            ),
        )?;
        Ok(TerraformConfig { dir, file })
    }
}

/// Runs `terraform <args>` in `module_dir` with the offline CLI configuration,
/// returning its standard output, or everything it printed on failure.
pub fn run_terraform(tool: &Tool, cfg: &TerraformConfig, module_dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new(&tool.path)
        .args(args)
        .current_dir(module_dir)
        .env("TF_CLI_CONFIG_FILE", &cfg.file)
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .map_err(|e| format!("terraform did not run: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "terraform {} failed in {}:\n{}{}",
            args.join(" "),
            module_dir.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// `terraform init` (offline) and `terraform validate` in `module_dir`.
pub fn run_terraform_validate(tool: &Tool, cfg: &TerraformConfig, module_dir: &Path) -> Result<(), String> {
    run_terraform(
        tool,
        cfg,
        module_dir,
        &["init", "-backend=false", "-input=false", "-no-color"],
    )?;
    run_terraform(tool, cfg, module_dir, &["validate", "-no-color"]).map(|_| ())
}

/// A `moto_server` (local AWS API emulator) on a free loopback port, stopped on drop.
pub struct MotoServer {
    child: std::process::Child,
    pub endpoint: String,
}

impl MotoServer {
    /// Starts `moto_server` on a free port and waits until it answers as moto.
    ///
    /// The port is picked by binding port 0 and releasing it, so another
    /// process can take it before moto binds. A listening socket alone would
    /// then be someone else's server; moto's own `/moto-api/` path must answer,
    /// and if moto exits (port taken) a new port is tried, up to three times.
    pub fn start(tool: &Tool) -> Result<MotoServer, String> {
        Self::start_with(|port| {
            let mut c = Command::new(&tool.path);
            c.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
            c
        })
    }

    /// Like [`MotoServer::start`], for a Python script that runs moto's
    /// server itself (taking moto_server's `-H HOST -p PORT`), e.g. one that
    /// patches a fidelity gap first.
    pub fn start_script(python: &Tool, script: &Path) -> Result<MotoServer, String> {
        Self::start_with(|port| {
            let mut c = Command::new(&python.path);
            c.arg(script).args(["-H", "127.0.0.1", "-p", &port.to_string()]);
            c
        })
    }

    fn start_with(command: impl Fn(u16) -> Command) -> Result<MotoServer, String> {
        let (child, port) = start_on_free_port(
            "moto_server",
            |port| {
                command(port)
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .spawn()
            },
            // moto's own API path answers 200 only on moto.
            |port| http_get_loopback(port, "/moto-api/").is_some_and(|a| a.starts_with("HTTP/1.1 200")),
            String::new,
        )?;
        let server = MotoServer {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        announce(&format!("moto_server listening on {}", server.endpoint));
        Ok(server)
    }
}

/// Starts a server on a free loopback port and waits until `answers(port)`
/// says the expected server is there, returning the child and its port.
///
/// The port is picked by binding port 0 and releasing it, so another process
/// can take it before the server binds. A listening socket alone could then be
/// someone else's server, hence `answers`; if the server exits (port taken) a
/// new port is tried, up to three times, and `exit_detail` says why it exited.
fn start_on_free_port(
    name: &str,
    spawn: impl Fn(u16) -> std::io::Result<std::process::Child>,
    answers: impl Fn(u16) -> bool,
    exit_detail: impl Fn() -> String,
) -> Result<(std::process::Child, u16), String> {
    let mut last_error = String::new();
    for _attempt in 0..3 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let mut child = spawn(port).map_err(|e| format!("{name} did not start: {e}"))?;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                last_error = format!("{name} on port {port} exited with {status} {}", exit_detail());
                break;
            }
            if answers(port) {
                return Ok((child, port));
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{name} did not answer on port {port} within 30 s"));
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
    Err(format!("{name} did not start after three ports: {last_error}"))
}

/// `GET path` on a loopback port: the whole answer as text, or `None` when
/// nothing answers.
fn http_get_loopback(port: u16, path: &str) -> Option<String> {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(2)));
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    (!answer.is_empty()).then(|| String::from_utf8_lossy(&answer).into_owned())
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Python interpreter with boto3, for driving moto in tests (boto3 comes
/// with moto; installed with pip if missing).
pub fn python_with_boto3() -> Result<Tool, Missing> {
    let has_boto3 = || {
        Command::new("python3")
            .args(["-c", "import boto3"])
            .status()
            .is_ok_and(|s| s.success())
    };
    let _guard = PIP_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if !has_boto3() {
        announce("boto3 not found; installing it with pip");
        let _ = Command::new("python3")
            .args(["-m", "pip", "install", "--quiet", "boto3"])
            .status();
    }
    if !has_boto3() {
        return Err(Missing("python3 with boto3 is not available".into()));
    }
    let path = search_path("python3").ok_or_else(|| Missing("python3 is not on PATH".into()))?;
    let version = version_of(&path, "--version").unwrap_or_default();
    announce(&format!("using python3 with boto3: {} ({version})", path.display()));
    Ok(Tool { path, version })
}

impl MotoServer {
    /// Environment variables that point the AWS SDKs, this project's `deploy`
    /// and the Terraform AWS provider at this server, with moto's fake
    /// credentials (account 123456789012) in eu-west-2.
    pub fn aws_env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", self.endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "eu-west-2"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }
}

/// The Terraform override file that makes the AWS provider work against a
/// moto_server on loopback: `AWS_ENDPOINT_URL` (see [`MotoServer::aws_env`])
/// reaches every service, but S3 also needs path-style addressing there.
/// Tests write it as `moto_override.tf.json` beside a module; what `synth`
/// writes is unchanged.
pub const TERRAFORM_MOTO_OVERRIDE: &str =
    r#"{"provider": {"aws": {"s3_use_path_style": true, "skip_metadata_api_check": true}}}"#;

/// What a command-line run printed.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Everything printed, for assertion messages.
    pub fn all(&self) -> String {
        format!(
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs a command-line binary in `dir` with `env` added and the host's AWS
/// settings (profiles, config files, instance metadata) out of reach, so a
/// test can only ever talk to the endpoint it gives.
pub fn run_cli(binary: &Path, args: &[&str], dir: &Path, env: &[(String, String)]) -> Run {
    let mut c = Command::new(binary);
    c.args(args).current_dir(dir).stdin(std::process::Stdio::null());
    for k in [
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    ] {
        c.env_remove(k);
    }
    c.env("AWS_CONFIG_FILE", dir.join(".no-aws-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join(".no-aws-credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c
        .output()
        .unwrap_or_else(|e| panic!("{} did not run: {e}", binary.display()));
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

static APT_LOCK: Mutex<()> = Mutex::new(());

/// Finds `name`; if missing, installs the Debian package `package` with
/// `apt-get` (refreshing the package lists once if the first try fails).
pub fn find_or_apt_install(name: &str, version_arg: &str, package: &str) -> Result<Tool, Missing> {
    let _guard = APT_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let find = || search_path(name).and_then(|p| version_of(&p, version_arg).map(|v| (p, v)));
    let mut found = find();
    if found.is_none() {
        announce(&format!(
            "{name} not found; installing the Debian package {package} with apt-get"
        ));
        let install = || {
            Command::new("apt-get")
                .args(["install", "-y", "-q", "--no-install-recommends", package])
                .env("DEBIAN_FRONTEND", "noninteractive")
                .stdout(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        if !install() {
            let _ = Command::new("apt-get")
                .args(["update", "-q"])
                .stdout(std::process::Stdio::null())
                .status();
            install();
        }
        found = find();
    }
    match found {
        Some((path, version)) => {
            announce(&format!("using {name}: {} ({version})", path.display()));
            Ok(Tool { path, version })
        }
        None => Err(Missing(format!(
            "{name} is not installed and `apt-get install {package}` did not install it"
        ))),
    }
}

/// Debian's `docker-registry` (distribution 2.8): a real OCI registry.
pub fn docker_registry() -> Result<Tool, Missing> {
    find_or_apt_install("docker-registry", "--version", "docker-registry")
}

/// Debian's `skopeo`, to inspect images in a registry the way other tools see them.
pub fn skopeo() -> Result<Tool, Missing> {
    find_or_apt_install("skopeo", "--version", "skopeo")
}

/// A `docker-registry` on a free loopback port, with its own configuration
/// and storage in a directory the caller owns, stopped on drop.
pub struct RegistryServer {
    child: std::process::Child,
    /// `127.0.0.1:PORT`.
    pub host: String,
}

impl RegistryServer {
    /// Starts the registry in `dir` (config and storage go there). With
    /// `htpasswd` (a bcrypt htpasswd file's text) it requires Basic auth.
    pub fn start(tool: &Tool, dir: &Path, htpasswd: Option<&str>) -> Result<RegistryServer, String> {
        let storage = dir.join("storage");
        std::fs::create_dir_all(&storage).map_err(|e| format!("creating {}: {e}", storage.display()))?;
        let auth = match htpasswd {
            Some(text) => {
                let file = dir.join("htpasswd");
                std::fs::write(&file, text).map_err(|e| format!("writing {}: {e}", file.display()))?;
                format!("auth:\n  htpasswd:\n    realm: tests\n    path: {}\n", file.display())
            }
            None => String::new(),
        };
        let config = dir.join("config.yml");
        let log = dir.join("registry.log");
        let (child, port) = start_on_free_port(
            "docker-registry",
            |port| {
                let text = format!(
                    "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n{auth}",
                    storage.display()
                );
                std::fs::write(&config, text)?;
                Command::new(&tool.path)
                    .arg("serve")
                    .arg(&config)
                    .stdout(std::process::Stdio::null())
                    .stderr(std::fs::File::create(&log)?)
                    .spawn()
            },
            // Only a registry sends the distribution API's version header.
            |port| {
                http_get_loopback(port, "/v2/").is_some_and(|a| {
                    a.to_ascii_lowercase()
                        .contains("docker-distribution-api-version: registry/2.0")
                })
            },
            || std::fs::read_to_string(&log).unwrap_or_default(),
        )?;
        let server = RegistryServer {
            child,
            host: format!("127.0.0.1:{port}"),
        };
        announce(&format!("docker-registry listening on {}", server.host));
        Ok(server)
    }
}

impl Drop for RegistryServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
