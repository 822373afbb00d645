//! The API contract against the DynamoDB store, on a real DynamoDB-API
//! server (moto) on loopback; plus the `create-table` command.

mod support;

contract_tests!(support::dynamo);

use std::time::Duration;

use aws_sdk_dynamodb::types::{BillingMode, KeyType, ScalarAttributeType};
use support::moto::MotoServer;
use support::process::{http, ServiceProcess};
use vault_api::table;

/// Environment for a child process talking to `moto`: the standard AWS
/// variables, set on the child only.
fn aws_env<'a>(moto: &'a MotoServer, table: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("VAULT_TABLE", table),
        ("AWS_ENDPOINT_URL", moto.endpoint.as_str()),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ]
}

#[tokio::test]
async fn create_table_command_builds_the_key_schema_from_the_table_module() {
    let Some(moto) = tokio::task::spawn_blocking(MotoServer::start).await.unwrap() else {
        return;
    };
    let table_name = support::unique_table();
    let run = |moto: &MotoServer, table_name: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_vault-api"))
            .arg("create-table")
            .env_remove("AWS_PROFILE")
            .envs(aws_env(moto, table_name))
            .output()
            .expect("running vault-api create-table")
    };
    let first = run(&moto, &table_name);
    assert!(first.status.success(), "{first:?}");
    assert!(String::from_utf8_lossy(&first.stdout).contains("created table"));
    let second = run(&moto, &table_name);
    assert!(second.status.success(), "running twice is fine: {second:?}");
    assert!(String::from_utf8_lossy(&second.stdout).contains("already exists"));

    let described = moto
        .client()
        .describe_table()
        .table_name(&table_name)
        .send()
        .await
        .expect("describe table");
    let t = described.table().expect("table");
    let keys: Vec<(&str, &KeyType)> = t
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name(), k.key_type()))
        .collect();
    assert_eq!(keys, [(table::PARTITION_KEY, &KeyType::Hash)]);
    assert_eq!(table::SORT_KEY, None);
    let attributes: Vec<(&str, &ScalarAttributeType)> = t
        .attribute_definitions()
        .iter()
        .map(|a| (a.attribute_name(), a.attribute_type()))
        .collect();
    assert_eq!(
        attributes,
        [(
            table::PARTITION_KEY,
            &ScalarAttributeType::from(table::PARTITION_KEY_TYPE)
        )]
    );
    assert_eq!(
        t.billing_mode_summary().and_then(|b| b.billing_mode()),
        Some(&BillingMode::from(table::BILLING_MODE))
    );
}

#[tokio::test]
async fn the_binary_serves_from_dynamodb_via_aws_endpoint_url() {
    let Some(moto) = tokio::task::spawn_blocking(MotoServer::start).await.unwrap() else {
        return;
    };
    let table_name = support::unique_table();
    vault_api::store::dynamo::create_table(&moto.client(), &table_name)
        .await
        .expect("create table");
    let env = aws_env(&moto, &table_name);
    let env: Vec<(String, String)> = env.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut service = ServiceProcess::start(&env);
        let json = [("content-type", "application/json")];
        let put = http(
            service.addr,
            "PUT",
            "/vault/items/from-binary",
            &json,
            b"{\"via\":\"dynamodb\"}",
        );
        assert_eq!(put.status, 201, "{:?}", String::from_utf8_lossy(&put.body));
        let ready = http(service.addr, "GET", "/vault/ready", &[], b"");
        assert_eq!(ready.status, 200);
        assert_eq!(ready.json()["storage"], "dynamodb");
        service.signal("TERM");
        assert!(service.wait_exit(Duration::from_secs(30)).success());
    })
    .await
    .unwrap();
    // The item really is in the table.
    let stored = moto
        .client()
        .get_item()
        .table_name(&table_name)
        .key(
            table::PARTITION_KEY,
            aws_sdk_dynamodb::types::AttributeValue::S("from-binary".into()),
        )
        .send()
        .await
        .unwrap();
    let item = stored.item().expect("item written by the binary");
    assert_eq!(
        item["data"],
        aws_sdk_dynamodb::types::AttributeValue::S("{\"via\":\"dynamodb\"}".into())
    );
}
