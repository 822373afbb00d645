//! The CloudFormation driver: change sets, the staging bucket for large
//! templates, stack events as live progress, outputs, and destroy.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_cloudformation::types::{Capability, ChangeSetType, Parameter, TemplateStage};
use serde_json::Value as Json;

use crate::approval;
use crate::aws::{sdk_error, Aws};
use crate::diff::cloudformation::ChangeSetChange;
use crate::diff::{self, render::render, StackDiff};
use crate::lookups::{self, PlannedRule};
use crate::outputs;
use crate::progress::{Event, EventCursor, Progress};
use crate::{Artifact, Command, Console, Error, Input, Settings};

/// Templates up to this size are sent inline; larger ones go through S3.
pub const INLINE_TEMPLATE_LIMIT: usize = 51_200;

/// How often stack events and status are polled.
const POLL: Duration = Duration::from_secs(2);

/// A deployed stack, as DescribeStacks describes it.
#[derive(Clone, Debug, Default)]
pub struct Deployed {
    pub id: String,
    pub status: String,
    pub reason: Option<String>,
    pub outputs: BTreeMap<String, String>,
    pub parameters: Vec<String>,
}

/// Describes the stack named `name`, or `None` if there is none.
pub async fn describe(aws: &Aws, name: &str) -> Result<Option<Deployed>, Error> {
    match aws.cfn.describe_stacks().stack_name(name).send().await {
        // A deleted stack is described by its id (ARN) only; moto also answers by name.
        Ok(out) => Ok(out
            .stacks()
            .first()
            .filter(|s| s.stack_status().map(|s| s.as_str()) != Some("DELETE_COMPLETE") || name.starts_with("arn:"))
            .map(|s| Deployed {
                id: s.stack_id().unwrap_or(name).to_string(),
                status: s.stack_status().map(|s| s.as_str().to_string()).unwrap_or_default(),
                reason: s.stack_status_reason().map(str::to_string),
                outputs: s
                    .outputs()
                    .iter()
                    .filter_map(|o| {
                        Some((
                            o.output_key()?.to_string(),
                            o.output_value().unwrap_or_default().to_string(),
                        ))
                    })
                    .collect(),
                parameters: s
                    .parameters()
                    .iter()
                    .filter_map(|p| p.parameter_key().map(str::to_string))
                    .collect(),
            })),
        Err(e) => {
            let e = sdk_error("DescribeStacks", e);
            if e.message().contains("does not exist") {
                Ok(None)
            } else {
                Err(e)
            }
        }
    }
}

/// What to tell a user whose stack is in a state `command` cannot work from.
pub fn blocked(stack: &str, status: &str, command: Command) -> Option<String> {
    let watch = format!("aws cloudformation describe-stack-events --stack-name {stack}");
    if status.ends_with("_IN_PROGRESS") && status != "REVIEW_IN_PROGRESS" {
        return Some(format!(
            "stack {stack} is {status}: another operation is still running on it. Wait for it to finish (watch it with `{watch}`), then run this again."
        ));
    }
    if command == Command::Destroy {
        return None;
    }
    match status {
        "ROLLBACK_COMPLETE" | "ROLLBACK_FAILED" => Some(format!(
            "stack {stack} is {status}: its first deploy failed and was rolled back, and CloudFormation cannot update such a stack. See why with `{watch}`, remove it with `destroy --stack {stack}`, then deploy again."
        )),
        "UPDATE_ROLLBACK_FAILED" => Some(format!(
            "stack {stack} is UPDATE_ROLLBACK_FAILED: an update failed and so did its rollback. Find the resource that failed with `{watch}`, fix it by hand, then `aws cloudformation continue-update-rollback --stack-name {stack}` (add --resources-to-skip for resources that cannot be fixed), and deploy again."
        )),
        "DELETE_FAILED" => Some(format!(
            "stack {stack} is DELETE_FAILED: a destroy did not finish. See why with `{watch}`, then run destroy again."
        )),
        _ => None,
    }
}

fn template_json(text: &str) -> Result<Json, Error> {
    serde_json::from_str(text).map_err(|e| Error::new(format!("the synthesized template is not JSON: {e}")))
}

