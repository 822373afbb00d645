//! The smallest useful stack: a private, encrypted, versioned bucket and its name.
//!
//! Run: `cargo run -p examples --bin minimal -- synth`

use constructs::prelude::*;
use constructs::s3::Bucket;

pub fn app() -> App {
    let mut app = App::new();
    let stack = app.stack("Minimal");
    stack.set_description("A private S3 bucket with safe defaults");
    let bucket = stack.add("Files", Bucket::new());
    stack.output("BucketName", bucket.name(), "Name of the bucket");
    app
}
