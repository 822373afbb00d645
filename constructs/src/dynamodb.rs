//! DynamoDB: `DynamoTable`.

use crate::expr::{kind, Attr, Attribute, CfnAttr, Expr, Value};
use crate::grants::grant;
use crate::iam::{IamRole, Statement};
use crate::problem::Checker;
use crate::resource::{CfnBlock, RenderCx, Resource, TfBlock};
use crate::tree::{Handle, Stack};
use crate::{cfn, tf};

const NAME: Attribute = Attribute::new(CfnAttr::Ref, "name");
const ARN: Attribute = Attribute::new(CfnAttr::GetAtt("Arn"), "arn");

/// The type of a key attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    String,
    Number,
    Binary,
}

impl KeyType {
    fn code(self) -> &'static str {
        match self {
            KeyType::String => "S",
            KeyType::Number => "N",
            KeyType::Binary => "B",
        }
    }
}

/// A key attribute: its name and type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    pub name: String,
    pub key_type: KeyType,
}

impl Key {
    pub fn string(name: &str) -> Self {
        Key {
            name: name.into(),
            key_type: KeyType::String,
        }
    }
    pub fn number(name: &str) -> Self {
        Key {
            name: name.into(),
            key_type: KeyType::Number,
        }
    }
    pub fn binary(name: &str) -> Self {
        Key {
            name: name.into(),
            key_type: KeyType::Binary,
        }
    }
}

/// How capacity is paid for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Billing {
    /// Pay per request; no capacity to plan or throttle on.
    OnDemand,
    Provisioned {
        read_units: u32,
        write_units: u32,
    },
}

/// Server-side encryption of the table.
#[derive(Clone, Debug, PartialEq)]
pub enum TableEncryption {
    /// DynamoDB's own key, invisible in KMS and CloudTrail. An explicit opt-out.
    AwsOwned,
    /// The account's AWS-managed key `aws/dynamodb`: key use is logged in CloudTrail.
    AwsManaged,
    /// A customer-managed KMS key (its ARN).
    CustomerManaged(Value<kind::Arn>),
}

/// A DynamoDB table.
///
/// Defaults, each chosen so a table holding real data is safe without edits:
/// - on-demand billing: no capacity planning, no throttling at low traffic;
/// - point-in-time recovery on: any second of the last 35 days can be restored;
/// - encryption with the AWS-managed KMS key, so key use is auditable;
/// - deletion protection on, and CloudFormation keeps the table
///   (`DeletionPolicy: Retain`) if it leaves the template: data outlives a
///   mistaken delete. [`DynamoTable::allow_deletion`] opts out of both.
#[derive(Clone, Debug, PartialEq)]
pub struct DynamoTable {
    pub name: String,
    pub partition_key: Key,
    pub sort_key: Option<Key>,
    pub billing: Billing,
    pub point_in_time_recovery: bool,
    pub encryption: TableEncryption,
    pub deletion_protection: bool,
    /// Attribute holding an expiry time (epoch seconds); items past it are deleted.
    pub ttl_attribute: Option<String>,
    /// The table holds data that must be under a customer-managed key
    /// (declared with [`DynamoTable::sensitive`]; the checks enforce it).
    pub sensitive: bool,
}

