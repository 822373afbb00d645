//! Overrides: setting or removing a property of a block's expression tree,
//! before it is rendered, so override values may hold references.

use crate::expr::Expr;
use crate::property_path::{PropertyPath, Segment};

/// Sets (`Some`) or removes (`None`) the value at `path` below `root`.
/// Missing objects on the way are created; a list index must exist (or be
/// the list's length, to append). JSON documents are descended into.
pub(crate) fn apply(root: &mut Expr, path: &PropertyPath, value: Option<&Expr>) -> Result<(), String> {
    let segments = path.segments();
    let Some((last, parents)) = segments.split_last() else {
        return Err("the path is empty".into());
    };
    let mut cur = root;
    for (depth, seg) in parents.iter().enumerate() {
        cur = unwrap_json(cur);
        let at = || PropertyPath(segments[..depth].to_vec()).to_string();
        cur = match (cur, seg) {
            (Expr::Map(m), Segment::Key(k)) => {
                let next_is_index = matches!(segments.get(depth + 1), Some(Segment::Index(_)));
                if !m.contains_key(k) {
                    if next_is_index {
                        return Err(format!("{} has no list {k:?} to index into", describe(&at())));
                    }
                    m.insert(k.clone(), Expr::Map(Default::default()));
                }
                m.get_mut(k).expect("present")
            }
            (Expr::List(items), Segment::Index(n)) => {
                let len = items.len();
                items
                    .get_mut(*n)
                    .ok_or_else(|| format!("[{n}] is past the end of {} (it has {len} elements)", describe(&at())))?
            }
            (other, seg) => return Err(mismatch(&at(), other, seg)),
        };
    }
    let cur = unwrap_json(cur);
    let at = PropertyPath(parents.to_vec()).to_string();
    match (cur, last, value) {
        (Expr::Map(m), Segment::Key(k), Some(v)) => {
            m.insert(k.clone(), v.clone());
        }
        (Expr::Map(m), Segment::Key(k), None) => {
            m.shift_remove(k);
        }
        (Expr::List(items), Segment::Index(n), Some(v)) => match (*n).cmp(&items.len()) {
            std::cmp::Ordering::Less => items[*n] = v.clone(),
            std::cmp::Ordering::Equal => items.push(v.clone()),
            std::cmp::Ordering::Greater => {
                return Err(format!(
                    "[{n}] is past the end of {} (it has {} elements; [{}] appends)",
                    describe(&at),
                    items.len(),
                    items.len()
                ))
            }
        },
        (Expr::List(items), Segment::Index(n), None) => {
            if *n >= items.len() {
                return Err(format!(
                    "[{n}] is past the end of {} (it has {} elements)",
                    describe(&at),
                    items.len()
                ));
            }
            items.remove(*n);
        }
        (other, seg, _) => return Err(mismatch(&at, other, seg)),
    }
    Ok(())
}

fn unwrap_json(e: &mut Expr) -> &mut Expr {
    match e {
        Expr::Json(inner) => unwrap_json(inner),
        other => other,
    }
}

fn describe(at: &str) -> String {
    if at.is_empty() {
        "the block".into()
    } else {
        at.to_string()
    }
}

fn mismatch(at: &str, found: &Expr, seg: &Segment) -> String {
    let what = match found {
        Expr::Map(_) => "an object",
        Expr::List(_) => "a list",
        Expr::Ref(_) => "a reference",
        Expr::Concat(_) => "a string built from references",
        _ => "a single value",
    };
    let step = match seg {
        Segment::Key(k) => format!("property {k:?}"),
        Segment::Index(n) => format!("element [{n}]"),
    };
    format!("{} is {what}, so it has no {step}", describe(at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(doc: serde_json::Value, path: &str, value: Option<serde_json::Value>) -> Result<Expr, String> {
        let mut e = Expr::from(doc);
        let v = value.map(Expr::from);
        apply(&mut e, &PropertyPath::parse(path).unwrap(), v.as_ref()).map(|_| e)
    }

    #[test]
    fn set_creates_objects_and_replaces_or_appends_list_elements() {
        assert_eq!(
            run(json!({}), "A.B", Some(json!(1))).unwrap(),
            Expr::from(json!({"A": {"B": 1}}))
        );
        let doc = json!({"L": [{"x": 1}]});
        assert_eq!(
            run(doc.clone(), "L[0].x", Some(json!(2))).unwrap(),
            Expr::from(json!({"L": [{"x": 2}]}))
        );
        assert_eq!(
            run(doc.clone(), "L[1]", Some(json!({"x": 3}))).unwrap(),
            Expr::from(json!({"L": [{"x": 1}, {"x": 3}]}))
        );
        assert_eq!(run(doc, "L[0]", None).unwrap(), Expr::from(json!({"L": []})));
    }

    #[test]
    fn impossible_paths_say_where_they_fail() {
        let doc = json!({"L": [1], "S": "text"});
        assert!(run(doc.clone(), "L[5].x", Some(json!(1)))
            .unwrap_err()
            .contains("past the end of L (it has 1 elements)"));
        assert!(run(doc.clone(), "S.x", Some(json!(1)))
            .unwrap_err()
            .contains("S is a single value"));
        assert!(run(doc.clone(), "L.x", Some(json!(1)))
            .unwrap_err()
            .contains("L is a list"));
        assert!(run(doc, "M[0]", Some(json!(1))).unwrap_err().contains("no list \"M\""));
    }

    #[test]
    fn json_documents_are_descended_into() {
        let mut e = Expr::map([("Policy", Expr::json(Expr::from(json!({"Version": "2012-10-17"}))))]);
        apply(
            &mut e,
            &PropertyPath::parse("Policy.Id").unwrap(),
            Some(&Expr::str("x")),
        )
        .unwrap();
        assert_eq!(
            e,
            Expr::map([(
                "Policy",
                Expr::json(Expr::from(json!({"Version": "2012-10-17", "Id": "x"})))
            )])
        );
    }
}
