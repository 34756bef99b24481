//! End-to-end tests: one binary, one module per topic.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod admin_api;
mod backends;
mod bulk;
mod hostile;
mod idp_entra;
mod idp_okta;
mod idp_others;
mod idp_support;
mod isolation;
mod oauth;
mod ops;
mod outage;
mod paging;
mod protocol;
mod races;
mod schemas;
mod secrets;
mod skeleton;
mod slow_clients;
mod webhooks;