/// Converts an SDK stack event.
fn event(e: &aws_sdk_cloudformation::types::StackEvent) -> Event {
    let resource_type = e.resource_type().unwrap_or_default().to_string();
    Event {
        timestamp: e
            .timestamp()
            .and_then(|t| t.fmt(aws_sdk_cloudformation::primitives::DateTimeFormat::DateTime).ok())
            .unwrap_or_default(),
        id: e.logical_resource_id().unwrap_or_default().to_string(),
        is_stack: resource_type == "AWS::CloudFormation::Stack",
        resource_type,
        status: e.resource_status().map(|s| s.as_str().to_string()).unwrap_or_default(),
        reason: e.resource_status_reason().map(str::to_string),
        event_id: e.event_id().unwrap_or_default().to_string(),
    }
}

impl Event {
    /// An event from a DescribeStackEvents answer in the API's JSON shape
    /// (recorded responses; the SDK path converts its own types the same way).
    pub fn from_api_json(e: &Json) -> Event {
        let s = |k: &str| e.get(k).and_then(Json::as_str).unwrap_or_default().to_string();
        Event {
            timestamp: s("Timestamp"),
            id: s("LogicalResourceId"),
            is_stack: s("ResourceType") == "AWS::CloudFormation::Stack",
            resource_type: s("ResourceType"),
            status: s("ResourceStatus"),
            reason: e.get("ResourceStatusReason").and_then(Json::as_str).map(str::to_string),
            event_id: s("EventId"),
        }
    }
}

impl ChangeSetChange {
    /// One `Changes[]` entry of a DescribeChangeSet answer in the API's JSON shape.
    pub fn from_api_json(c: &Json) -> ChangeSetChange {
        let rc = &c["ResourceChange"];
        let s = |k: &str| rc.get(k).and_then(Json::as_str).map(str::to_string);
        let details = |how: &str| -> Vec<String> {
            let mut v: Vec<String> = rc["Details"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|d| d["Target"]["RequiresRecreation"] == how)
                .filter_map(|d| d["Target"]["Name"].as_str().map(str::to_string))
                .collect();
            v.dedup();
            v
        };
        ChangeSetChange {
            action: s("Action").unwrap_or_default(),
            logical_id: s("LogicalResourceId").unwrap_or_default(),
            resource_type: s("ResourceType").unwrap_or_default(),
            replacement: s("Replacement"),
            recreate_always: details("Always"),
            recreate_conditionally: details("Conditionally"),
        }
    }
}

fn change(c: &aws_sdk_cloudformation::types::Change) -> Option<ChangeSetChange> {
    let rc = c.resource_change()?;
    let details = |how: &str| -> Vec<String> {
        let mut v: Vec<String> = rc
            .details()
            .iter()
            .filter_map(|d| d.target())
            .filter(|t| t.requires_recreation().map(|r| r.as_str()) == Some(how))
            .filter_map(|t| t.name().map(str::to_string))
            .collect();
        v.dedup();
        v
    };
    Some(ChangeSetChange {
        action: rc.action().map(|a| a.as_str().to_string()).unwrap_or_default(),
        logical_id: rc.logical_resource_id().unwrap_or_default().to_string(),
        resource_type: rc.resource_type().unwrap_or_default().to_string(),
        replacement: rc.replacement().map(|r| r.as_str().to_string()),
        recreate_always: details("Always"),
        recreate_conditionally: details("Conditionally"),
    })
}

/// The template the stack was deployed with, if it is JSON (GetTemplate).
async fn deployed_template(aws: &Aws, stack: &str) -> Result<Option<Json>, Error> {
    let t = aws
        .cfn
        .get_template()
        .stack_name(stack)
        .template_stage(TemplateStage::Original)
        .send()
        .await
        .map_err(|e| sdk_error("GetTemplate", e))?;
    Ok(t.template_body().and_then(|b| serde_json::from_str::<Json>(b).ok()))
}

/// The stack's logical ids and physical ids (ListStackResources).
async fn resources(aws: &Aws, stack: &str) -> Result<Vec<(String, String, String)>, Error> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = aws
            .cfn
            .list_stack_resources()
            .stack_name(stack)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| sdk_error("ListStackResources", e))?;
        // moto lists some resources without a logical id; AWS never does.
        for r in page
            .stack_resource_summaries()
            .iter()
            .filter(|r| r.logical_resource_id().is_some_and(|l| !l.is_empty()))
        {
            out.push((
                r.logical_resource_id().unwrap_or_default().to_string(),
                r.resource_type().unwrap_or_default().to_string(),
                r.physical_resource_id().unwrap_or_default().to_string(),
            ));
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(out);
        }
    }
}

