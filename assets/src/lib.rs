//! Image assets, built and pushed without Docker.
//!
//! An app declares images with [`constructs::assets::ImageAsset`]; synthesis
//! describes them in an [`AssetManifest`] (written as `out/assets.json`).
//! [`publish`] builds each one and pushes it:
//!
//! 1. [`compile`]: `cargo build --release` of the workspace binary for
//!    `x86_64-unknown-linux-gnu`, statically linked (`+crt-static`), so the
//!    image needs no libc, no loader and no base image;
//! 2. [`image`]: one reproducible layer (the binary, the CA bundle, a
//!    non-root user, `/tmp`), an OCI config and an OCI manifest; the same
//!    binary always gives the same digest;
//! 3. [`registry`]: the OCI distribution API (blobs first, tag last; what is
//!    already there is not uploaded again), with [`ecr`] for credentials and
//!    the manifest when the registry is Amazon ECR.
//!
//! `deploy` calls [`publish`] after deploying the stacks that create the
//! repositories and before the stacks that run the images, and passes each
//! [`PublishedImage::reference`] to its stack's input; see [`publish`] for the
//! contract.

pub mod compile;
pub mod ecr;
pub mod image;
mod publish;
pub mod registry;

pub use constructs::assets::{AssetManifest, ImageAssetEntry};
pub use publish::{
    publish, tag_for, Progress, ProgressFn, PublishError, PublishOptions, PublishedImage, RegistryOverride,
};
pub use registry::Credentials;

/// The AWS crates `publish` uses, for callers that build an [`aws_config::SdkConfig`].
pub use {aws_config, aws_sdk_ecr};
