//! The front door: the command-line runner any app can use, and the vault stack.

pub mod cli;
pub mod environment;
#[cfg(feature = "publish")]
pub mod publish;
pub mod report;
pub mod tools;
pub mod vault;
pub mod write;

/// Compiles the README's Rust examples as doctests, so they cannot rot.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
