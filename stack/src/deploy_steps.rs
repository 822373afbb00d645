//! How `diff`, `deploy` and `destroy` order an app's stacks when it has image
//! assets.
//!
//! An image must be in its repository before a stack that runs it deploys, and
//! the repository must exist before the image is pushed. So `deploy` works in
//! three steps: the stacks that hold the images' repositories
//! ([`AssetManifest::repository_stacks`]), then publish (build and push, as the
//! `publish` command does), then every other stack, each image's reference
//! (`<registry>/<repository>@sha256:…`) passed as its stack's CloudFormation
//! parameter or Terraform variable. Every stack passes [`deploy::preflight`]
//! (account guard, lookups, blocked states) before the first step changes
//! anything; if a step fails, nothing after it runs, and the message says what
//! was deployed and what was not.
//!
//! `diff` and `destroy` publish nothing: images get [`Input::Placeholder`]s.
//! `destroy` deletes the repository stacks last, after the stacks running
//! their images.

use std::collections::BTreeMap;

use constructs::assets::{AssetManifest, ImageAssetEntry};
use constructs::{Artifact, Backend};
use deploy::{exit, Command, Console, Input, Settings};

use crate::cli::{DeployKind, PublishArgs};

/// Stack inputs, per stack then per parameter or variable name.
pub(crate) type Inputs = BTreeMap<String, BTreeMap<String, Input>>;

/// What to run.
#[derive(Debug)]
pub(crate) enum Steps {
    /// One [`deploy::run`] of these stacks, in this order, with these inputs.
    One {
        command: Command,
        stacks: Vec<Artifact>,
        placeholders: Inputs,
    },
    /// A deploy of an app with image assets.
    WithPublish(PublishPlan),
}

/// The three steps of a deploy with images.
#[derive(Debug)]
pub(crate) struct PublishPlan {
    /// The stacks holding the images' repositories, deployed first.
    pub first: Vec<Artifact>,
    /// The images of the stacks being deployed.
    pub images: AssetManifest,
    /// The other stacks, deployed with the published references.
    pub then: Vec<Artifact>,
}

/// The name of `image`'s input in `backend`'s template or module.
fn input_name(image: &ImageAssetEntry, backend: Backend) -> &str {
    match backend {
        Backend::CloudFormation => &image.cloudformation_parameter,
        Backend::Terraform => &image.terraform_variable,
    }
}

/// What `diff` and `destroy` give an image's input: a well-formed reference
/// (the CloudFormation parameter's pattern accepts it) that no publish makes.
pub(crate) fn placeholder(image: &ImageAssetEntry) -> String {
    format!("{}@sha256:{}", image.repository, "0".repeat(64))
}

/// Plans `kind` over the selected `artifacts` (both backends' files of each
/// stack, in the app's order).
pub(crate) fn plan(kind: DeployKind, artifacts: &[Artifact], manifest: &AssetManifest, backend: Backend) -> Steps {
    let selected = |stack: &str| artifacts.iter().any(|a| a.stack == stack);
    let images: Vec<ImageAssetEntry> = manifest.images.iter().filter(|e| selected(&e.stack)).cloned().collect();
    let images = AssetManifest {
        version: manifest.version,
        images,
    };
    let repository_stacks = manifest.repository_stacks();
    let holds_repository = |a: &&Artifact| repository_stacks.contains(&a.stack.as_str());
    let command = match kind {
        DeployKind::Diff => Command::Diff,
        DeployKind::Deploy => Command::Deploy,
        DeployKind::Destroy => Command::Destroy,
    };
    if command == Command::Deploy && !images.images.is_empty() {
        let (first, then): (Vec<&Artifact>, Vec<&Artifact>) = artifacts.iter().partition(holds_repository);
        return Steps::WithPublish(PublishPlan {
            first: first.into_iter().cloned().collect(),
            images,
            then: then.into_iter().cloned().collect(),
        });
    }
    let mut placeholders = Inputs::new();
    for image in &images.images {
        placeholders.entry(image.stack.clone()).or_default().insert(
            input_name(image, backend).to_string(),
            Input::Placeholder(placeholder(image)),
        );
    }
    let stacks = if command == Command::Destroy {
        // The stacks running the images go before their repositories.
        let (repositories, others): (Vec<&Artifact>, Vec<&Artifact>) = artifacts.iter().partition(holds_repository);
        others.into_iter().chain(repositories).cloned().collect()
    } else {
        artifacts.to_vec()
    };
    Steps::One {
        command,
        stacks,
        placeholders,
    }
}

