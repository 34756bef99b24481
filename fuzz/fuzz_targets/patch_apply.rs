//! Fuzzes PATCH application (`scim_fuzz::patch_apply`).
//!
//! `cargo xtask fuzz --target patch_apply` runs it; see docs/development.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| scim_fuzz::patch_apply(data));
