//! The front door: the command-line runner any app can use, and the vault stack.

pub mod cli;
pub mod tools;
pub mod vault;
pub mod write;
