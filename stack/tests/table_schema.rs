//! The table the stack deploys has exactly the key schema and billing mode the
//! vault-api service expects (`vault_api::table`), in both backends.

use constructs::testing::{cfn_resource, tf_resource};
use constructs::Backend;
use serde_json::{json, Value as Json};
use vault_api::table;

#[test]
fn deployed_table_matches_the_services_key_schema() {
    let files = constructs::synth(&stack::vault::app_for_environment("dev").unwrap(), &Backend::ALL).unwrap();
    let vault = |backend| -> Json {
        let file = files
            .iter()
            .find(|a| a.stack == stack::vault::STACK && a.backend == backend)
            .unwrap();
        serde_json::from_str(&file.text).unwrap()
    };
    let (cfn, tf) = (vault(Backend::CloudFormation), vault(Backend::Terraform));
    let c = &cfn_resource(&cfn, "Items")["Properties"];
    let mut key_schema = vec![json!({"AttributeName": table::PARTITION_KEY, "KeyType": "HASH"})];
    let mut definitions =
        vec![json!({"AttributeName": table::PARTITION_KEY, "AttributeType": table::PARTITION_KEY_TYPE})];
    if let Some(sort) = table::SORT_KEY {
        key_schema.push(json!({"AttributeName": sort, "KeyType": "RANGE"}));
        definitions.push(json!({"AttributeName": sort, "AttributeType": "S"}));
    }
    assert_eq!(c["KeySchema"], json!(key_schema));
    assert_eq!(c["AttributeDefinitions"], json!(definitions));
    assert_eq!(c["BillingMode"], table::BILLING_MODE);

    let t = tf_resource(&tf, "aws_dynamodb_table", "items");
    assert_eq!(t["hash_key"], table::PARTITION_KEY);
    assert_eq!(t.get("range_key").and_then(|v| v.as_str()), table::SORT_KEY);
    assert_eq!(
        t["attribute"][0],
        json!({"name": table::PARTITION_KEY, "type": table::PARTITION_KEY_TYPE})
    );
    assert_eq!(t["billing_mode"], table::BILLING_MODE);
}
