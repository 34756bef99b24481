//! Fuzzes the filter and PATCH path parsers (`scim_fuzz::filter_parse`).
//!
//! `cargo xtask fuzz --target filter_parse` runs it; see docs/development.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| scim_fuzz::filter_parse(data));
