//! A CloudFormation change set, with the deployed and the new template, as a [`StackDiff`].
//!
//! The change set is the authority on *what* changes (it has resolved
//! parameters and knows the deployed stack); the two templates give the
//! property-level before and after, as `cdk diff` shows them.

use serde_json::Value as Json;

use super::replacement;
use super::{classify_security, property_changes, Action, PropertyChange, Replacement, ResourceChange, StackDiff};

/// One entry of `DescribeChangeSet`'s `Changes`, as the API gives it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ChangeSetChange {
    /// `Add`, `Modify`, `Remove`, `Import`, `Dynamic`.
    pub action: String,
    pub logical_id: String,
    pub resource_type: String,
    /// `True`, `False` or `Conditional`; absent for adds and removes (and on moto).
    pub replacement: Option<String>,
    /// Properties whose change `RequiresRecreation: Always`.
    pub recreate_always: Vec<String>,
    /// Properties whose change `RequiresRecreation: Conditionally`.
    pub recreate_conditionally: Vec<String>,
}

fn resource<'a>(template: Option<&'a Json>, id: &str) -> Option<&'a Json> {
    template?.get("Resources")?.get(id)
}

fn retained(r: Option<&Json>) -> bool {
    r.and_then(|r| r.get("DeletionPolicy"))
        .and_then(Json::as_str)
        .is_some_and(|p| p.starts_with("Retain"))
}

/// Builds the diff. `old` is the deployed template (`None` for a new stack).
pub fn build(stack: &str, old: Option<&Json>, new: &Json, changes: &[ChangeSetChange]) -> StackDiff {
    let mut diff = StackDiff {
        stack: stack.to_string(),
        backend: "CloudFormation".into(),
        new_stack: old.is_none(),
        ..StackDiff::default()
    };
    for c in changes {
        let before = resource(old, &c.logical_id);
        let after = resource(Some(new), &c.logical_id);
        let props = |r: Option<&Json>| r.and_then(|r| r.get("Properties")).cloned().unwrap_or(Json::Null);
        let action = match c.action.as_str() {
            "Add" | "Import" => Action::Add,
            "Remove" => Action::Remove,
            _ => Action::Modify,
        };
        let mut change = ResourceChange::new(&c.logical_id, &c.resource_type, action);
        change.retained = retained(before) || retained(after);
        if action == Action::Modify {
            let mut properties = Vec::new();
            property_changes(
                "",
                Some(&props(before)).filter(|p| !p.is_null()),
                Some(&props(after)).filter(|p| !p.is_null()),
                &mut properties,
            );
            let paths: Vec<String> = properties.iter().map(|p| p.path.clone()).collect();
            let create_only = replacement::create_only(&c.resource_type).unwrap_or_default();
            change.replacement = replacement::decide(
                c.replacement.as_deref(),
                (&c.recreate_always, &c.recreate_conditionally),
                &paths,
                replacement::create_only(&c.resource_type).as_deref(),
            );
            let forcing: Vec<String> = match &change.replacement {
                Replacement::Yes(p) | Replacement::Maybe(p) => p.clone(),
                Replacement::No => Vec::new(),
            };
            for p in &mut properties {
                let top = p.path.split(['.', '[']).next().unwrap_or(&p.path);
                p.forces_replacement = forcing.iter().any(|f| f == &p.path || f == top)
                    || (c.replacement.as_deref() != Some("False")
                        && !matches!(change.replacement, Replacement::No)
                        && create_only.iter().any(|s| replacement::covers(s, &p.path)));
            }
            if matches!(change.replacement, Replacement::Yes(_)) {
                change.action = Action::Replace;
            }
            change.properties = properties;
        }
        classify_security(&mut change, &props(before), &props(after));
        diff.changes.push(change);
    }
    let outputs = |t: Option<&Json>| t.and_then(|t| t.get("Outputs")).cloned();
    let (old_out, new_out) = (outputs(old), outputs(Some(new)));
    let mut out_changes: Vec<PropertyChange> = Vec::new();
    if let (Some(Json::Object(_)), _) | (_, Some(Json::Object(_))) = (&old_out, &new_out) {
        let empty = Json::Object(Default::default());
        let (a, b) = (old_out.unwrap_or(empty.clone()), new_out.unwrap_or(empty));
        for (name, _) in a
            .as_object()
            .into_iter()
            .flatten()
            .chain(b.as_object().into_iter().flatten())
        {
            if out_changes.iter().any(|c| &c.path == name) {
                continue;
            }
            let (x, y) = (
                a.get(name).map(|o| o.get("Value").cloned().unwrap_or_default()),
                b.get(name).map(|o| o.get("Value").cloned().unwrap_or_default()),
            );
            if x != y {
                out_changes.push(PropertyChange {
                    path: name.clone(),
                    before: x,
                    after: y,
                    forces_replacement: false,
                });
            }
        }
    }
    diff.outputs = out_changes;
    diff
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(action: &str, id: &str, t: &str) -> ChangeSetChange {
        ChangeSetChange {
            action: action.into(),
            logical_id: id.into(),
            resource_type: t.into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_renamed_table_is_replaced_by_its_create_only_name_when_the_change_set_is_silent() {
        let old = json!({"Resources": {"Items": {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "Properties": {"TableName": "a", "BillingMode": "PAY_PER_REQUEST"}}}});
        let new = json!({"Resources": {"Items": {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "Properties": {"TableName": "b", "BillingMode": "PAY_PER_REQUEST"}}}});
        let d = build(
            "S",
            Some(&old),
            &new,
            &[change("Modify", "Items", "AWS::DynamoDB::Table")],
        );
        let c = &d.changes[0];
        assert_eq!(c.action, Action::Replace);
        assert_eq!(c.replacement, Replacement::Yes(vec!["TableName".into()]));
        assert!(c.properties[0].forces_replacement);
        assert!(c.retained && c.data_loss_risk());
    }

    #[test]
    fn the_change_sets_replacement_false_keeps_it_a_modification() {
        let old = json!({"Resources": {"Svc": {"Type": "AWS::ECS::Service", "Properties": {"DesiredCount": 2}}}});
        let new = json!({"Resources": {"Svc": {"Type": "AWS::ECS::Service", "Properties": {"DesiredCount": 3}}}, "Outputs": {"N": {"Value": "x"}}});
        let mut c = change("Modify", "Svc", "AWS::ECS::Service");
        c.replacement = Some("False".into());
        let d = build("S", Some(&old), &new, &[c]);
        assert_eq!(d.changes[0].action, Action::Modify);
        assert_eq!(d.changes[0].properties[0].path, "DesiredCount");
        assert_eq!(d.outputs[0].path, "N");
        assert_eq!(d.outputs[0].before, None);
    }
}
