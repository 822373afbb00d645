//! Synthesis: prepare → validate → check → render, for every stack at once.
//!
//! 1. *Prepare*: every resource renders its blocks for the backends asked for
//!    (as backend-neutral expressions), ids are derived from paths, and the
//!    dependencies and tags of composites are passed down to their resources.
//! 2. *Validate*: construct rules, id collisions, references that leave the stack
//!    or the app, stack-wide uniqueness (listener priorities), overrides against
//!    the resource schemas, constructs that cannot render for a backend asked for.
//!    Every problem in every stack is collected; if there is any, nothing renders.
//! 3. *Check*: the security checks ([`crate::checks`]) and the app's own rule
//!    packs; an unsuppressed error finding fails synthesis like a problem does
//!    (unless the caller runs the checks itself, see [`Checks`]).
//! 4. *Render*: expressions become JSON per backend; text is pretty-printed with a
//!    trailing newline, so equal models give byte-identical output.
//!
//! The library does no I/O: [`synth`] returns the files' contents and the caller
//! writes them (see the `stack` crate's runner).

pub mod cloudformation;
mod json_text;
pub(crate) mod overrides;
mod prepare;
pub mod terraform;

use crate::expr::{FxIndexSet, Target};
use crate::problem::{Problem, SynthError};
use crate::resource::{CfnBlock, TfBlock};
use crate::tags::Tags;
use crate::tree::{App, Backend, NodeRef, Stack};

pub(crate) use prepare::suppressions_for;

/// CloudFormation service quotas checked before anything is written.
pub mod limits {
    pub const MAX_RESOURCES: usize = 500;
    pub const MAX_PARAMETERS: usize = 200;
    pub const MAX_OUTPUTS: usize = 200;
    /// Largest template CloudFormation accepts (uploaded through S3).
    pub const MAX_TEMPLATE_BYTES: usize = 1_000_000;
    pub const MAX_LOGICAL_ID: usize = 255;
}

/// One synthesized file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    pub stack: String,
    pub backend: Backend,
    /// Path relative to the output directory, with `/` separators:
    /// `cloudformation/<Stack>.template.json` or `terraform/<Stack>/main.tf.json`.
    pub relative_path: String,
    /// The file's full text: pretty-printed JSON and a trailing newline.
    pub text: String,
    /// Resources in the file (CloudFormation `Resources`, Terraform `resource` blocks).
    pub resource_count: usize,
    /// The account and region the stack is meant for ([`Stack::set_account`],
    /// [`Stack::set_region`]), for `deploy`'s guard.
    pub account: Option<String>,
    pub region: Option<String>,
    /// CloudFormation parameters `deploy` must resolve through the AWS APIs
    /// (lookups by name or tag), in an order where each one's inputs come
    /// first. A lookup that only another lookup needs is listed although the
    /// template has no parameter for it: resolve it, do not pass it.
    /// Empty for Terraform, whose data sources resolve themselves.
    pub lookups: Vec<crate::lookup::ParameterLookup>,
    /// Files that go with this one, e.g. `terraform/<Stack>/.checkov.baseline`
    /// (checkov's skips for a Terraform module; see `docs/checks.md`).
    pub extra_files: Vec<ExtraFile>,
}

/// A file written beside an [`Artifact`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtraFile {
    /// Path relative to the output directory, with `/` separators.
    pub relative_path: String,
    pub text: String,
}

/// A rendered document.
pub(crate) struct Rendered {
    /// The file's text, without the trailing newline.
    pub text: String,
    /// Logical ids of the CloudFormation parameters / names of the Terraform variables.
    pub parameter_ids: Vec<String>,
    /// A checkov baseline of the Terraform module's suppressed checks, if any.
    pub checkov_baseline: Option<String>,
    pub resource_count: usize,
    pub parameter_count: usize,
    pub output_count: usize,
}

