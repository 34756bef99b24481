//! The properties the fuzz targets check, as plain functions: the
//! libFuzzer binaries in `fuzz_targets/` call them, and `tests/corpus.rs`
//! replays every file of `corpus/<target>/` through them without libFuzzer,
//! so that the corpus is also a regression test on stable Rust.
//!
//! Each function takes one input and panics when a property fails.

mod filter_parse;
mod fixtures;
mod patch_apply;
mod resource_validate;

pub use filter_parse::filter_parse;
pub use patch_apply::patch_apply;
pub use resource_validate::resource_validate;

/// Every target, by the name of its binary and of its corpus folder.
pub const TARGETS: [(&str, fn(&[u8])); 3] = [
    ("filter_parse", filter_parse),
    ("patch_apply", patch_apply),
    ("resource_validate", resource_validate),
];
