//! Whether a CloudFormation modification replaces the resource.
//!
//! Real CloudFormation says so in the change set (`Replacement: True |
//! Conditional | False`, with `Details[].Target.RequiresRecreation` per
//! property); that answer wins. When it is missing (moto's change sets carry
//! only the action), the decision falls back to the resource schema's
//! `createOnlyProperties`, which is how `cdk diff` decides: changing a
//! create-only property replaces the resource.

use super::Replacement;

/// The create-only property paths of a CloudFormation resource type, as the
/// resource schema writes them (`/properties/TableName`), when known: the one
/// place the schemas (`constructs::schema`, generated from the registry's
/// resource provider schemas) are consulted.
pub fn create_only(resource_type: &str) -> Option<Vec<String>> {
    constructs::schema::cloudformation::create_only(resource_type)
}

/// Decides replacement for a modification.
///
/// - `change_set`: the change set's `Replacement` (`"True"`, `"Conditional"`,
///   `"False"`), if it gave one;
/// - `recreated`: the properties the change set's details mark
///   `RequiresRecreation: Always` (or `Conditionally`, second element);
/// - `changed`: the property paths that differ between the deployed and the
///   new template (`TableName`, `KeySchema[0].AttributeName`);
/// - `create_only`: the schema's create-only paths for the type, if known.
pub fn decide(
    change_set: Option<&str>,
    recreated: (&[String], &[String]),
    changed: &[String],
    create_only: Option<&[String]>,
) -> Replacement {
    match change_set {
        Some("True") => return Replacement::Yes(recreated.0.to_vec()),
        Some("Conditional") => {
            let mut why = recreated.0.to_vec();
            why.extend(recreated.1.iter().cloned());
            return Replacement::Maybe(why);
        }
        Some("False") => return Replacement::No,
        _ => {}
    }
    let Some(create_only) = create_only else {
        return Replacement::No;
    };
    let forcing: Vec<String> = changed
        .iter()
        .filter(|path| create_only.iter().any(|c| covers(c, path)))
        .cloned()
        .collect();
    if forcing.is_empty() {
        Replacement::No
    } else {
        Replacement::Yes(forcing)
    }
}

/// Whether the schema path `/properties/A/B` covers the property path `A.B[0].C`
/// (the change is at or below the create-only property), or the change replaces
/// a whole object that contains a create-only property (`A` against `/properties/A/B`).
pub fn covers(schema_path: &str, property_path: &str) -> bool {
    let Some(rest) = schema_path.strip_prefix("/properties/") else {
        return false;
    };
    let schema: Vec<&str> = rest.split('/').filter(|s| *s != "*").collect();
    let property: Vec<String> = property_path
        .split('.')
        .map(|p| p.split('[').next().unwrap_or(p).to_string())
        .collect();
    let n = schema.len().min(property.len());
    n > 0 && schema[..n].iter().zip(&property[..n]).all(|(a, b)| *a == b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn the_change_set_answer_wins_over_the_schema() {
        let only = &s(&["/properties/TableName"])[..];
        assert_eq!(
            decide(Some("False"), (&[], &[]), &s(&["TableName"]), Some(only)),
            Replacement::No
        );
        assert_eq!(
            decide(
                Some("True"),
                (&s(&["KeySchema"]), &[]),
                &s(&["BillingMode"]),
                Some(only)
            ),
            Replacement::Yes(s(&["KeySchema"]))
        );
        assert_eq!(
            decide(Some("Conditional"), (&[], &s(&["Name"])), &[], None),
            Replacement::Maybe(s(&["Name"]))
        );
    }

    #[test]
    fn without_a_change_set_answer_create_only_properties_decide() {
        let table = &s(&["/properties/TableName"])[..];
        assert_eq!(
            decide(None, (&[], &[]), &s(&["TableName", "BillingMode"]), Some(table)),
            Replacement::Yes(s(&["TableName"]))
        );
        assert_eq!(
            decide(None, (&[], &[]), &s(&["BillingMode"]), Some(table)),
            Replacement::No
        );
        // Nested create-only paths, and a whole object replaced above one.
        let sg = &s(&["/properties/GroupDescription", "/properties/VpcId"])[..];
        assert_eq!(
            decide(None, (&[], &[]), &s(&["GroupDescription"]), Some(sg)),
            Replacement::Yes(s(&["GroupDescription"]))
        );
        let nested = &s(&["/properties/Config/Name"])[..];
        assert!(matches!(
            decide(None, (&[], &[]), &s(&["Config"]), Some(nested)),
            Replacement::Yes(_)
        ));
        assert!(matches!(
            decide(None, (&[], &[]), &s(&["Config.Name"]), Some(nested)),
            Replacement::Yes(_)
        ));
        assert_eq!(
            decide(None, (&[], &[]), &s(&["Config.Other"]), Some(nested)),
            Replacement::No
        );
        assert!(matches!(
            decide(
                None,
                (&[], &[]),
                &s(&["Items[2].Name"]),
                Some(&s(&["/properties/Items/*/Name"])[..])
            ),
            Replacement::Yes(_)
        ));
        // Unknown type: no claim.
        assert_eq!(decide(None, (&[], &[]), &s(&["TableName"]), None), Replacement::No);
    }
}
