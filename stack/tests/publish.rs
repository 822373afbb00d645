//! Publishing images to a real OCI registry (Debian's `docker-registry`,
//! started on loopback by each test with its own config and storage):
//! - the tiny `asset-fixture` crate for what is about the image format and the
//!   push protocol: reproducible digests, a second publish uploading nothing,
//!   an interrupted push completed by a rerun, Basic and Bearer auth, each
//!   bad input's message;
//! - the real vault-api, published, pulled back through the registry API,
//!   unpacked and run as the image's user, answering `GET /vault` with its
//!   version (built once per test run with the `image-test` profile).

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use assets::registry::{Credentials, Repository};
use assets::{publish, PublishError, PublishOptions};
use clap::Parser;
use serde_json::Value as Json;
use stack::cli::{run_with, AppSource, Cli};
use stack::tools;
use support::images::*;

/// `test-password`, bcrypt-hashed for the registry's htpasswd.
const HTPASSWD: &str = "tester:$2a$05$y0xZ3PQ9OwyZW23ZjULqPeoD8vO4lMCzXkUMAoscbDuAprxqCY1Ie\n";

fn creds(password: &str) -> Credentials {
    Credentials {
        username: "tester".into(),
        password: password.into(),
    }
}

#[test]
fn two_builds_of_the_same_source_give_the_same_digest() {
    let dir = tempfile::tempdir().unwrap();
    let manifest_path = fixture_workspace(dir.path(), "asset-fixture", FIXTURE_MAIN);
    let manifest = fixture_manifest("fixture");
    let entry = &manifest.images[0];
    let mut digests = Vec::new();
    for target in ["target-a", "target-b"] {
        let request = assets::compile::BuildRequest {
            crate_name: entry.crate_name.clone(),
            binary: entry.binary.clone(),
            profile: "release".into(),
            manifest_path: Some(manifest_path.clone()),
            target_dir: Some(dir.path().join(target)),
        };
        let built = assets::compile::build(&request, &mut |_| {}).expect("the fixture builds");
        assert!(!built.fresh, "each target directory starts cold");
        assert!(assets::compile::is_static(&built.path).unwrap(), "statically linked");
        let binary = std::fs::read(&built.path).unwrap();
        let ca = assets::image::read_ca_bundle(std::path::Path::new(assets::image::CA_BUNDLE)).unwrap();
        let image = assets::image::build(&assets::image::ImageInput {
            binary: &binary,
            ca_bundle: &ca,
            config: &entry.image,
            version: &built.version,
        })
        .unwrap();
        digests.push(image.digest().to_string());
    }
    assert_eq!(digests[0], digests[1], "two cold builds, one digest");
}

#[test]
fn a_second_publish_uploads_nothing_and_other_tools_read_the_image() {
    let Some(tool) = registry_tool("publish to a local registry") else {
        return;
    };
    let registry = LocalRegistry::start(&tool, None);
    let manifest = fixture_manifest("team/fixture");
    let options = fixture_options(&registry, None);

    let first = block_on(publish(&manifest, &options)).unwrap_or_else(|e| panic!("{e}"));
    let p = &first[0];
    assert_eq!(p.uploaded.len(), 2, "layer and config: {p:?}");
    assert!(p.tagged);
    assert_eq!(
        p.reference,
        format!("{}/team/fixture@{}", registry.server.host, p.digest)
    );
    assert_eq!(p.tag, assets::tag_for("0.3.0", &p.digest));
    assert!(p.tag.starts_with("v0.3.0-"));
    assert!(
        p.compressed_bytes < 2_000_000,
        "a std-only static binary is small: {p:?}"
    );

    let second = block_on(publish(&manifest, &options)).unwrap();
    let q = &second[0];
    assert_eq!(q.digest, p.digest);
    assert!(!q.rebuilt, "cargo found nothing to do");
    assert!(q.uploaded.is_empty(), "nothing uploaded again: {q:?}");
    assert!(!q.tagged && !q.pushed_anything());

    // What another client sees: skopeo reads the manifest and config.
    if let Some(skopeo) = tools::require(tools::skopeo(), "skopeo inspect") {
        let image = format!("docker://{}/team/fixture:{}", registry.server.host, p.tag);
        let out = std::process::Command::new(&skopeo.path)
            .args(["inspect", "--tls-verify=false", "--config", &image])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let config: Json = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(config["config"]["User"], "65532:65532");
        assert_eq!(config["config"]["Entrypoint"][0], "/usr/local/bin/asset-fixture");
        assert_eq!(config["config"]["ExposedPorts"], serde_json::json!({"8080/tcp": {}}));
        let out = std::process::Command::new(&skopeo.path)
            .args(["inspect", "--tls-verify=false", "--format", "{{.Digest}}", &image])
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), p.digest);
    }
}