impl DynamoTable {
    pub fn new(name: &str, partition_key: Key) -> Self {
        DynamoTable {
            name: name.into(),
            partition_key,
            sort_key: None,
            billing: Billing::OnDemand,
            point_in_time_recovery: true,
            encryption: TableEncryption::AwsManaged,
            deletion_protection: true,
            ttl_attribute: None,
            sensitive: false,
        }
    }
    pub fn sort_key(mut self, key: Key) -> Self {
        self.sort_key = Some(key);
        self
    }
    pub fn billing(mut self, billing: Billing) -> Self {
        self.billing = billing;
        self
    }
    pub fn encryption(mut self, encryption: TableEncryption) -> Self {
        self.encryption = encryption;
        self
    }
    /// Encrypts with a customer-managed KMS key (its ARN, e.g. a `KmsKey`'s
    /// `arn()`); the `grant_*` methods then also grant the key use they need.
    pub fn kms_key(self, key_arn: impl Into<Value<kind::Arn>>) -> Self {
        self.encryption(TableEncryption::CustomerManaged(key_arn.into()))
    }
    /// Declares that the table holds sensitive data: the checks then require a
    /// customer-managed key (`dynamodb-sensitive-customer-key`), so who can
    /// decrypt it is decided by a key policy this stack owns.
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
    /// Turns point-in-time recovery off (an explicit opt-out; backups are then up to you).
    pub fn without_point_in_time_recovery(mut self) -> Self {
        self.point_in_time_recovery = false;
        self
    }
    /// Lets the table be deleted with the stack (scratch and test tables).
    pub fn allow_deletion(mut self) -> Self {
        self.deletion_protection = false;
        self
    }
    pub fn ttl_attribute(mut self, attribute: &str) -> Self {
        self.ttl_attribute = Some(attribute.into());
        self
    }

    fn keys(&self) -> impl Iterator<Item = (&Key, &'static str)> {
        std::iter::once((&self.partition_key, "HASH")).chain(self.sort_key.iter().map(|k| (k, "RANGE")))
    }
}

/// Item reads: single items, batches, queries, scans and the table's description.
pub const READ_ACTIONS: [&str; 6] = [
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
];

/// Item writes, including conditional ones (a failed condition is still a write call).
pub const WRITE_ACTIONS: [&str; 4] = [
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
];

/// Key use for reading a table under a customer-managed key: DynamoDB decrypts
/// the table key with the caller's permission.
pub const KEY_READ_ACTIONS: [&str; 2] = ["kms:Decrypt", "kms:DescribeKey"];

/// Key use for reading and writing a table under a customer-managed key.
pub const KEY_WRITE_ACTIONS: [&str; 4] = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"];

crate::refs! {
    /// What a handle to [`DynamoTable`] exposes: its attributes and grants.
    pub DynamoTableRefs
}

impl DynamoTableRefs {
    pub fn name(&self) -> Attr<kind::Name> {
        self.attr(NAME)
    }
    pub fn arn(&self) -> Attr<kind::Arn> {
        self.attr(ARN)
    }

    /// The table's ARN and its indexes' (`<arn>/index/*`): what item-level grants cover.
    fn grant_resources(&self) -> Vec<Value<kind::Arn>> {
        vec![
            self.arn().into(),
            Value::concat([self.arn().expr(), Expr::str("/index/*")]),
        ]
    }

    /// Lets `role` read items (no writes, no table management); under a
    /// customer-managed key, also [`KEY_READ_ACTIONS`] on that key.
    pub fn grant_read(&self, stack: &mut Stack, role: &Handle<IamRole>) {
        let mut statements = vec![Statement::allow()
            .actions(READ_ACTIONS)
            .resources(self.grant_resources())];
        statements.extend(self.key_statement(stack, &KEY_READ_ACTIONS));
        grant(stack, self, "read", role, statements);
    }

    /// Lets `role` read and write items (no table management, no deleting the
    /// table); under a customer-managed key, also [`KEY_WRITE_ACTIONS`] on that key.
    pub fn grant_read_write(&self, stack: &mut Stack, role: &Handle<IamRole>) {
        let actions = READ_ACTIONS.iter().chain(&WRITE_ACTIONS).copied();
        let mut statements = vec![Statement::allow().actions(actions).resources(self.grant_resources())];
        statements.extend(self.key_statement(stack, &KEY_WRITE_ACTIONS));
        grant(stack, self, "read-write", role, statements);
    }

    /// The statement on the table's customer-managed key, if it has one.
    fn key_statement(&self, stack: &Stack, actions: &[&str]) -> Option<Statement> {
        match stack.resource::<DynamoTable>(self).map(|t| &t.encryption) {
            Some(TableEncryption::CustomerManaged(key)) => Some(
                Statement::allow()
                    .actions(actions.iter().copied())
                    .resource(key.clone()),
            ),
            _ => None,
        }
    }
}