/// A stack with its blocks rendered and its ids derived.
pub(crate) struct Prepared<'a> {
    pub stack: &'a Stack,
    /// Per construct: its dependencies, with those of enclosing composites and
    /// dependencies on composites expanded to their resources.
    pub deps: Vec<Vec<NodeRef>>,
    /// Per construct: its tags, layered over those of enclosing composites (not the stack's).
    pub tags: Vec<Tags>,
    /// Per construct: the blocks it rendered (properties moved into the entries once finalized).
    pub cfn_blocks: Vec<Vec<CfnBlock>>,
    pub tf_blocks: Vec<Vec<TfBlock>>,
    /// Per construct: its final template entries and Terraform blocks.
    pub cfn_entries: Vec<Vec<cloudformation::Entry>>,
    pub tf_entries: Vec<Vec<terraform::Entry>>,
    /// Per construct: addresses of its blocks that whatever refers to it must wait for.
    pub tf_awaited: Vec<Vec<String>>,
    /// Per construct: the constructs its final entries refer to, per backend,
    /// and the environment values its Terraform blocks need.
    pub cfn_refs: Vec<Vec<NodeRef>>,
    pub tf_refs: Vec<Vec<NodeRef>>,
    pub tf_pseudo: Vec<Vec<crate::expr::Pseudo>>,
    pub cfn_base: Vec<String>,
    pub tf_base: Vec<String>,
    pub cfn_addr: cloudformation::CfnAddresses,
    pub tf_addr: terraform::TfAddresses,
    /// Constructs rendered only when referenced.
    pub lookups: FxIndexSet<NodeRef>,
}

impl Prepared<'_> {
    pub fn node_ref(&self, i: usize) -> NodeRef {
        self.stack.node_ref(i)
    }

    /// Whether the construct renders to a CloudFormation parameter (lookups, inputs).
    pub fn is_cfn_parameter(&self, r: NodeRef) -> bool {
        matches!(
            self.cfn_blocks.get(r.index as usize).and_then(|b| b.first()),
            Some(CfnBlock::Parameter(_))
        )
    }
}

/// Whether synthesis runs the security checks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Checks {
    /// Error findings fail synthesis (unless the app declared its findings
    /// advisory, [`App::set_checks_advisory`]); warnings do not.
    #[default]
    Enforce,
    /// Warning findings fail synthesis too.
    Strict,
    /// The caller runs [`crate::checks::check`] itself (the CLI does, to print
    /// the full report), or renders on purpose without them (unit tests of rendering).
    Skip,
}

/// How to synthesize: which backends, and whether the checks gate the output.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SynthOptions {
    /// The backends to render; empty means validate (and check) only, against
    /// the backends the app targets ([`App::backends`]).
    pub backends: Vec<Backend>,
    pub checks: Checks,
}

/// Validates the whole app, runs the security checks, and renders every stack
/// for each backend asked for. Either every file is returned or none, with
/// every problem found (an unsuppressed error finding of the checks is one).
pub fn synth(app: &App, backends: &[Backend]) -> Result<Vec<Artifact>, SynthError> {
    synth_with(
        app,
        &SynthOptions {
            backends: backends.to_vec(),
            checks: Checks::Enforce,
        },
    )
}

/// [`synth`] with explicit options.
pub fn synth_with(app: &App, options: &SynthOptions) -> Result<Vec<Artifact>, SynthError> {
    let mut artifacts = Vec::new();
    synth_to(app, options, &mut |a| artifacts.push(a))?;
    Ok(artifacts)
}