/// A TCP proxy on loopback to `target` that forwards at most `budget` bytes
/// from clients, then cuts every connection: a push interrupted halfway.
fn cutting_proxy(target: String, budget: usize) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let forwarded = Arc::new(AtomicUsize::new(0));
    let count = forwarded.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { return };
            let Ok(mut server) = TcpStream::connect(&target) else {
                return;
            };
            let (mut client_r, mut server_w) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            let count = count.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 16 * 1024];
                loop {
                    let n = match client_r.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    let before = count.fetch_add(n, Ordering::SeqCst);
                    let allowed = budget.saturating_sub(before).min(n);
                    if server_w.write_all(&buf[..allowed]).is_err() || allowed < n {
                        break;
                    }
                }
                let _ = client_r.shutdown(std::net::Shutdown::Both);
                let _ = server_w.shutdown(std::net::Shutdown::Both);
            });
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut server, &mut client);
                let _ = client.shutdown(std::net::Shutdown::Both);
            });
        }
    });
    (addr, forwarded)
}

#[test]
fn a_push_cut_off_halfway_names_no_image_and_a_rerun_completes_it() {
    let Some(tool) = registry_tool("interrupted push") else {
        return;
    };
    let registry = LocalRegistry::start(&tool, None);
    let manifest = fixture_manifest("fixture");
    let direct = fixture_options(&registry, None);
    // Build first, so the cut lands in the upload, halfway through the layer.
    let layer_bytes = {
        let mut o = direct.clone();
        o.registry.as_mut().unwrap().host = "127.0.0.1:9".into();
        let _ = block_on(publish(&manifest, &o));
        let (dir, _) = fixture();
        let layer = std::fs::read(dir.path().join("target/images/Fixture_Image/layer.tar.gz")).unwrap();
        layer.len()
    };
    let (proxy, forwarded) = cutting_proxy(registry.server.host.clone(), layer_bytes / 2);
    let mut through_proxy = direct.clone();
    through_proxy.registry.as_mut().unwrap().host = proxy;
    let err = block_on(publish(&manifest, &through_proxy)).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, PublishError::Registry { .. }), "{message}");
    assert!(
        message.contains("interrupted") && message.contains("Run publish again"),
        "{message}"
    );
    assert!(forwarded.load(Ordering::SeqCst) >= layer_bytes / 2);

    // No tag names a partial image.
    let repo = Repository::new(&registry.endpoint(), "fixture", None).unwrap();
    let (dir, _) = fixture();
    let cached = std::fs::read(dir.path().join("target/images/Fixture_Image/manifest.json")).unwrap();
    let tag = assets::tag_for("0.3.0", &assets::image::sha256_digest(&cached));
    assert_eq!(
        block_on(repo.manifest_digest(&tag)).unwrap(),
        None,
        "the tag {tag} does not exist"
    );

    let done = block_on(publish(&manifest, &direct)).unwrap_or_else(|e| panic!("{e}"));
    let p = &done[0];
    assert!(p.tagged, "the rerun writes the tag: {p:?}");
    assert!(
        !p.uploaded.is_empty(),
        "the rerun uploads what the cut-off push did not"
    );
    let back = block_on(repo.get_manifest(&p.tag)).unwrap();
    assert_eq!(assets::image::sha256_digest(&back), p.digest);
}

#[test]
fn basic_auth_is_answered_and_wrong_or_missing_credentials_are_refused() {
    let Some(tool) = registry_tool("registry with basic auth") else {
        return;
    };
    let registry = LocalRegistry::start(&tool, Some(HTPASSWD));
    let manifest = fixture_manifest("fixture");
    let mut options = fixture_options(&registry, None);

    let err = block_on(publish(&manifest, &options)).unwrap_err().to_string();
    assert!(err.contains("refused") && err.contains("none were given"), "{err}");

    options.credentials = Some(creds("wrong"));
    let err = block_on(publish(&manifest, &options)).unwrap_err().to_string();
    assert!(err.contains("refused the credentials"), "{err}");

    options.credentials = Some(creds("test-password"));
    let p = block_on(publish(&manifest, &options)).unwrap_or_else(|e| panic!("{e}"));
    assert!(p[0].tagged);
}

