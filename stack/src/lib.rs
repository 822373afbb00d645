//! The front door: the command-line runner any app can use, and the vault stack.

/// Synthesis allocates millions of small values at scale; mimalloc is
/// markedly faster than the system allocator for that (README, Benchmarks).
/// A library may declare the allocator of the binaries that link it; turn the
/// `fast-alloc` feature off if yours declares its own.
#[cfg(feature = "fast-alloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod cli;
#[cfg(feature = "deploy")]
mod deploy_steps;
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

/// The guide to writing constructs, compiled the same way.
#[doc = include_str!("../../docs/extending.md")]
#[cfg(doctest)]
pub struct ExtendingDoctests;
