//! A saved Terraform plan (`terraform show -json PLAN`) as a [`StackDiff`].
//!
//! `resource_changes[].change.actions` says what happens (`["delete","create"]`
//! or `["create","delete"]` is a replacement) and `replace_paths` which
//! attributes force it; `before`/`after`/`after_unknown` give the values.

use serde_json::Value as Json;

use super::{
    classify_security, property_changes, Action, PropertyChange, Replacement, ResourceChange, StackDiff, UNKNOWN,
};

/// Marks values only known after apply (`after_unknown` is a mirror of `after`
/// with `true` where the value is unknown).
fn fill_unknown(after: &mut Json, unknown: &Json) {
    match (after, unknown) {
        (a, Json::Bool(true)) => *a = Json::String(UNKNOWN.into()),
        (Json::Object(a), Json::Object(u)) => {
            for (k, uv) in u {
                let entry = a.entry(k.clone()).or_insert(Json::Null);
                fill_unknown(entry, uv);
            }
        }
        (Json::Array(a), Json::Array(u)) => {
            for (av, uv) in a.iter_mut().zip(u) {
                fill_unknown(av, uv);
            }
        }
        _ => {}
    }
}

/// Drops null and empty values, which Terraform reports for every unset
/// attribute: they would bury the ones the module sets.
fn prune(v: &Json) -> Option<Json> {
    match v {
        Json::Null => None,
        Json::Object(m) => {
            let m: serde_json::Map<String, Json> = m.iter().filter_map(|(k, v)| Some((k.clone(), prune(v)?))).collect();
            (!m.is_empty()).then_some(Json::Object(m))
        }
        Json::Array(a) if a.is_empty() => None,
        other => Some(other.clone()),
    }
}

/// The `replace_paths` entries as property paths (`["name"]` → `name`).
fn replace_paths(change: &Json) -> Vec<String> {
    change["replace_paths"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let parts: Vec<String> = p
                .as_array()?
                .iter()
                .map(|s| match s {
                    Json::String(s) => s.clone(),
                    other => format!("[{other}]"),
                })
                .collect();
            Some(parts.join(".").replace(".[", "["))
        })
        .collect()
}

/// Builds the diff from a plan document. `destroy` plans list only removals.
pub fn build(stack: &str, plan: &Json) -> StackDiff {
    let mut diff = StackDiff {
        stack: stack.to_string(),
        backend: "Terraform".into(),
        new_stack: plan["prior_state"]["values"]["root_module"]["resources"]
            .as_array()
            .is_none_or(|r| r.iter().all(|r| r["mode"] != "managed")),
        ..StackDiff::default()
    };
    for rc in plan["resource_changes"].as_array().into_iter().flatten() {
        if rc["mode"] != "managed" {
            continue;
        }
        let actions: Vec<&str> = rc["change"]["actions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Json::as_str)
            .collect();
        let action = match actions.as_slice() {
            ["create"] => Action::Add,
            ["update"] => Action::Modify,
            ["delete"] => Action::Remove,
            ["delete", "create"] | ["create", "delete"] => Action::Replace,
            _ => continue, // no-op, read, forget
        };
        let address = rc["address"].as_str().unwrap_or_default();
        let mut change = ResourceChange::new(address, rc["type"].as_str().unwrap_or_default(), action);
        let before = prune(&rc["change"]["before"]);
        let mut after = rc["change"]["after"].clone();
        fill_unknown(&mut after, &rc["change"]["after_unknown"]);
        let after = prune(&after);
        if matches!(action, Action::Modify | Action::Replace) {
            let mut properties: Vec<PropertyChange> = Vec::new();
            property_changes("", before.as_ref(), after.as_ref(), &mut properties);
            let forcing = replace_paths(&rc["change"]);
            for p in &mut properties {
                p.forces_replacement = forcing.iter().any(|f| {
                    p.path == *f || p.path.starts_with(&format!("{f}.")) || p.path.starts_with(&format!("{f}["))
                });
            }
            if action == Action::Replace {
                change.replacement = Replacement::Yes(forcing);
            }
            change.properties = properties;
        }
        classify_security(
            &mut change,
            before.as_ref().unwrap_or(&Json::Null),
            after.as_ref().unwrap_or(&Json::Null),
        );
        diff.changes.push(change);
    }
    for (name, oc) in plan["output_changes"].as_object().into_iter().flatten() {
        let actions = &oc["actions"];
        if actions == &serde_json::json!(["no-op"]) {
            continue;
        }
        let mut after = oc["after"].clone();
        fill_unknown(&mut after, &oc["after_unknown"]);
        diff.outputs.push(PropertyChange {
            path: name.clone(),
            before: Some(oc["before"].clone()).filter(|v| !v.is_null()),
            after: Some(after).filter(|v| !v.is_null() && actions != &serde_json::json!(["delete"])),
            forces_replacement: false,
        });
    }
    diff
}