/// A front for the registry that demands a bearer token, as Docker Hub and
/// most hosted registries do: `/token` hands one out for the right Basic
/// credentials; everything else needs it and is forwarded one request per
/// connection (`Connection: close`), so every request is checked.
fn bearer_front(registry: String) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let tokens_issued = Arc::new(AtomicUsize::new(0));
    let issued = tokens_issued.clone();
    let realm = format!("http://{addr}/token");
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { return };
            let (registry, realm, issued) = (registry.clone(), realm.clone(), issued.clone());
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if client.read(&mut byte).unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let text = String::from_utf8_lossy(&head).to_string();
                let auth = text
                    .lines()
                    .find_map(|l| {
                        l.strip_prefix("authorization: ")
                            .or_else(|| l.strip_prefix("Authorization: "))
                    })
                    .unwrap_or("")
                    .to_string();
                let reply = |client: &mut TcpStream, status: &str, extra: &str, body: &str| {
                    let _ = write!(
                        client,
                        "HTTP/1.1 {status}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                };
                if text.starts_with("GET /token?") {
                    use base64::Engine as _;
                    let expected = format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD.encode("tester:test-password")
                    );
                    if auth == expected && text.contains("scope=repository%3Afixture%3Apull%2Cpush") {
                        issued.fetch_add(1, Ordering::SeqCst);
                        reply(
                            &mut client,
                            "200 OK",
                            "Content-Type: application/json\r\n",
                            r#"{"token":"t0ken"}"#,
                        );
                    } else {
                        reply(&mut client, "401 Unauthorized", "", "bad credentials");
                    }
                    return;
                }
                if auth != "Bearer t0ken" {
                    let challenge = format!(
                        "WWW-Authenticate: Bearer realm=\"{realm}\",service=\"test-registry\",scope=\"repository:fixture:pull,push\"\r\n"
                    );
                    reply(
                        &mut client,
                        "401 Unauthorized",
                        &challenge,
                        r#"{"errors":[{"code":"UNAUTHORIZED"}]}"#,
                    );
                    return;
                }
                let Ok(mut server) = TcpStream::connect(&registry) else {
                    return;
                };
                let forwarded: String = text
                    .lines()
                    .filter(|l| !l.to_ascii_lowercase().starts_with("connection:") && !l.is_empty())
                    .map(|l| format!("{l}\r\n"))
                    .collect::<String>()
                    + "Connection: close\r\n\r\n";
                let _ = server.write_all(forwarded.as_bytes());
                let mut client_r = client.try_clone().unwrap();
                let mut server_w = server.try_clone().unwrap();
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut client_r, &mut server_w);
                });
                let _ = std::io::copy(&mut server, &mut client);
                let _ = client.shutdown(std::net::Shutdown::Both);
            });
        }
    });
    (addr, tokens_issued)
}

#[test]
fn a_bearer_challenge_is_answered_with_a_token_from_its_realm() {
    let Some(tool) = registry_tool("registry behind bearer auth") else {
        return;
    };
    let registry = LocalRegistry::start(&tool, None);
    let (front, issued) = bearer_front(registry.server.host.clone());
    let manifest = fixture_manifest("fixture");
    let mut options = fixture_options(&registry, None);
    options.registry.as_mut().unwrap().host = front;

    options.credentials = Some(creds("wrong"));
    let err = block_on(publish(&manifest, &options)).unwrap_err().to_string();
    assert!(err.contains("token service") && err.contains("401"), "{err}");

    options.credentials = Some(creds("test-password"));
    let p = block_on(publish(&manifest, &options)).unwrap_or_else(|e| panic!("{e}"));
    assert!(p[0].tagged && p[0].uploaded.len() == 2, "{:?}", p[0]);
    assert_eq!(issued.load(Ordering::SeqCst), 1, "one token serves the whole push");
}