/// Like [`synth_with`], handing each file to `sink` as soon as it is
/// rendered instead of holding every file's text until the end, so peak
/// memory follows one stack rather than the whole output. The files handed
/// over are only valid if the call returns `Ok`: a problem in a later stack
/// makes the whole synthesis fail, so a caller writing files stages them and
/// moves them into place only then (the `stack` runner does).
///
/// Stacks are independent, so they are prepared and rendered on up to as
/// many threads as the machine has cores; files reach the sink in stack
/// order, so output does not depend on scheduling.
pub fn synth_to(app: &App, options: &SynthOptions, sink: &mut dyn FnMut(Artifact)) -> Result<(), SynthError> {
    let mut problems: Vec<Problem> = app.problems().to_vec();
    if let Some(declared) = app.declared_backends() {
        for b in options.backends.iter().filter(|b| !declared.contains(b)) {
            problems.push(Problem::new(
                "App",
                "backend-not-targeted",
                format!(
                    "the app declares it targets {} only (App::set_backends); it cannot be synthesized for {}",
                    declared.iter().map(|b| b.name()).collect::<Vec<_>>().join(" and "),
                    b.name()
                ),
            ));
        }
    }
    // Problems only visible across stacks: where image assets' repositories live.
    problems.extend(crate::assets::check_app(app));
    let wanted: Vec<Backend> = if options.backends.is_empty() {
        app.backends()
    } else {
        options.backends.clone()
    };
    // The checks look at the model, not at rendered blocks, so they run
    // first; their findings are reported after the validation problems.
    let mut findings = Vec::new();
    if options.checks != Checks::Skip {
        let strict = options.checks == Checks::Strict;
        let report = crate::checks::check(app);
        if report.fails(strict) && app.checks_advisory().is_none() {
            for f in report
                .findings
                .iter()
                .filter(|f| strict || f.severity() == crate::checks::Severity::Error)
            {
                findings.push(Problem::new(
                    &f.path,
                    f.rule.id,
                    format!(
                        "{} (a {} of the security checks: fix it, or suppress it with a reason)",
                        f.message,
                        f.severity()
                    ),
                ));
            }
        }
    }
    // Each stack is validated on its own; it is rendered when it has no
    // problem and nothing found so far (app-wide problems, findings) stops
    // the synthesis. Its working set is dropped before the next stack.
    // Stacks render even after another stack has failed (no file is returned
    // then): some problems, such as CloudFormation's template size limit, are
    // only found by rendering, and every problem is reported in one run.
    let render_wanted = problems.is_empty() && findings.is_empty() && !options.backends.is_empty();
    let stacks = app.stacks();
    let work = |i: usize| -> (Vec<Problem>, Vec<Artifact>) {
        let mut problems = Vec::new();
        let mut artifacts = Vec::new();
        let p = prepare::prepare(app, &stacks[i], &wanted, &mut problems);
        if render_wanted && problems.is_empty() {
            render(&p, &options.backends, &mut artifacts, &mut problems);
        }
        (problems, artifacts)
    };
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(stacks.len());
    let mut failed = !problems.is_empty() || !findings.is_empty();
    if threads <= 1 {
        for i in 0..stacks.len() {
            let (stack_problems, artifacts) = work(i);
            failed |= !stack_problems.is_empty();
            problems.extend(stack_problems);
            if !failed {
                artifacts.into_iter().for_each(&mut *sink);
            }
        }
    } else {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::mpsc;
        let next = AtomicUsize::new(0);
        let (tx, rx) = mpsc::channel::<(usize, Vec<Problem>, Vec<Artifact>)>();
        std::thread::scope(|scope| {
            for _ in 0..threads {
                let tx = tx.clone();
                let (next, work) = (&next, &work);
                scope.spawn(move || loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= stacks.len() {
                        break;
                    }
                    let (stack_problems, artifacts) = work(i);
                    if tx.send((i, stack_problems, artifacts)).is_err() {
                        break;
                    }
                });
            }
            drop(tx);
            // Results arrive in any order; they are passed on in stack order.
            let mut pending: std::collections::BTreeMap<usize, (Vec<Problem>, Vec<Artifact>)> = Default::default();
            let mut expected = 0;
            for (i, stack_problems, artifacts) in rx {
                pending.insert(i, (stack_problems, artifacts));
                while let Some((stack_problems, artifacts)) = pending.remove(&expected) {
                    failed |= !stack_problems.is_empty();
                    problems.extend(stack_problems);
                    if !failed {
                        artifacts.into_iter().for_each(&mut *sink);
                    }
                    expected += 1;
                }
            }
        });
    }
    problems.extend(findings);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(SynthError { problems })
    }
}

fn render(p: &Prepared<'_>, backends: &[Backend], artifacts: &mut Vec<Artifact>, problems: &mut Vec<Problem>) {
    for &backend in backends {
        let mut rendered = match backend {
            Backend::CloudFormation => cloudformation::template(p),
            Backend::Terraform => terraform::module(p),
        };
        let mut text = std::mem::take(&mut rendered.text);
        text.push('\n');
        if backend == Backend::CloudFormation {
            check_cfn_limits(p.stack.name(), &rendered, text.len(), problems);
        }
        let lookups = match backend {
            Backend::CloudFormation => parameter_lookups(p, &rendered.parameter_ids, problems),
            Backend::Terraform => Vec::new(),
        };
        let name = p.stack.name();
        let extra_files = rendered
            .checkov_baseline
            .take()
            .map(|text| ExtraFile {
                relative_path: format!("terraform/{name}/.checkov.baseline"),
                text,
            })
            .into_iter()
            .collect();
        let relative_path = match backend {
            Backend::CloudFormation => format!("cloudformation/{name}.template.json"),
            Backend::Terraform => format!("terraform/{name}/main.tf.json"),
        };
        artifacts.push(Artifact {
            stack: name.to_string(),
            backend,
            relative_path,
            text,
            resource_count: rendered.resource_count,
            account: p.stack.account().map(str::to_string),
            region: p.stack.region().map(str::to_string),
            lookups,
            extra_files,
        });
    }
}

