//! Replays every file of `corpus/<target>/` through its target once,
//! without libFuzzer: the corpus is a regression test that runs on stable
//! Rust with `cargo test --no-default-features` (`cargo xtask fuzz --check`).

use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// The files of a target's corpus folder, sorted.
fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("a readable folder entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

/// Runs `target` on every corpus file and fails naming each one that panics.
fn replay(name: &str) {
    let (_, target) = scim_fuzz::TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .expect("a known target");
    let files = corpus(name);
    assert!(!files.is_empty(), "corpus/{name} is empty");
    let failed: Vec<String> = files
        .iter()
        .filter(|file| {
            let data = fs::read(file).expect("a readable corpus file");
            catch_unwind(AssertUnwindSafe(|| target(&data))).is_err()
        })
        .map(|file| file.display().to_string())
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} inputs of {name} failed:\n{}",
        failed.len(),
        files.len(),
        failed.join("\n")
    );
}

#[test]
fn filter_parse_corpus() {
    replay("filter_parse");
}

#[test]
fn patch_apply_corpus() {
    replay("patch_apply");
}

#[test]
fn resource_validate_corpus() {
    replay("resource_validate");
}

/// Every binary in `fuzz_targets/` is listed in `TARGETS` and has a test
/// above, so that a new target cannot go without its corpus.
#[test]
fn every_target_is_replayed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz_targets");
    let mut binaries: Vec<String> = fs::read_dir(&dir)
        .expect("fuzz_targets/ is readable")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            (path.extension()? == "rs").then(|| path.file_stem()?.to_str().map(str::to_owned))?
        })
        .collect();
    binaries.sort();
    let mut listed: Vec<String> = scim_fuzz::TARGETS
        .iter()
        .map(|(name, _)| (*name).to_owned())
        .collect();
    listed.sort();
    assert_eq!(binaries, listed);
    let source = include_str!("corpus.rs");
    for name in listed {
        assert!(
            source.contains(&format!("replay(\"{name}\")")),
            "no test replays {name}"
        );
    }
}