/// The listener rules a template adds, with parameter references resolved.
pub fn planned_rules(template: &Json, parameters: &BTreeMap<String, String>) -> Vec<PlannedRule> {
    let mut out = Vec::new();
    for (id, r) in template["Resources"].as_object().into_iter().flatten() {
        if r["Type"] != "AWS::ElasticLoadBalancingV2::ListenerRule" {
            continue;
        }
        let p = &r["Properties"];
        let listener = match &p["ListenerArn"] {
            Json::String(s) => s.clone(),
            Json::Object(o) => match o.get("Ref").and_then(Json::as_str) {
                Some(param) => parameters
                    .get(param)
                    .cloned()
                    .or_else(|| template["Parameters"][param]["Default"].as_str().map(str::to_string))
                    .unwrap_or_default(),
                None => String::new(),
            },
            _ => String::new(),
        };
        let priority = p["Priority"]
            .as_u64()
            .or_else(|| p["Priority"].as_str().and_then(|s| s.parse().ok()));
        if let Some(priority) = priority {
            out.push(PlannedRule {
                id: id.clone(),
                listener,
                priority,
            });
        }
    }
    out
}

/// A change set that was created, deleted on drop paths by [`ChangeSet::discard`].
struct ChangeSet {
    name: String,
    stack: String,
    /// The stack did not exist: discarding must remove the REVIEW_IN_PROGRESS stack too.
    created_stack: bool,
}

impl ChangeSet {
    async fn discard(&self, aws: &Aws) {
        let _ = aws
            .cfn
            .delete_change_set()
            .stack_name(&self.stack)
            .change_set_name(&self.name)
            .send()
            .await;
        if self.created_stack {
            let _ = aws.cfn.delete_stack().stack_name(&self.stack).send().await;
        }
    }
}

