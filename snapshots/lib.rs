//! Snapshots of every synthesized template live beside this file, one per app,
//! stack and backend (`<app>__<Stack>__<backend>.snap`); the tests are in
//! `tests/templates.rs`. Review a change with `cargo insta review`.
