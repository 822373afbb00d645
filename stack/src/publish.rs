//! `publish`: builds and pushes the app's image assets (see the `assets` crate),
//! printing progress to stderr and one image reference per line to stdout.
//!
//! `deploy` reuses the pieces: [`options`] turns the command-line flags into
//! [`PublishOptions`], and [`publish_manifest`] builds and pushes, printing
//! each [`Progress`] event as a line ([`describe`]) and closing with
//! [`summary`].

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use assets::{AssetManifest, Credentials, Progress, PublishOptions, PublishedImage, RegistryOverride};
use constructs::App;

use crate::cli::PublishArgs;

/// Where `--registry` credentials come from.
pub const USERNAME_VAR: &str = "REGISTRY_USERNAME";
pub const PASSWORD_VAR: &str = "REGISTRY_PASSWORD";

/// Validates the app, then builds and pushes every image asset with
/// `options` (see [`options`]).
pub fn run(app: &App, options: Result<PublishOptions, String>, out: &mut dyn Write, err: &mut dyn Write) -> ExitCode {
    match options.and_then(|o| publish(app, o, out, err)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            let _ = writeln!(err, "error: {}", message.trim_end());
            ExitCode::FAILURE
        }
    }
}

fn publish(app: &App, options: PublishOptions, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), String> {
    // The same validation and checks as `synth`, for the backends the app
    // targets (an app declared for one backend is not an error here).
    constructs::synth_with(
        app,
        &constructs::SynthOptions {
            backends: app.backends(),
            checks: constructs::Checks::Enforce,
        },
    )
    .map_err(|e| e.to_string())?;
    let manifest = constructs::assets::manifest(app).map_err(|e| e.to_string())?;
    if manifest.images.is_empty() {
        let _ = writeln!(err, "this app declares no image assets; nothing to publish");
        return Ok(());
    }
    for p in &publish_manifest(&manifest, options, err)? {
        let _ = writeln!(out, "{}", p.reference);
    }
    Ok(())
}

/// Builds and pushes every image of `manifest`, printing progress lines and
/// the closing [`summary`] to `err`; the images in manifest order.
pub fn publish_manifest(
    manifest: &AssetManifest,
    mut options: PublishOptions,
    err: &mut dyn Write,
) -> Result<Vec<PublishedImage>, String> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    options.progress = Some(Arc::new(move |p: &Progress| {
        if let Some(line) = describe(p) {
            let _ = tx.send(line);
        }
    }));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let result = runtime.block_on(async {
        let publishing = assets::publish(manifest, &options);
        tokio::pin!(publishing);
        loop {
            tokio::select! {
                Some(line) = rx.recv() => {
                    let _ = writeln!(err, "{line}");
                }
                result = &mut publishing => {
                    while let Ok(line) = rx.try_recv() {
                        let _ = writeln!(err, "{line}");
                    }
                    break result;
                }
            }
        }
    });
    let published = result.map_err(|e| e.to_string())?;
    let _ = writeln!(err, "{}", summary(&published));
    Ok(published)
}

/// [`PublishOptions`] from `publish`'s flags (`--registry`, `--insecure`,
/// `--manifest-path`, `--cargo-profile`) and
/// `REGISTRY_USERNAME`/`REGISTRY_PASSWORD`; refuses `--insecure` to anything
/// but loopback. No progress callback is set.
pub fn options(args: &PublishArgs) -> Result<PublishOptions, String> {
    let registry = match args.registry.as_deref() {
        Some(text) => {
            let mut r: RegistryOverride = text.parse().map_err(|e| format!("--registry {e}"))?;
            r.insecure = args.insecure;
            Some(r)
        }
        None => None,
    };
    if let Some(r) = &registry {
        if r.insecure && !is_loopback(&r.host) {
            return Err(format!(
                "--insecure sends images (and credentials) unencrypted, so it is only for a registry on loopback (127.0.0.1, localhost, [::1]), not {}",
                r.host
            ));
        }
    }
    // ECR's credentials come from AWS; the variables only serve --registry.
    let credentials = if registry.is_some() {
        registry_credentials()?
    } else {
        None
    };
    let defaults = PublishOptions::default();
    Ok(PublishOptions {
        registry,
        credentials,
        manifest_path: args.manifest_path.clone(),
        profile: args.cargo_profile.clone().unwrap_or_else(|| defaults.profile.clone()),
        ..defaults
    })
}