/// Runs `command` for one stack; returns whether there were changes.
pub async fn run(
    command: Command,
    aws: &Aws,
    a: &Artifact,
    settings: &Settings,
    console: &mut Console<'_>,
) -> Result<bool, Error> {
    let deployed = describe(aws, &a.stack).await?;
    if let Some(d) = &deployed {
        if let Some(msg) = blocked(&a.stack, &d.status, command) {
            return Err(Error::new(format!("{msg} Nothing was changed.")));
        }
    }
    if command == Command::Destroy {
        return destroy(aws, a, deployed, settings, console).await;
    }
    let template = template_json(&a.text)?;
    let place = format!("account {} in {}", aws.account, aws.region);
    let resolved = lookups::resolve(&aws.signed, &a.lookups, &place).await?;
    for r in &resolved {
        console.say(&format!("Resolved {} = {} ({})", r.parameter, r.value, r.searched));
    }
    let values: BTreeMap<String, String> = resolved.into_iter().map(|r| (r.parameter, r.value)).collect();
    let exists = deployed.as_ref().is_some_and(|d| d.status != "REVIEW_IN_PROGRESS");
    // Parameters: looked up, else given (a published image), else the
    // template's default, else the previous value, else a placeholder.
    let inputs = settings.inputs.get(&a.stack);
    let has_previous = |name: &String| exists && deployed.as_ref().is_some_and(|d| d.parameters.contains(name));
    let mut parameters = Vec::new();
    for (name, spec) in template["Parameters"].as_object().into_iter().flatten() {
        let p = Parameter::builder().parameter_key(name);
        let input = inputs.and_then(|i| i.get(name));
        if let Some(v) = values.get(name) {
            parameters.push(p.parameter_value(v).build());
        } else if let Some(Input::Value(v)) = input {
            parameters.push(p.parameter_value(v).build());
        } else if spec.get("Default").is_some() {
            continue;
        } else if has_previous(name) {
            if input.is_some() {
                console.say(&format!("{name}: not published by diff; the deployed value is kept"));
            }
            parameters.push(p.use_previous_value(true).build());
        } else if let Some(Input::Placeholder(v)) = input {
            console.say(&format!("{name}: not published by diff; shown as {v}"));
            parameters.push(p.parameter_value(v).build());
        } else {
            return Err(Error::new(format!(
                "template parameter {name} of stack {} has no value: it is neither a lookup nor has a default. Give it a default. Nothing was changed.",
                a.stack
            )));
        }
    }

    let mut diff = if command == Command::Diff && !exists {
        // A new stack: everything is added; no change set (which would leave a
        // REVIEW_IN_PROGRESS stack behind) is needed to say so.
        let changes: Vec<ChangeSetChange> = template["Resources"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(id, r)| ChangeSetChange {
                action: "Add".into(),
                logical_id: id.clone(),
                resource_type: r["Type"].as_str().unwrap_or_default().to_string(),
                ..Default::default()
            })
            .collect();
        (diff::cloudformation::build(&a.stack, None, &template, &changes), None)
    } else {
        let (d, cs) = change_set(aws, a, &template, parameters, exists, settings).await?;
        (d, Some(cs))
    };
    let owned: Vec<String> = if exists {
        resources(aws, &a.stack)
            .await?
            .into_iter()
            .filter(|(_, t, _)| t == "AWS::ElasticLoadBalancingV2::ListenerRule")
            .map(|(_, _, p)| p)
            .collect()
    } else {
        Vec::new()
    };
    let clashes = match lookups::priority_clashes(&aws.signed, &planned_rules(&template, &values), &owned).await {
        Ok(c) => c,
        Err(e) => {
            if let Some(cs) = &diff.1 {
                cs.discard(aws).await;
            }
            return Err(e);
        }
    };
    diff.0.warnings.extend(clashes.iter().cloned());
    let (diff, cs) = diff;
    console.say(&render(&diff));
    let changed = !diff.is_empty();
    if command == Command::Diff {
        if let Some(cs) = cs {
            cs.discard(aws).await;
        }
        return Ok(changed);
    }
    let Some(cs) = cs else {
        return Ok(changed);
    };
    if !changed {
        cs.discard(aws).await;
        console.say(&format!("{}: no changes; nothing to deploy.", a.stack));
        if let Some(d) = &deployed {
            finish_outputs(&a.stack, &d.outputs, settings, console)?;
        }
        return Ok(false);
    }
    if !clashes.is_empty() {
        cs.discard(aws).await;
        return Err(lookups::priority_clash_error(clashes.len()));
    }
    if let Some(why) = approval::reason(settings.approval, &diff) {
        if let Err(e) = approval::obtain(console, settings, &format!("deploying {}: {why}", a.stack), true) {
            cs.discard(aws).await;
            return Err(e);
        }
    }
    execute(aws, a, &cs, &diff, settings, console).await?;
    Ok(true)
}

/// Creates the change set, waits for it, and builds the diff from it.
async fn change_set(
    aws: &Aws,
    a: &Artifact,
    template: &Json,
    parameters: Vec<Parameter>,
    exists: bool,
    _settings: &Settings,
) -> Result<(StackDiff, ChangeSet), Error> {
    let name = format!(
        "deploy-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default()
    );
    let mut request = aws
        .cfn
        .create_change_set()
        .stack_name(&a.stack)
        .change_set_name(&name)
        .change_set_type(if exists {
            ChangeSetType::Update
        } else {
            ChangeSetType::Create
        })
        .set_parameters(Some(parameters))
        .capabilities(Capability::CapabilityIam)
        .capabilities(Capability::CapabilityNamedIam)
        .description("created by deploy");
    if a.text.len() > INLINE_TEMPLATE_LIMIT {
        let url = crate::bootstrap::upload_template(aws, &a.stack, &a.text).await?;
        request = request.template_url(url);
    } else {
        request = request.template_body(&a.text);
    }
    request.send().await.map_err(|e| sdk_error("CreateChangeSet", e))?;
    let cs = ChangeSet {
        name: name.clone(),
        stack: a.stack.clone(),
        created_stack: !exists,
    };
    // Wait for the change set to be computed.
    let mut changes = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(600);
    loop {
        let described = aws
            .cfn
            .describe_change_set()
            .stack_name(&a.stack)
            .change_set_name(&name)
            .send()
            .await;
        let described = match described {
            Ok(d) => d,
            Err(e) => {
                cs.discard(aws).await;
                return Err(sdk_error("DescribeChangeSet", e));
            }
        };
        let status = described.status().map(|s| s.as_str().to_string()).unwrap_or_default();
        match status.as_str() {
            "CREATE_COMPLETE" => {
                changes.extend(described.changes().iter().filter_map(change));
                let mut token = described.next_token().map(str::to_string);
                while let Some(t) = token {
                    let page = aws
                        .cfn
                        .describe_change_set()
                        .stack_name(&a.stack)
                        .change_set_name(&name)
                        .next_token(t)
                        .send()
                        .await
                        .map_err(|e| sdk_error("DescribeChangeSet", e))?;
                    changes.extend(page.changes().iter().filter_map(change));
                    token = page.next_token().map(str::to_string);
                }
                break;
            }
            "FAILED" => {
                let reason = described.status_reason().unwrap_or_default().to_string();
                cs.discard(aws).await;
                if reason.contains("didn't contain changes") || reason.contains("No updates are to be performed") {
                    break;
                }
                return Err(Error::new(format!(
                    "CloudFormation rejected the change set for {}: {reason}. Nothing was changed.",
                    a.stack
                )));
            }
            _ if std::time::Instant::now() > deadline => {
                cs.discard(aws).await;
                return Err(Error::new(format!(
                    "the change set for {} was not ready within 10 minutes",
                    a.stack
                )));
            }
            _ => tokio::time::sleep(Duration::from_secs(1)).await,
        }
    }
    let old = if exists {
        deployed_template(aws, &a.stack).await?
    } else {
        None
    };
    let mut diff = diff::cloudformation::build(&a.stack, old.as_ref(), template, &changes);
    diff.new_stack = !exists;
    Ok((diff, cs))
}

