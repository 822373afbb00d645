//! Example apps. Each module's `app()` builds an app; each has a binary in
//! `src/bin/` with the standard subcommands (`synth`, `list`).

use constructs::App;

pub mod blog;
pub mod minimal;

/// Every app the project ships (the vault stack and each example), by name, for
/// tests that must cover all of them: snapshots, cfn-lint, terraform validate.
pub fn all_apps() -> Vec<(&'static str, fn() -> App)> {
    vec![
        ("vault", stack::vault::app as fn() -> App),
        ("blog", blog::app),
        ("minimal", minimal::app),
    ]
}
