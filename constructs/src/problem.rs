//! Problems found while building or validating an app.
//!
//! Constructors never fail: what is wrong is recorded with the construct path and a
//! stable rule id, and every problem is reported at once before anything is written.

use std::fmt;

/// One thing wrong with the app, tied to the construct it concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The construct path, e.g. `Vault/Service/TaskRole`.
    pub path: String,
    /// A stable, kebab-case rule id, e.g. `target-group-name-length`.
    pub rule: &'static str,
    /// What is wrong and what is expected instead.
    pub message: String,
}

impl Problem {
    pub fn new(path: impl Into<String>, rule: &'static str, message: impl Into<String>) -> Self {
        Problem {
            path: path.into(),
            rule,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {} ({})", self.path, self.message, self.rule)
    }
}

/// Every problem found in one synthesis, in a stable order (by stack, then in the
/// order constructs were added).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SynthError {
    pub problems: Vec<Problem>,
}

impl fmt::Display for SynthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        writeln!(
            f,
            "{n} problem{} found; nothing was written:",
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            writeln!(f, "  {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SynthError {}

/// Collects problems for one construct; handed to [`crate::resource::Resource::validate`].
pub struct Checker<'a> {
    path: &'a str,
    out: &'a mut Vec<Problem>,
}

impl<'a> Checker<'a> {
    pub(crate) fn new(path: &'a str, out: &'a mut Vec<Problem>) -> Self {
        Checker { path, out }
    }

    /// The path of the construct being checked.
    pub fn path(&self) -> &str {
        self.path
    }

    /// Records a problem with this construct.
    pub fn error(&mut self, rule: &'static str, message: impl Into<String>) {
        self.out.push(Problem::new(self.path, rule, message));
    }

    /// Records a problem unless `ok` holds.
    pub fn ensure(&mut self, ok: bool, rule: &'static str, message: impl FnOnce() -> String) {
        if !ok {
            self.error(rule, message());
        }
    }

    /// Checks that a duration is whole seconds within `min..=max` seconds;
    /// `what` names the property.
    pub fn duration(&mut self, what: &str, value: std::time::Duration, min: u64, max: u64, rule: &'static str) {
        if value.subsec_nanos() != 0 {
            self.error(rule, format!("{what} is {value:?}; it must be whole seconds"));
        } else if value.as_secs() < min || value.as_secs() > max {
            self.error(
                rule,
                format!("{what} is {} s; it must be between {min} and {max} s", value.as_secs()),
            );
        }
    }

    /// Checks that a literal integer lies in `min..=max`; `what` names the property.
    pub fn range(&mut self, what: &str, value: i64, min: i64, max: i64, rule: &'static str) {
        if value < min || value > max {
            self.error(rule, format!("{what} is {value}; it must be between {min} and {max}"));
        }
    }
}
