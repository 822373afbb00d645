//! The one renderer of a [`StackDiff`], for both backends: plain text, one line
//! per resource, property changes indented below it, then the security
//! changes, the data loss risks, outputs, warnings and a count.

use std::fmt::Write;

use serde_json::Value as Json;

use super::{Action, PropertyChange, Replacement, ResourceChange, StackDiff};

/// A value as the user reads it: JSON, compact.
fn value(v: &Option<Json>) -> String {
    match v {
        None => "(none)".into(),
        Some(Json::String(s)) if s == super::UNKNOWN => s.clone(),
        Some(v) => v.to_string(),
    }
}

fn property_line(out: &mut String, p: &PropertyChange) {
    let _ = write!(out, "    {}: ", p.path);
    match (&p.before, &p.after) {
        (None, after) => {
            let _ = write!(out, "(added) {}", value(after));
        }
        (before, None) => {
            let _ = write!(out, "{} (removed)", value(before));
        }
        (before, after) => {
            let _ = write!(out, "{} → {}", value(before), value(after));
        }
    }
    if p.forces_replacement {
        out.push_str("  (forces replacement)");
    }
    out.push('\n');
}

fn replacement_note(c: &ResourceChange) -> String {
    match &c.replacement {
        Replacement::Yes(paths) if paths.is_empty() => "  replaced".into(),
        Replacement::Yes(paths) => format!("  replaced: {} changes", paths.join(", ")),
        Replacement::Maybe(paths) if paths.is_empty() => "  may be replaced".into(),
        Replacement::Maybe(paths) => format!("  may be replaced: {} changes", paths.join(", ")),
        Replacement::No => String::new(),
    }
}

/// `[~] AWS::ECS::Service ApiService`; a Terraform address already names its type.
fn headline(c: &ResourceChange) -> String {
    if c.id.starts_with(&format!("{}.", c.resource_type)) {
        format!("{} {}", c.action.marker(), c.id)
    } else {
        format!("{} {} {}", c.action.marker(), c.resource_type, c.id)
    }
}

/// Why replacing or removing `c` loses data.
fn data_loss_line(c: &ResourceChange) -> String {
    let what = if c.action == Action::Remove {
        "removing"
    } else {
        "replacing"
    };
    if c.retained {
        format!(
            "{}: retained (DeletionPolicy Retain): {what} it leaves the old one in the account, no longer managed by this stack",
            headline(c)
        )
    } else {
        format!("{}: {what} it deletes the old one and the data it holds", headline(c))
    }
}

/// Renders the diff as the user sees it.
pub fn render(d: &StackDiff) -> String {
    let mut out = String::new();
    let state = if d.is_empty() {
        ": no changes"
    } else if d.new_stack {
        ": new stack"
    } else {
        ""
    };
    let _ = writeln!(out, "Stack {} ({}){state}", d.stack, d.backend);
    if d.is_empty() {
        return out;
    }
    if !d.changes.is_empty() {
        out.push_str("Resources\n");
        for c in &d.changes {
            let _ = writeln!(out, "{}{}", headline(c), replacement_note(c));
            for p in &c.properties {
                property_line(&mut out, p);
            }
        }
    }
    let security: Vec<&ResourceChange> = d.changes.iter().filter(|c| c.security).collect();
    if !security.is_empty() {
        out.push_str("\nSecurity changes (IAM, security groups, resource policies)\n");
        for c in security {
            let note = if c.broadening { "  broadens permissions" } else { "" };
            let _ = writeln!(out, "{}{note}", headline(c));
        }
    }
    let risks: Vec<&ResourceChange> = d.changes.iter().filter(|c| c.data_loss_risk()).collect();
    if !risks.is_empty() {
        out.push_str("\nData loss risk\n");
        for c in risks {
            let _ = writeln!(out, "{}", data_loss_line(c));
        }
    }
    if !d.outputs.is_empty() {
        out.push_str("\nOutputs\n");
        for o in &d.outputs {
            match (&o.before, &o.after) {
                (None, _) => {
                    let _ = writeln!(out, "[+] {}", o.path);
                }
                (_, None) => {
                    let _ = writeln!(out, "[-] {}", o.path);
                }
                (b, a) => {
                    let _ = writeln!(out, "[~] {}: {} → {}", o.path, value(b), value(a));
                }
            }
        }
    }
    if !d.warnings.is_empty() {
        out.push_str("\nWarnings\n");
        for w in &d.warnings {
            let _ = writeln!(out, "! {w}");
        }
    }
    let _ = writeln!(
        out,
        "\n{}: {} to add, {} to change, {} to replace, {} to remove",
        d.stack,
        d.count(Action::Add),
        d.count(Action::Modify),
        d.count(Action::Replace),
        d.count(Action::Remove)
    );
    out
}
