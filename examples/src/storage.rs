//! Where an application keeps things: an S3 bucket, a DynamoDB table, a log
//! group, an ECR repository, a security group and a role that may use the
//! table and the bucket, and nothing else. Every resource type here can be
//! created by Terraform against moto, so the test suite deploys and destroys
//! it for real (`examples/tests/deploy_moto.rs`).
//!
//! Run: `cargo run -p examples --bin storage -- diff` (then `deploy`, `destroy`).

use constructs::prelude::*;

pub fn app() -> App {
    let mut app = App::new();
    let stack = app.stack("Storage");
    stack.set_description("Storage for an application: bucket, table, logs, images, a role to use them");
    let vpc = stack.add("Vpc", VpcLookup::by_name_tag("main"));
    let bucket = stack.add("Uploads", Bucket::new());
    // A sample to deploy and destroy: deletion protection off, so `destroy`
    // removes the table (keep the default, on, for data you care about).
    let table = stack.add(
        "Items",
        DynamoTable::new("storage-example-items", Key::string("id")).allow_deletion(),
    );
    stack.add("Logs", LogGroup::new("/storage-example/app"));
    let repo = stack.add("Images", EcrRepo::new("storage-example"));
    let sg = stack.add("Workers", SecurityGroup::new("storage example workers", vpc.id()));
    let role = stack.add("WorkerRole", IamRole::for_service("ecs-tasks.amazonaws.com"));
    table.grant_read_write(stack, &role);
    bucket.grant_read(stack, &role);
    stack.output("BucketName", bucket.name(), "Uploaded files");
    stack.output("TableName", table.name(), "Items");
    stack.output("RepositoryUri", repo.uri(), "Where to push images");
    stack.output("WorkersSecurityGroupId", sg.id(), "Attach to the workers");
    stack.output("WorkerRoleArn", role.arn(), "The role workers run as");
    app
}
