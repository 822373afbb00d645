//! The API contract against the embedded (redb) store, in-process.

mod support;

contract_tests!(support::embedded);
