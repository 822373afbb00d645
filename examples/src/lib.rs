//! Example apps. Each module's `app()` builds an app; each has a binary in
//! `src/bin/` with the standard subcommands (`synth`, `check`, `list`, and
//! `diff`, `deploy`, `destroy`: the examples turn on the runner's deploy feature).

use constructs::App;

pub mod blog;
pub mod minimal;
pub mod scale;
pub mod storage;
pub mod suppressions;

/// A function building an app.
pub type AppBuilder = fn() -> App;

/// Every app the project ships (the vault stack and each example), by name, for
/// tests that must cover all of them: snapshots, cfn-lint, terraform validate.
pub fn all_apps() -> Vec<(&'static str, AppBuilder)> {
    vec![
        ("vault-dev", vault_dev as AppBuilder),
        ("vault-prod", vault_prod),
        ("blog", blog::app),
        ("minimal", minimal::app),
        ("storage", storage::app),
        ("suppressions", suppressions::app),
        ("orders", orders::app),
    ]
}

/// The vault stack for each environment file shipped in `stack/environments/`.
fn vault_dev() -> App {
    vault("dev")
}

fn vault_prod() -> App {
    vault("prod")
}

fn vault(env: &str) -> App {
    stack::vault::app_for_environment(env).unwrap_or_else(|e| panic!("environment {env} does not load: {e:?}"))
}
