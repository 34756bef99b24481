//! Fuzzes resource validation (`scim_fuzz::resource_validate`).
//!
//! `cargo xtask fuzz --target resource_validate` runs it; see
//! docs/development.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| scim_fuzz::resource_validate(data));