/// Where stack events and status come from while watching (the API, or
/// recorded answers in tests).
pub trait StackSource {
    /// The newest page of stack events, newest first.
    fn events(&mut self) -> impl std::future::Future<Output = Result<Vec<Event>, Error>>;
    /// The stack's status and reason.
    fn status(&mut self) -> impl std::future::Future<Output = Result<(String, Option<String>), Error>>;
}

struct Api<'a> {
    aws: &'a Aws,
    /// The stack id (its ARN), which still describes the stack once deleted.
    id: String,
}

impl StackSource for Api<'_> {
    async fn events(&mut self) -> Result<Vec<Event>, Error> {
        let out = self
            .aws
            .cfn
            .describe_stack_events()
            .stack_name(&self.id)
            .send()
            .await
            .map_err(|e| sdk_error("DescribeStackEvents", e))?;
        Ok(out.stack_events().iter().map(event).collect())
    }
    async fn status(&mut self) -> Result<(String, Option<String>), Error> {
        match describe(self.aws, &self.id).await? {
            Some(d) => Ok((d.status, d.reason)),
            None => Ok(("DELETE_COMPLETE".into(), None)),
        }
    }
}

/// How an operation ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ending {
    pub status: String,
    pub reason: Option<String>,
    pub ok: bool,
    /// The first resource that failed, described.
    pub root_cause: Option<String>,
}

/// Watches a stack until its status is final, showing every new event.
/// Ctrl-C stops watching (not the deploy) and says how to follow or cancel it.
pub async fn watch(
    source: &mut impl StackSource,
    cursor: &mut EventCursor,
    progress: &mut Progress<'_>,
    stack: &str,
    poll: Duration,
) -> Result<Ending, Error> {
    let mut rollback_noted = false;
    loop {
        let page = source.events().await?;
        for e in cursor.take_new(&page) {
            progress.event(&e);
            if e.is_stack && e.status.contains("ROLLBACK_IN_PROGRESS") && !rollback_noted {
                rollback_noted = true;
                if let Some(cause) = progress.root_cause.describe() {
                    progress.note(&format!("failed: {cause}"));
                }
                progress.note("rolling back; waiting for the rollback to finish");
            }
        }
        let (status, reason) = source.status().await?;
        if !status.ends_with("_IN_PROGRESS") {
            // One last look for events written with the final status.
            let page = source.events().await?;
            for e in cursor.take_new(&page) {
                progress.event(&e);
            }
            let ok = matches!(
                status.as_str(),
                "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "DELETE_COMPLETE" | "IMPORT_COMPLETE"
            );
            progress.finish();
            return Ok(Ending {
                ok,
                root_cause: progress.root_cause.describe(),
                status,
                reason,
            });
        }
        if poll.is_zero() {
            continue;
        }
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {
                progress.finish();
                return Err(Error::new(format!(
                    "interrupted: CloudFormation goes on with stack {stack} ({status}) without us. Watch it with `aws cloudformation describe-stack-events --stack-name {stack}`; stop an update with `aws cloudformation cancel-update-stack --stack-name {stack}` (it rolls back)."
                )));
            }
            _ = tokio::time::sleep(poll) => {}
        }
    }
}

