//! Least-privilege grants: a storage construct adds to a role exactly the
//! statements needed for one kind of access, scoped to its own ARNs.
//!
//! `table.grant_read_write(stack, &task_role)` adds an inline policy named after
//! the table's construct id (`Items-read-write`) to the role. Grants are recorded
//! on the role, so they render in both backends like any other statement.

use crate::iam::{IamRole, Statement};
use crate::problem::Problem;
use crate::tree::{AsNode, Handle, Stack};

/// Adds `statements` to `role` as the inline policy `<grantor id>-<access>`
/// (e.g. `Queue-send`): what a resource's `grant_*` methods call, built-in
/// or a team's own. A handle from another stack is recorded as a problem on
/// the stack.
pub fn grant(
    stack: &mut Stack,
    grantor: &impl AsNode,
    access: &str,
    role: &Handle<IamRole>,
    statements: Vec<Statement>,
) {
    let Some(id) = stack.id_of(grantor).map(str::to_string) else {
        stack.record(Problem::new(
            stack.name().to_string(),
            "foreign-handle",
            format!("grant_{access} was given a construct of another stack"),
        ));
        return;
    };
    match stack.get_mut(role) {
        Some(r) => {
            let name = format!("{id}-{access}");
            for s in statements {
                r.add_to_policy(&name, s);
            }
        }
        None => stack.record(Problem::new(
            stack.name().to_string(),
            "foreign-handle",
            format!("grant_{access} on {id} was given a role of another stack"),
        )),
    }
}
