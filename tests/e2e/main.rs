//! End-to-end tests: one binary, one module per topic.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod backends;
mod bulk;
mod hostile;
mod idp_entra;
mod idp_okta;
mod idp_others;
mod idp_support;
mod oauth;
mod ops;
mod paging;
mod protocol;
mod schemas;
mod secrets;
mod skeleton;
