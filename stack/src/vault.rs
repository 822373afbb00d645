//! The vault stack (being assembled).

use constructs::prelude::*;

pub fn app() -> App {
    let mut app = App::new();
    app.stack("Vault")
        .add("Logs", LogGroup::new("/ecs/vault-api"));
    app
}
