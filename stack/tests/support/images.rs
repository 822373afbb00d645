//! Shared by the image tests: a local registry, a tiny fixture crate, and
//! the vault-api image built once per test run.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use assets::{Progress, PublishOptions};
use stack::tools::{self, RegistryServer, Tool};

/// The cargo profile the tests build vault-api with: unoptimised, static (see
/// the workspace Cargo.toml). `publish` itself uses `release`.
pub const TEST_PROFILE: &str = "image-test";

/// `docker-registry`, provisioned (apt-get) if missing; `None` skips outside CI.
pub fn registry_tool(check: &str) -> Option<Tool> {
    tools::require(tools::docker_registry(), check)
}

/// A registry in its own temporary directory.
pub struct LocalRegistry {
    pub server: RegistryServer,
    pub dir: tempfile::TempDir,
}

impl LocalRegistry {
    pub fn start(tool: &Tool, htpasswd: Option<&str>) -> LocalRegistry {
        let dir = tempfile::tempdir().unwrap();
        let server = RegistryServer::start(tool, dir.path(), htpasswd).expect("docker-registry starts");
        LocalRegistry { server, dir }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.server.host)
    }
}

/// Prints progress past the test harness's capture, so a CI log shows the builds.
pub fn announce_progress() -> assets::ProgressFn {
    Arc::new(|p: &Progress| {
        if let Some(line) = stack::publish::describe(p) {
            tools::announce(&line);
        }
    })
}

/// A workspace with one std-only binary crate `name` (with
/// [`FIXTURE_MAIN`]: an HTTP server on 127.0.0.1:$PORT answering every
/// request with `fixture <GREETING>`). Its static build takes seconds.
///
/// Two workspaces sharing a target directory must not hold crates of the same
/// name: cargo keys a workspace member's build by its path relative to the
/// workspace, so they would overwrite each other's fingerprints.
pub fn fixture_workspace(dir: &Path, name: &str, main_rs: &str) -> PathBuf {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!("[package]\nname = \"{name}\"\nversion = \"0.3.0\"\nedition = \"2021\"\n\n[workspace]\n"),
    )
    .unwrap();
    std::fs::write(dir.join("src/main.rs"), main_rs).unwrap();
    dir.join("Cargo.toml")
}

pub const FIXTURE_MAIN: &str = r#"use std::io::{Read, Write};
fn main() {
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(8080);
    let greeting = std::env::var("GREETING").unwrap_or_default();
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("bind");
    for stream in listener.incoming() {
        let mut stream = stream.expect("accept");
        let mut buf = [0u8; 1024];
        let _ = stream.read(&mut buf);
        let body = format!("fixture {greeting}");
        let _ = write!(stream, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
    }
}
"#;

/// The fixture's manifest: one image asset of `asset-fixture`.
pub fn fixture_manifest(repository: &str) -> assets::AssetManifest {
    use constructs::prelude::*;
    let mut app = App::new();
    app.stack("Fixture")
        .set_account("123456789012")
        .set_region("eu-west-2")
        .add(
            "Image",
            ImageAsset::from_crate("asset-fixture")
                .repository(repository)
                .port(8080)
                .env("GREETING", "hello"),
        );
    constructs::assets::manifest(&app).unwrap()
}

/// A built fixture workspace shared by the tests of one test binary: its
/// manifest path and its own target directory.
pub fn fixture() -> &'static (tempfile::TempDir, PathBuf) {
    static FIXTURE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let manifest = fixture_workspace(dir.path(), "asset-fixture", FIXTURE_MAIN);
        (dir, manifest)
    })
}

/// Options publishing the fixture to a local registry.
pub fn fixture_options(registry: &LocalRegistry, repository: Option<&str>) -> PublishOptions {
    let (dir, manifest) = fixture();
    PublishOptions {
        registry: Some(assets::RegistryOverride {
            host: registry.server.host.clone(),
            repository: repository.map(str::to_string),
            insecure: true,
        }),
        manifest_path: Some(manifest.clone()),
        target_dir: Some(dir.path().join("target")),
        progress: Some(announce_progress()),
        ..PublishOptions::default()
    }
}

/// The vault app's manifest (the `dev` environment).
pub fn vault_manifest() -> assets::AssetManifest {
    constructs::assets::manifest(&stack::vault::app_for_environment("dev").unwrap()).unwrap()
}

/// Options that build vault-api with [`TEST_PROFILE`] in the workspace's
/// own target directory, so every test (and test binary) after the first
/// finds the binary and its image already built.
pub fn vault_options() -> PublishOptions {
    PublishOptions {
        profile: TEST_PROFILE.into(),
        progress: Some(announce_progress()),
        ..PublishOptions::default()
    }
}

/// Runs a future on a fresh runtime.
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}