fn cli(args: &[&str], build: impl FnOnce() -> constructs::App) -> (ExitCode, String, String) {
    let cli = Cli::try_parse_from(std::iter::once("stack").chain(args.iter().copied())).expect("arguments parse");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run_with(cli, AppSource::new(build), &mut out, &mut err);
    (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
}

fn app_with(asset: constructs::assets::ImageAsset) -> constructs::App {
    let mut app = constructs::App::new();
    app.stack("S").add("Image", asset);
    app
}

#[test]
fn the_cli_names_a_missing_crate_or_binary() {
    use constructs::assets::ImageAsset;
    let (code, out, err) = cli(&["publish", "--registry", "127.0.0.1:9/xy", "--insecure"], || {
        app_with(ImageAsset::from_crate("no-such-crate"))
    });
    assert_eq!(code, ExitCode::FAILURE);
    assert!(out.is_empty());
    assert!(
        err.contains("error: S/Image: there is no crate named `no-such-crate` in the workspace")
            && err.contains("vault-api"),
        "{err}"
    );
    let (code, _, err) = cli(&["publish", "--registry", "127.0.0.1:9/xy", "--insecure"], || {
        app_with(ImageAsset::from_crate("vault-api").binary("nope"))
    });
    assert_eq!(code, ExitCode::FAILURE);
    assert!(
        err.contains("crate `vault-api` has no binary named `nope`; its binaries are: vault-api"),
        "{err}"
    );
}

#[test]
fn the_cli_shows_cargos_error_and_pushes_nothing_when_the_build_fails() {
    let Some(tool) = registry_tool("publish of a broken crate") else {
        return;
    };
    let registry = LocalRegistry::start(&tool, None);
    let dir = tempfile::tempdir().unwrap();
    let manifest = fixture_workspace(
        dir.path(),
        "broken-fixture",
        "fn main() { let x: u32 = \"not a number\"; }\n",
    );
    let (code, out, err) = cli(
        &[
            "publish",
            "--registry",
            &format!("{}/fixture", registry.server.host),
            "--insecure",
            "--manifest-path",
            manifest.to_str().unwrap(),
        ],
        || app_with(constructs::assets::ImageAsset::from_crate("broken-fixture")),
    );
    assert_eq!(code, ExitCode::FAILURE);
    assert!(out.is_empty(), "no reference printed: {out}");
    assert!(
        err.contains("cargo could not build `broken-fixture`") && err.contains("mismatched types"),
        "{err}"
    );
    let catalog = http_get(&registry.server.host, "/v2/_catalog");
    assert!(
        catalog.ends_with(r#"{"repositories":[]}"#) || catalog.contains(r#""repositories":[]"#),
        "{catalog}"
    );
}

#[test]
fn the_cli_reports_an_unreachable_registry_and_refuses_insecure_remote_ones() {
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let (dir, manifest) = fixture();
    let _ = dir;
    let args = |registry: &str| {
        vec![
            "publish".to_string(),
            "--registry".into(),
            registry.to_string(),
            "--insecure".into(),
            "--manifest-path".into(),
            manifest.to_str().unwrap().to_string(),
        ]
    };
    let run = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        cli(&args, || {
            app_with(constructs::assets::ImageAsset::from_crate("asset-fixture"))
        })
    };
    let (code, _, err) = run(args(&format!("{closed}/fixture")));
    assert_eq!(code, ExitCode::FAILURE);
    assert!(
        err.contains(&format!("the registry http://{closed} is unreachable")),
        "{err}"
    );

    let (code, _, err) = run(args("registry.example/fixture"));
    assert_eq!(code, ExitCode::FAILURE);
    assert!(
        err.contains("--insecure") && err.contains("only for a registry on loopback"),
        "{err}"
    );
}

#[test]
fn the_cli_prints_the_reference_and_says_when_nothing_changed() {
    let Some(tool) = registry_tool("publish from the CLI") else {
        return;
    };
    let registry = LocalRegistry::start(&tool, None);
    let (_, manifest) = fixture();
    let args = [
        "publish",
        "--registry",
        &registry.server.host,
        "--insecure",
        "--manifest-path",
        manifest.to_str().unwrap(),
    ];
    let app = || {
        app_with(
            constructs::assets::ImageAsset::from_crate("asset-fixture")
                .repository("fixture-cli")
                .port(8080),
        )
    };
    let (code, out, err) = cli(&args, app);
    assert_eq!(code, ExitCode::SUCCESS, "{err}");
    let reference = out.trim();
    assert!(
        reference.starts_with(&format!("{}/fixture-cli@sha256:", registry.server.host)) && reference.len() > 64,
        "{out}"
    );
    assert!(err.contains("S/Image: tagged v0.3.0-"), "{err}");
    let (code, out2, err) = cli(&args, app);
    assert_eq!(code, ExitCode::SUCCESS, "{err}");
    assert_eq!(out2, out, "the same reference");
    assert!(
        err.contains("nothing changed") && err.contains("nothing was pushed"),
        "{err}"
    );
}

/// `GET path` on a loopback server; the whole answer as text.
fn http_get(host: &str, path: &str) -> String {
    let mut s = TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer
}

#[test]
fn the_vault_api_image_pulled_back_from_the_registry_runs_and_reports_its_version() {
    let Some(tool) = registry_tool("vault-api image end to end") else {
        return;
    };
    let registry = LocalRegistry::start(&tool, None);
    let manifest = vault_manifest();
    let options = PublishOptions {
        registry: Some(assets::RegistryOverride {
            host: registry.server.host.clone(),
            repository: None,
            insecure: true,
        }),
        ..vault_options()
    };
    let published = block_on(publish(&manifest, &options)).unwrap_or_else(|e| panic!("{e}"));
    let p = &published[0];
    assert_eq!(p.stack, "Vault");
    assert_eq!(p.cloudformation_parameter, "Image");
    assert!(p
        .reference
        .starts_with(&format!("{}/vault-api@sha256:", registry.server.host)));

    // Pull it back through the registry API.
    let repo = Repository::new(&registry.endpoint(), "vault-api", None).unwrap();
    let (image_manifest, config, layer) = block_on(async {
        let m = repo.get_manifest(&p.digest).await.unwrap();
        let m: Json = serde_json::from_slice(&m).unwrap();
        let config = repo.get_blob(m["config"]["digest"].as_str().unwrap()).await.unwrap();
        let layer = repo.get_blob(m["layers"][0]["digest"].as_str().unwrap()).await.unwrap();
        (m, config, layer)
    });
    assert_eq!(image_manifest["layers"].as_array().unwrap().len(), 1);
    let config: Json = serde_json::from_slice(&config).unwrap();
    let c = &config["config"];
    assert_eq!(c["User"], "65532:65532");
    assert_eq!(c["Entrypoint"], serde_json::json!(["/usr/local/bin/vault-api"]));
    let env: Vec<&str> = c["Env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(env.contains(&"ApplicationVersion=0.1.0"), "{env:?}");

    // Unpack the layer (as root the owners are kept: the home belongs to 65532).
    let root = tempfile::tempdir().unwrap();
    set_mode(root.path(), 0o755);
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&layer[..]));
    archive.set_preserve_permissions(true);
    archive.set_preserve_ownerships(true);
    archive.unpack(root.path()).unwrap();
    let binary = root.path().join("usr/local/bin/vault-api");
    assert!(assets::compile::is_static(&binary).unwrap());

    // Run it with the image's environment, on a free loopback port, as its user.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cmd = std::process::Command::new(&binary);
    cmd.env_clear()
        .envs(env.iter().filter_map(|e| e.split_once('=')))
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .current_dir(root.path().join("home/nonroot"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let as_root = std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false);
    if as_root {
        use std::os::unix::process::CommandExt;
        cmd.uid(65532).gid(65532);
    } else {
        tools::announce("not root: running vault-api as the current user instead of 65532");
    }
    let mut child = ChildGuard(cmd.spawn().expect("vault-api starts"));
    let host = format!("127.0.0.1:{port}");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let answer = loop {
        if TcpStream::connect(&host).is_ok() {
            break http_get(&host, "/vault");
        }
        if let Ok(Some(status)) = child.0.try_wait() {
            panic!("vault-api exited with {status}");
        }
        assert!(
            std::time::Instant::now() < deadline,
            "vault-api did not listen within 30 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""version":"0.1.0""#), "{answer}");
    if as_root {
        let status = std::fs::read_to_string(format!("/proc/{}/status", child.0.id())).unwrap();
        let uid = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
        assert!(uid.split_whitespace().skip(1).all(|u| u == "65532"), "{uid}");
    }
}

struct ChildGuard(std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}