fn valid_table_name(n: &str) -> bool {
    (3..=255).contains(&n.len()) && n.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

impl Resource for DynamoTable {
    type Refs = DynamoTableRefs;

    fn kind(&self) -> &'static str {
        "DynamoTable"
    }

    fn validate(&self, c: &mut Checker<'_>) {
        let n = &self.name;
        c.ensure(valid_table_name(n), "dynamodb-table-name", || {
            format!("table name {n:?} must be 3-255 characters of letters, digits, '_', '-' and '.'")
        });
        for (key, _) in self.keys() {
            let len = key.name.len();
            c.ensure((1..=255).contains(&len), "dynamodb-key-name", || {
                format!("key attribute name {:?} must be 1-255 bytes", key.name)
            });
        }
        if let Some(sort) = &self.sort_key {
            c.ensure(sort.name != self.partition_key.name, "dynamodb-key-name", || {
                format!("sort key {:?} must differ from the partition key", sort.name)
            });
        }
        if let Billing::Provisioned {
            read_units,
            write_units,
        } = self.billing
        {
            c.range("read capacity units", read_units.into(), 1, 40_000, "dynamodb-capacity");
            c.range(
                "write capacity units",
                write_units.into(),
                1,
                40_000,
                "dynamodb-capacity",
            );
        }
        if let Some(ttl) = &self.ttl_attribute {
            c.ensure((1..=255).contains(&ttl.len()), "dynamodb-key-name", || {
                format!("TTL attribute name {ttl:?} must be 1-255 bytes")
            });
        }
    }

    fn unique_keys(&self) -> Vec<(&'static str, String, String)> {
        vec![(
            "dynamodb-table-name-unique",
            self.name.clone(),
            format!("table name {:?}", self.name),
        )]
    }

    fn cloudformation(&self, _: &RenderCx) -> Option<Vec<CfnBlock>> {
        use cfn::dynamodb::table as t;
        let definitions: Vec<_> = self
            .keys()
            .map(|(k, _)| t::AttributeDefinition::new(k.name.as_str(), k.key_type.code()))
            .collect();
        let schema: Vec<_> = self
            .keys()
            .map(|(k, role)| t::KeySchema::new(k.name.as_str(), role))
            .collect();
        let (billing_mode, provisioned_throughput) = match self.billing {
            Billing::OnDemand => ("PAY_PER_REQUEST", None),
            Billing::Provisioned {
                read_units,
                write_units,
            } => (
                "PROVISIONED",
                Some(t::ProvisionedThroughput::new(read_units, write_units)),
            ),
        };
        let sse = match &self.encryption {
            TableEncryption::AwsOwned => t::SSESpecification::new(false),
            TableEncryption::AwsManaged => t::SSESpecification::new(true).sse_type(t::SSEType::Kms),
            TableEncryption::CustomerManaged(key) => t::SSESpecification::new(true)
                .sse_type(t::SSEType::Kms)
                .kms_master_key_id(key),
        };
        let table = t::Table {
            table_name: Some(self.name.as_str().into()),
            attribute_definitions: Some(definitions.into()),
            billing_mode: Some(billing_mode.into()),
            provisioned_throughput,
            point_in_time_recovery_specification: Some(
                t::PointInTimeRecoverySpecification::new().point_in_time_recovery_enabled(self.point_in_time_recovery),
            ),
            sse_specification: Some(sse),
            deletion_protection_enabled: Some(self.deletion_protection.into()),
            time_to_live_specification: self
                .ttl_attribute
                .as_ref()
                .map(|ttl| t::TimeToLiveSpecification::new(true).attribute_name(ttl)),
            ..t::Table::new(schema)
        };
        let mut r = table.into_cfn_resource();
        if self.deletion_protection {
            r = r.retained();
        }
        Some(vec![r.into_block()])
    }

    fn terraform(&self, _: &RenderCx) -> Option<Vec<TfBlock>> {
        use tf::aws::dynamodb::dynamodb_table as t;
        let attributes: Vec<_> = self
            .keys()
            .map(|(k, _)| t::Attribute::new(k.name.as_str(), k.key_type.code()))
            .collect();
        let (billing_mode, read_capacity, write_capacity) = match self.billing {
            Billing::OnDemand => ("PAY_PER_REQUEST", None, None),
            Billing::Provisioned {
                read_units,
                write_units,
            } => ("PROVISIONED", Some(read_units.into()), Some(write_units.into())),
        };
        let sse = match &self.encryption {
            // Without the block the provider uses the AWS-owned key.
            TableEncryption::AwsOwned => None,
            TableEncryption::AwsManaged => Some(t::ServerSideEncryption::new(true)),
            TableEncryption::CustomerManaged(key) => Some(t::ServerSideEncryption::new(true).kms_key_arn(key)),
        };
        let table = t::DynamodbTable {
            hash_key: Some(self.partition_key.name.as_str().into()),
            range_key: self.sort_key.as_ref().map(|k| k.name.as_str().into()),
            attribute: Some(attributes.into()),
            billing_mode: Some(billing_mode.into()),
            read_capacity,
            write_capacity,
            point_in_time_recovery: Some(t::PointInTimeRecovery::new(self.point_in_time_recovery)),
            server_side_encryption: sse,
            deletion_protection_enabled: Some(self.deletion_protection.into()),
            ttl: self
                .ttl_attribute
                .as_ref()
                .map(|ttl| t::Ttl::new().attribute_name(ttl).enabled(true)),
            ..t::DynamodbTable::new(self.name.as_str())
        };
        Some(vec![table.into_tf_block()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{cfn_resource, problems, synth_one, tf_resource};
    use crate::App;
    use serde_json::json;

    #[test]
    fn table_defaults_are_on_demand_recoverable_encrypted_and_protected_in_both_backends() {
        let mut app = App::new();
        app.stack("S")
            .add("Items", DynamoTable::new("vault-items", Key::string("id")));
        let (cfn, tf) = synth_one(&app);
        let c = cfn_resource(&cfn, "Items");
        assert_eq!(c["DeletionPolicy"], "Retain");
        assert_eq!(c["Properties"]["BillingMode"], "PAY_PER_REQUEST");
        assert_eq!(
            c["Properties"]["KeySchema"],
            json!([{"AttributeName": "id", "KeyType": "HASH"}])
        );
        assert_eq!(
            c["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
            true
        );
        assert_eq!(
            c["Properties"]["SSESpecification"],
            json!({"SSEEnabled": true, "SSEType": "KMS"})
        );
        let t = tf_resource(&tf, "aws_dynamodb_table", "items");
        assert_eq!(t["hash_key"], "id");
        assert_eq!(t["attribute"], json!([{"name": "id", "type": "S"}]));
        assert_eq!(t["billing_mode"], "PAY_PER_REQUEST");
        assert_eq!(t["point_in_time_recovery"]["enabled"], true);
        assert_eq!(t["server_side_encryption"]["enabled"], true);
        assert_eq!(t["deletion_protection_enabled"], true);
    }

    #[test]
    fn sort_key_and_provisioned_billing_render_in_both_backends() {
        let mut app = App::new();
        let t = DynamoTable::new("t-1", Key::string("pk"))
            .sort_key(Key::number("sk"))
            .billing(Billing::Provisioned {
                read_units: 5,
                write_units: 1,
            })
            .allow_deletion();
        app.stack("S").add("T", t);
        let (cfn, tf) = synth_one(&app);
        let c = cfn_resource(&cfn, "T");
        assert!(c.get("DeletionPolicy").is_none());
        assert_eq!(
            c["Properties"]["KeySchema"][1],
            json!({"AttributeName": "sk", "KeyType": "RANGE"})
        );
        assert_eq!(c["Properties"]["ProvisionedThroughput"]["WriteCapacityUnits"], 1);
        let t = tf_resource(&tf, "aws_dynamodb_table", "t");
        assert_eq!(t["range_key"], "sk");
        assert_eq!(t["read_capacity"], 5);
    }

    #[test]
    fn grants_scope_statements_to_the_table_and_its_indexes() {
        let mut app = App::new();
        let stack = app.stack("S");
        let table = stack.add("Items", DynamoTable::new("items", Key::string("id")));
        let reader = stack.add("Reader", IamRole::for_service("ecs-tasks.amazonaws.com"));
        let writer = stack.add("Writer", IamRole::for_service("ecs-tasks.amazonaws.com"));
        table.grant_read(stack, &reader);
        table.grant_read_write(stack, &writer);
        let (cfn, tf) = synth_one(&app);
        let policy = &cfn_resource(&cfn, "Reader")["Properties"]["Policies"][0];
        assert_eq!(policy["PolicyName"], "Items-read");
        let statement = &policy["PolicyDocument"]["Statement"][0];
        assert_eq!(statement["Action"].as_array().unwrap().len(), READ_ACTIONS.len());
        assert_eq!(
            statement["Resource"],
            json!([{"Fn::GetAtt": ["Items", "Arn"]}, {"Fn::Sub": "${Items.Arn}/index/*"}])
        );
        let written = &cfn_resource(&cfn, "Writer")["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0];
        assert!(written["Action"]
            .as_array()
            .unwrap()
            .contains(&json!("dynamodb:PutItem")));
        assert!(!written["Action"]
            .as_array()
            .unwrap()
            .contains(&json!("dynamodb:DeleteTable")));
        let tf_policy = crate::testing::tf_json_string(
            &tf_resource(&tf, "aws_iam_role_policy", "writer_items_read_write")["policy"],
        );
        assert_eq!(
            tf_policy["Statement"][0]["Resource"],
            json!([
                "${aws_dynamodb_table.items.arn}",
                "${aws_dynamodb_table.items.arn}/index/*"
            ])
        );
    }

    #[test]
    fn grants_on_a_table_under_a_customer_key_include_just_the_key_use_needed() {
        let mut app = App::new();
        let stack = app.stack("S");
        let key = stack.add(
            "Key",
            crate::kms::KmsKey::new("k").usable_by([crate::kms::KeyUser::DynamoDb]),
        );
        let table = stack.add("Items", DynamoTable::new("items", Key::string("id")).kms_key(key.arn()));
        let reader = stack.add("Reader", IamRole::for_service("ecs-tasks.amazonaws.com"));
        let writer = stack.add("Writer", IamRole::for_service("ecs-tasks.amazonaws.com"));
        table.grant_read(stack, &reader);
        table.grant_read_write(stack, &writer);
        let (cfn, tf) = synth_one(&app);
        assert_eq!(
            cfn_resource(&cfn, "Items")["Properties"]["SSESpecification"],
            json!({"SSEEnabled": true, "SSEType": "KMS", "KMSMasterKeyId": {"Fn::GetAtt": ["Key", "Arn"]}})
        );
        let read = &cfn_resource(&cfn, "Reader")["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][1];
        assert_eq!(read["Action"], json!(["kms:Decrypt", "kms:DescribeKey"]));
        assert_eq!(read["Resource"], json!([{"Fn::GetAtt": ["Key", "Arn"]}]));
        let write = crate::testing::tf_json_string(
            &tf_resource(&tf, "aws_iam_role_policy", "writer_items_read_write")["policy"],
        );
        assert_eq!(
            write["Statement"][1],
            json!({"Effect": "Allow", "Action": KEY_WRITE_ACTIONS, "Resource": ["${aws_kms_key.key.arn}"]})
        );
    }

    #[test]
    fn bad_table_settings_are_reported_with_the_path() {
        let mut app = App::new();
        let stack = app.stack("S");
        stack.add("A", DynamoTable::new("x", Key::string("id")));
        stack.add(
            "B",
            DynamoTable::new("ok-name", Key::string("id")).sort_key(Key::string("id")),
        );
        stack.add(
            "C",
            DynamoTable::new("ok-name", Key::string("id")).billing(Billing::Provisioned {
                read_units: 0,
                write_units: 1,
            }),
        );
        assert_eq!(
            problems(&app),
            [
                ("S/A".to_string(), "dynamodb-table-name"),
                ("S/B".to_string(), "dynamodb-key-name"),
                ("S/C".to_string(), "dynamodb-capacity"),
                ("S/C".to_string(), "dynamodb-table-name-unique"),
            ]
        );
    }
}