/// The lookups behind the template's parameters, with inputs that refer to
/// other lookups by logical id. A lookup only another lookup needs (a load
/// balancer whose listener is looked up by port) is listed too, although the
/// template has no parameter for it. Constructs are added before whatever
/// refers to them, so construct order is an order where each lookup's inputs
/// come first.
fn parameter_lookups(
    p: &Prepared<'_>,
    emitted: &[String],
    problems: &mut Vec<Problem>,
) -> Vec<crate::lookup::ParameterLookup> {
    use crate::expr::Expr;
    use crate::lookup::{LookupInput, LookupQuery, ParameterLookup};
    let query_of = |i: usize| -> Option<&LookupQuery<Expr>> {
        p.cfn_blocks[i].iter().find_map(|b| match b {
            CfnBlock::Parameter(param) => param.lookup.as_ref(),
            CfnBlock::Resource(_) => None,
        })
    };
    // Lookups the template needs, then everything their inputs need.
    let mut needed: Vec<bool> = (0..p.cfn_blocks.len())
        .map(|i| query_of(i).is_some() && emitted.contains(&p.cfn_base[i]))
        .collect();
    for i in (0..needed.len()).rev() {
        if !needed[i] {
            continue;
        }
        let Some(query) = query_of(i) else { continue };
        for input in query.inputs() {
            input.visit_targets(&mut |t| {
                if let Target::Node(n, _) = t {
                    if let Some(flag) = needed.get_mut(n.index as usize) {
                        *flag |= query_of(n.index as usize).is_some();
                    }
                }
            });
        }
    }
    let mut out = Vec::new();
    for (i, _) in needed.iter().enumerate().filter(|(_, n)| **n) {
        let Some(query) = query_of(i) else { continue };
        let input = |e: Expr| match e {
            Expr::Str(s) => Ok(LookupInput::Literal(s)),
            Expr::Ref(Target::Node(n, _)) if query_of(n.index as usize).is_some() || p.is_cfn_parameter(n) => p
                .cfn_addr
                .get(&n)
                .map(|id| LookupInput::Parameter(id.clone()))
                .ok_or(()),
            _ => Err(()),
        };
        match query.clone().try_map(input) {
            Ok(query) => out.push(ParameterLookup {
                parameter: p.cfn_addr.get(&p.node_ref(i)).cloned().unwrap_or_default(),
                query,
            }),
            Err(()) => problems.push(Problem::new(
                &p.stack.nodes[i].path,
                "lookup-input",
                "a lookup's input must be a literal or another lookup, so deploy can resolve it",
            )),
        }
    }
    out
}

/// Every problem [`synth`] would report for the backends the app targets,
/// without running the security checks (the output is rendered, to check the
/// CloudFormation size limits, and dropped).
pub fn validate(app: &App) -> Vec<Problem> {
    let options = SynthOptions {
        backends: app.backends(),
        checks: Checks::Skip,
    };
    // Rendered (some limits are only checked on the text) but not kept:
    // each file is dropped as soon as it is made.
    match synth_to(app, &options, &mut |_| {}) {
        Ok(()) => Vec::new(),
        Err(e) => e.problems,
    }
}

fn check_cfn_limits(stack: &str, r: &Rendered, bytes: usize, problems: &mut Vec<Problem>) {
    let checks = [
        (
            "resources",
            r.resource_count,
            limits::MAX_RESOURCES,
            "cfn-resource-limit",
        ),
        (
            "parameters",
            r.parameter_count,
            limits::MAX_PARAMETERS,
            "cfn-parameter-limit",
        ),
        ("outputs", r.output_count, limits::MAX_OUTPUTS, "cfn-output-limit"),
        (
            "bytes of template",
            bytes,
            limits::MAX_TEMPLATE_BYTES,
            "cfn-template-size",
        ),
    ];
    for (what, n, max, rule) in checks {
        if n > max {
            problems.push(Problem::new(
                stack,
                rule,
                format!("the CloudFormation template has {n} {what}; the limit is {max}. Split the stack"),
            ));
        }
    }
}