/// `--registry` credentials from the environment: both variables or neither.
fn registry_credentials() -> Result<Option<Credentials>, String> {
    let get = |name| std::env::var(name).ok().filter(|v| !v.is_empty());
    match (get(USERNAME_VAR), get(PASSWORD_VAR)) {
        (Some(username), Some(password)) => Ok(Some(Credentials { username, password })),
        (None, None) => Ok(None),
        (Some(_), None) => Err(format!(
            "{USERNAME_VAR} is set but {PASSWORD_VAR} is not; set both or neither"
        )),
        (None, Some(_)) => Err(format!(
            "{PASSWORD_VAR} is set but {USERNAME_VAR} is not; set both or neither"
        )),
    }
}

fn is_loopback(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    name == "localhost" || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

fn short(digest: &str) -> &str {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    &hex[..hex.len().min(12)]
}

/// One progress line, or none for events not worth a line.
pub fn describe(p: &Progress) -> Option<String> {
    Some(match p {
        Progress::Building {
            id,
            crate_name,
            binary,
            profile,
        } => format!(
            "{id}: building {crate_name} (binary {binary}), {profile}, static for {}",
            assets::compile::TARGET
        ),
        Progress::Cargo { line } => line.clone(),
        Progress::Built { id, fresh, seconds } => {
            if *fresh {
                format!("{id}: binary up to date ({seconds:.1} s)")
            } else {
                format!("{id}: binary built in {seconds:.1} s")
            }
        }
        Progress::Image {
            id,
            digest,
            compressed_bytes,
            cached,
        } => format!(
            "{id}: image {} ({} compressed){}",
            short(digest),
            megabytes(*compressed_bytes),
            if *cached { ", same binary as last time" } else { "" }
        ),
        Progress::Blob {
            id,
            digest,
            bytes,
            uploaded,
        } => {
            if *uploaded {
                format!("{id}: uploaded {} ({})", short(digest), megabytes(*bytes))
            } else {
                format!("{id}: {} already in the registry", short(digest))
            }
        }
        Progress::Tagged { id, tag, put, .. } => {
            if *put {
                format!("{id}: tagged {tag}")
            } else {
                format!("{id}: {tag} already names this image")
            }
        }
    })
}

/// The closing line: what changed, or that nothing did.
pub fn summary(published: &[PublishedImage]) -> String {
    let rebuilt = published.iter().filter(|p| p.rebuilt).count();
    let pushed: Vec<&PublishedImage> = published.iter().filter(|p| p.pushed_anything()).collect();
    if rebuilt == 0 && pushed.is_empty() {
        return format!(
            "nothing changed: {} image{} up to date and already in the registry; nothing was pushed",
            published.len(),
            if published.len() == 1 { " is" } else { "s are" }
        );
    }
    let bytes: u64 = published.iter().map(|p| p.uploaded_bytes).sum();
    format!(
        "published {} image{}: {} rebuilt, {} pushed ({} uploaded)",
        published.len(),
        if published.len() == 1 { "" } else { "s" },
        rebuilt,
        pushed.len(),
        megabytes(bytes)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insecure_is_for_loopback_hosts_only() {
        for host in ["127.0.0.1:5000", "localhost:5000", "[::1]:5000", "127.0.0.1"] {
            assert!(is_loopback(host), "{host}");
        }
        for host in ["registry.example:5000", "10.0.0.1:5000", "[2001:db8::1]:5000"] {
            assert!(!is_loopback(host), "{host}");
        }
    }
}