/// The final lines for an [`Ending`] of a deploy (or, `destroy`, a destroy).
pub fn summary(stack: &str, destroy: bool, ending: &Ending, elapsed: Duration) -> String {
    let (verb, done) = if destroy {
        ("destroy", "destroyed")
    } else {
        ("deploy", "deployed")
    };
    if ending.ok {
        return format!("{stack}: {done} ({}) in {:.0} s", ending.status, elapsed.as_secs_f64());
    }
    let mut text = format!("{stack}: {verb} failed; the stack is {}", ending.status);
    if let Some(cause) = &ending.root_cause {
        text.push_str(&format!("\n  cause: {cause}"));
    } else if let Some(reason) = &ending.reason {
        text.push_str(&format!("\n  reason: {reason}"));
    }
    let next = match ending.status.as_str() {
        "UPDATE_ROLLBACK_COMPLETE" => {
            "the update was rolled back: the stack is as it was before. Fix the cause and deploy again."
        }
        "ROLLBACK_COMPLETE" => {
            "the creation was rolled back: remove the stack with destroy, fix the cause and deploy again."
        }
        "UPDATE_ROLLBACK_FAILED" => {
            "the rollback failed too: fix the resource by hand, then `aws cloudformation continue-update-rollback`."
        }
        "DELETE_FAILED" => "some resources could not be deleted: see the cause, fix it and run destroy again.",
        _ => "see the events above.",
    };
    text.push_str(&format!("\n  next: {next}"));
    text
}

fn progress_for<'a>(console: &'a mut Console<'_>, stack: &str, total: usize) -> Progress<'a> {
    if console.terminal.progress_bar {
        Progress::terminal(stack, total)
    } else {
        Progress::plain(&mut *console.out, stack, total)
    }
}

async fn execute(
    aws: &Aws,
    a: &Artifact,
    cs: &ChangeSet,
    diff: &StackDiff,
    settings: &Settings,
    console: &mut Console<'_>,
) -> Result<(), Error> {
    let mut cursor = EventCursor::default();
    let deployed = describe(aws, &a.stack).await?;
    let id = deployed.map(|d| d.id).unwrap_or_else(|| a.stack.clone());
    let mut source = Api { aws, id };
    cursor.skip(&source.events().await.unwrap_or_default());
    aws.cfn
        .execute_change_set()
        .stack_name(&a.stack)
        .change_set_name(&cs.name)
        .send()
        .await
        .map_err(|e| sdk_error("ExecuteChangeSet", e))?;
    let ending = {
        let mut progress = progress_for(console, &a.stack, diff.changes.len());
        let ending = watch(&mut source, &mut cursor, &mut progress, &a.stack, POLL).await?;
        let elapsed = progress.elapsed();
        (ending, elapsed)
    };
    let text = summary(&a.stack, false, &ending.0, ending.1);
    if !ending.0.ok {
        return Err(Error::new(text));
    }
    console.say(&text);
    let outputs = describe(aws, &a.stack).await?.map(|d| d.outputs).unwrap_or_default();
    finish_outputs(&a.stack, &outputs, settings, console)
}

fn finish_outputs(
    stack: &str,
    outputs: &BTreeMap<String, String>,
    settings: &Settings,
    console: &mut Console<'_>,
) -> Result<(), Error> {
    console.say(&outputs::render(stack, outputs));
    let path = outputs::write(&settings.out_dir, stack, outputs)?;
    console.say(&format!("Outputs written to {}", path.display()));
    Ok(())
}

