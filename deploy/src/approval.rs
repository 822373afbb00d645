//! When `deploy` asks before applying (`--require-approval`, as in CDK):
//!
//! | rule | asks when the diff… |
//! |---|---|
//! | `never` | never |
//! | `broadening` (default) | broadens IAM or security-group permissions, or replaces or removes a data-bearing or retained resource |
//! | `any-change` | changes anything |
//!
//! `destroy` always asks. `--yes` answers yes. Without a terminal to ask on
//! (CI, a pipe) a question that would be asked is a refusal: nothing is changed
//! and the exit code is 1, rather than hanging or proceeding silently.

use crate::diff::StackDiff;
use crate::{Console, Error, Settings};

/// `--require-approval`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Approval {
    Never,
    #[default]
    Broadening,
    AnyChange,
}

/// Why the rule wants a human to approve `diff`, if it does.
pub fn reason(rule: Approval, diff: &StackDiff) -> Option<String> {
    let mut why = Vec::new();
    match rule {
        Approval::Never => return None,
        Approval::AnyChange if !diff.is_empty() => {
            why.push("it changes the stack (--require-approval any-change)".to_string())
        }
        _ => {}
    }
    if diff.broadening() {
        why.push("it broadens IAM or security-group permissions".into());
    }
    if diff.data_loss_risk() {
        why.push("it replaces or removes resources that hold data".into());
    }
    (!why.is_empty()).then(|| why.join(" and "))
}

/// Gets approval for `what` (a sentence: "deploying Vault: it broadens …"),
/// from `--yes` or the terminal; otherwise refuses. `rule_applies`: the
/// question comes from `--require-approval` (deploy), not from destroy.
pub fn obtain(console: &mut Console<'_>, settings: &Settings, what: &str, rule_applies: bool) -> Result<(), Error> {
    if settings.yes {
        console.say(&format!("Approved by --yes: {what}."));
        return Ok(());
    }
    if !console.terminal.can_ask {
        let never = if rule_applies {
            " (or --require-approval never)"
        } else {
            ""
        };
        return Err(Error::new(format!(
            "approval needed ({what}) but there is no terminal to ask on. Nothing was changed: review the diff above, then rerun with --yes{never}."
        )));
    }
    if console.confirm(&format!("{what}. Proceed?")) {
        Ok(())
    } else {
        Err(Error::new("not approved; nothing was changed"))
    }
}
