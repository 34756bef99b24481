//! End-to-end tests: one binary, one module per topic.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod backends;
mod bulk;
mod ops;
mod paging;
mod protocol;
mod skeleton;