async fn destroy(
    aws: &Aws,
    a: &Artifact,
    deployed: Option<Deployed>,
    settings: &Settings,
    console: &mut Console<'_>,
) -> Result<bool, Error> {
    let Some(deployed) = deployed else {
        console.say(&format!(
            "Stack {} does not exist in account {} in {}; nothing to destroy.",
            a.stack, aws.account, aws.region
        ));
        return Ok(false);
    };
    let template = deployed_template(aws, &a.stack).await?.unwrap_or(Json::Null);
    let listed = resources(aws, &a.stack).await?;
    let (mut deleted, mut retained, mut protected) = (Vec::new(), Vec::new(), Vec::new());
    for (id, t, physical) in &listed {
        let r = &template["Resources"][id];
        let line = format!("{t} {id} ({physical})");
        if r["DeletionPolicy"].as_str().is_some_and(|p| p.starts_with("Retain")) {
            retained.push(line);
        } else {
            if r["Properties"]["DeletionProtectionEnabled"] == Json::Bool(true) {
                protected.push(format!("{t} {id}"));
            }
            deleted.push(line);
        }
    }
    console.say(&format!("Stack {} (CloudFormation), {}:", a.stack, deployed.status));
    console.say(&format!("Deleted ({}):", deleted.len()));
    for l in &deleted {
        console.say(&format!("  [-] {l}"));
    }
    console.say(&format!(
        "Retained, left in the account and no longer managed ({}):",
        retained.len()
    ));
    for l in &retained {
        console.say(&format!("  {l}"));
    }
    if !protected.is_empty() {
        return Err(Error::new(format!(
            "deletion protection is on for {} and CloudFormation cannot delete it: turn it off (or make it retained) and deploy, then destroy. Nothing was changed.",
            protected.join(", ")
        )));
    }
    approval::obtain(
        console,
        settings,
        &format!("destroying stack {} deletes {} resources", a.stack, deleted.len()),
        false,
    )?;
    let mut source = Api {
        aws,
        id: deployed.id.clone(),
    };
    let mut cursor = EventCursor::default();
    cursor.skip(&source.events().await.unwrap_or_default());
    aws.cfn
        .delete_stack()
        .stack_name(&deployed.id)
        .send()
        .await
        .map_err(|e| sdk_error("DeleteStack", e))?;
    let (ending, elapsed) = {
        let mut progress = progress_for(console, &a.stack, listed.len());
        let ending = watch(&mut source, &mut cursor, &mut progress, &a.stack, POLL).await?;
        let elapsed = progress.elapsed();
        (ending, elapsed)
    };
    let text = summary(&a.stack, true, &ending, elapsed);
    if !ending.ok {
        return Err(Error::new(text));
    }
    console.say(&text);
    outputs::remove(&settings.out_dir, &a.stack);
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocked_states_say_what_to_do() {
        let m = blocked("Vault", "ROLLBACK_COMPLETE", Command::Deploy).unwrap();
        assert!(
            m.contains("ROLLBACK_COMPLETE") && m.contains("destroy --stack Vault"),
            "{m}"
        );
        assert!(blocked("Vault", "UPDATE_ROLLBACK_FAILED", Command::Diff)
            .unwrap()
            .contains("continue-update-rollback"));
        assert!(blocked("Vault", "UPDATE_IN_PROGRESS", Command::Destroy)
            .unwrap()
            .contains("Wait"));
        assert_eq!(blocked("Vault", "ROLLBACK_COMPLETE", Command::Destroy), None);
        assert_eq!(blocked("Vault", "UPDATE_ROLLBACK_COMPLETE", Command::Deploy), None);
        assert_eq!(blocked("Vault", "REVIEW_IN_PROGRESS", Command::Deploy), None);
    }

    #[test]
    fn planned_rules_resolve_listener_parameters() {
        let t: Json = serde_json::json!({
        "Parameters": {"L": {"Type": "String"}, "D": {"Type": "String", "Default": "arn:aws:elasticloadbalancing:x:1:listener/d"}},
        "Resources": {
            "R": {"Type": "AWS::ElasticLoadBalancingV2::ListenerRule", "Properties": {"ListenerArn": {"Ref": "L"}, "Priority": 1}},
            "S": {"Type": "AWS::ElasticLoadBalancingV2::ListenerRule", "Properties": {"ListenerArn": {"Ref": "D"}, "Priority": 7}}
        }});
        let values = BTreeMap::from([(
            "L".to_string(),
            "arn:aws:elasticloadbalancing:x:1:listener/l".to_string(),
        )]);
        let rules = planned_rules(&t, &values);
        assert_eq!(rules[0].listener, "arn:aws:elasticloadbalancing:x:1:listener/l");
        assert_eq!(rules[1].listener, "arn:aws:elasticloadbalancing:x:1:listener/d");
        assert_eq!(rules[1].priority, 7);
    }
}