/// The stacks' names of `backend`, for messages.
fn names(stacks: &[Artifact], backend: Backend) -> String {
    let names: Vec<&str> = stacks
        .iter()
        .filter(|a| a.backend == backend)
        .map(|a| a.stack.as_str())
        .collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// Runs a [`PublishPlan`]; returns the exit code.
pub(crate) fn deploy_with_publish(
    plan: &PublishPlan,
    publish: &PublishArgs,
    settings: &mut Settings,
    console: &mut Console<'_>,
) -> u8 {
    let backend = settings.backend;
    let options = match crate::publish::options(publish) {
        Ok(o) => o,
        Err(e) => {
            console.warn(&format!("error: {e}. Nothing was changed."));
            return exit::ERROR;
        }
    };
    let all: Vec<Artifact> = plan.first.iter().chain(&plan.then).cloned().collect();
    let code = deploy::preflight(Command::Deploy, &all, settings, console);
    if code != exit::OK {
        return code;
    }
    let not_deployed = names(&plan.then, backend);
    if plan.first.iter().any(|a| a.backend == backend) {
        console.say(&format!(
            "Step 1 of 3: the images' repositories ({}).",
            names(&plan.first, backend)
        ));
        let code = deploy::run(Command::Deploy, &plan.first, settings, console);
        if code != exit::OK {
            console.warn(&format!(
                "error: deploying the images' repositories failed, so nothing was published and these stacks were not deployed: {not_deployed}"
            ));
            return code;
        }
    }
    console.say(&format!(
        "Step 2 of 3: publish {} image{}.",
        plan.images.images.len(),
        if plan.images.images.len() == 1 { "" } else { "s" }
    ));
    let published = match crate::publish::publish_manifest(&plan.images, options, console.err) {
        Ok(p) => p,
        Err(e) => {
            console.warn(&format!("error: publish failed: {}", e.trim_end()));
            console.warn(&format!(
                "Nothing after publish was deployed: {not_deployed} (left as it was). Deployed before it: {}. Fix the cause and run deploy again.",
                names(&plan.first, backend)
            ));
            return exit::ERROR;
        }
    };
    for p in &published {
        console.say(&format!("Published {}: {}", p.id, p.reference));
        let name = match backend {
            Backend::CloudFormation => &p.cloudformation_parameter,
            Backend::Terraform => &p.terraform_variable,
        };
        settings
            .inputs
            .entry(p.stack.clone())
            .or_default()
            .insert(name.clone(), Input::Value(p.reference.clone()));
    }
    console.say(&format!("Step 3 of 3: the stacks running the images ({not_deployed})."));
    deploy::run(Command::Deploy, &plan.then, settings, console)
}

#[cfg(test)]
mod tests {
    use super::*;
    use constructs::prelude::*;

    /// The vault app's stacks, both backends, and its manifest.
    fn vault() -> (Vec<Artifact>, AssetManifest) {
        let app = crate::vault::app_for_environment("dev").unwrap();
        (
            constructs::synth(&app, &Backend::ALL).unwrap(),
            constructs::assets::manifest(&app).unwrap(),
        )
    }

    fn stacks(artifacts: &[Artifact]) -> Vec<&str> {
        let mut names: Vec<&str> = artifacts.iter().map(|a| a.stack.as_str()).collect();
        names.dedup();
        names
    }

    #[test]
    fn deploy_puts_the_repository_stack_first_and_publishes_the_service_image() {
        let (artifacts, manifest) = vault();
        let Steps::WithPublish(plan) = plan(DeployKind::Deploy, &artifacts, &manifest, Backend::CloudFormation) else {
            panic!("the vault deploys with publish");
        };
        assert_eq!(stacks(&plan.first), ["VaultImages"]);
        assert_eq!(stacks(&plan.then), ["Vault"]);
        assert_eq!(plan.images.images.len(), 1);
        assert_eq!(plan.images.images[0].id, "Vault/Image");
    }

    #[test]
    fn diff_and_destroy_publish_nothing_and_destroy_removes_the_repository_last() {
        let (artifacts, manifest) = vault();
        for (kind, backend, order, name) in [
            (
                DeployKind::Diff,
                Backend::CloudFormation,
                ["VaultImages", "Vault"],
                "Image",
            ),
            (
                DeployKind::Destroy,
                Backend::Terraform,
                ["Vault", "VaultImages"],
                "image",
            ),
        ] {
            let Steps::One {
                stacks: ordered,
                placeholders,
                ..
            } = plan(kind, &artifacts, &manifest, backend)
            else {
                panic!("{kind:?} does not publish");
            };
            assert_eq!(stacks(&ordered), order, "{kind:?}");
            let expected = format!("vault-api@sha256:{}", "0".repeat(64));
            assert_eq!(placeholders["Vault"][name], Input::Placeholder(expected));
        }
    }

    #[test]
    fn a_deploy_of_stacks_without_images_publishes_nothing() {
        let (artifacts, manifest) = vault();
        let only_images: Vec<Artifact> = artifacts.into_iter().filter(|a| a.stack == "VaultImages").collect();
        let Steps::One {
            stacks: s,
            placeholders,
            ..
        } = plan(DeployKind::Deploy, &only_images, &manifest, Backend::CloudFormation)
        else {
            panic!("no image to publish");
        };
        assert_eq!(stacks(&s), ["VaultImages"]);
        assert!(placeholders.is_empty());
        // An app without assets is unchanged too.
        let mut app = App::new();
        app.stack("Logs").add("AppLogs", LogGroup::new("/my/app"));
        let artifacts = constructs::synth(&app, &Backend::ALL).unwrap();
        let manifest = constructs::assets::manifest(&app).unwrap();
        assert!(matches!(
            plan(DeployKind::Deploy, &artifacts, &manifest, Backend::Terraform),
            Steps::One { .. }
        ));
    }
}
