//! `cargo xtask deny`: the dependency policy of `deny.toml`, checked by
//! cargo-deny (installed at a pinned version when missing): licenses,
//! banned and duplicate crates, sources, and security advisories.
//!
//! Advisories come from the RustSec database, which cargo-deny clones from
//! GitHub. Where that cannot be fetched the advisories check is skipped,
//! and the task says so, rather than failing every run on such a machine;
//! the other checks need nothing from the network beyond crates.io.

use std::path::Path;
use std::process::Stdio;

use crate::process::run_checked;
use crate::tools::Tool;

/// The cargo-deny release `deny.toml` is written for.
const CARGO_DENY: Tool = Tool {
    package: "cargo-deny",
    subcommand: "deny",
    version: "0.20.2",
};

/// Usage of the task, shown by `cargo xtask help`.
pub(crate) const USAGE: &str =
    "  deny   cargo deny check with deny.toml (cargo-deny 0.20.2, installed if
         missing): licenses, bans, sources and, when the RustSec advisory
         database can be fetched from GitHub, advisories (skipped with a
         message otherwise)";

/// Runs the task with the arguments after `deny` (there are none).
pub(crate) fn run(root: &Path, args: &[String]) -> Result<(), String> {
    if let Some(arg) = args.first() {
        return Err(format!("deny: unexpected argument {arg:?}\n\n{USAGE}"));
    }
    CARGO_DENY.ensure("deny")?;
    let mut checks = vec!["bans", "licenses", "sources"];
    match fetch_advisories(root) {
        Ok(()) => checks.insert(0, "advisories"),
        Err(reason) => eprintln!(
            "xtask: deny: advisories SKIPPED: the RustSec advisory database could not be \
             fetched ({reason}); licenses, bans and sources are still checked"
        ),
    }
    eprintln!("xtask: deny: cargo deny check {}", checks.join(" "));
    let mut check = CARGO_DENY.command();
    // The graphs of the duplicate-version warnings run to hundreds of
    // lines; `cargo deny check` without the flag shows them.
    check
        .args(["--locked", "check", "--hide-inclusion-graph"])
        .args(&checks)
        .current_dir(root);
    run_checked(&mut check, "pass cargo deny check")
}

/// Fetches (or updates) the advisory database; the error is cargo-deny's
/// last line about it.
fn fetch_advisories(root: &Path) -> Result<(), String> {
    let output = CARGO_DENY
        .command()
        .args(["fetch", "db"])
        .current_dir(root)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run cargo deny: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    Err(last_error(&stderr).unwrap_or_else(|| format!("cargo deny fetch db: {}", output.status)))
}

/// The most telling line of a failed fetch: git's `fatal:` line if there is
/// one (it names the host it could not reach), else the last non-empty line.
fn last_error(stderr: &str) -> Option<String> {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines
        .iter()
        .rev()
        .find(|l| l.starts_with("fatal:"))
        .or(lines.last())
        .map(|l| (*l).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fetch_error_names_the_cause() {
        let stderr = "[ERROR] failed to fetch database: failed to clone\n\
                      Cloning into '/root/.cargo/advisory-dbs/advisory-db-1'...\n\
                      fatal: unable to access 'https://github.com/RustSec/advisory-db/': \
                      Could not resolve host: github.com\n\n";
        assert_eq!(
            last_error(stderr).as_deref(),
            Some(
                "fatal: unable to access 'https://github.com/RustSec/advisory-db/': \
                 Could not resolve host: github.com"
            )
        );
        assert_eq!(last_error("error: no\nsecond\n").as_deref(), Some("second"));
        assert_eq!(last_error("\n \n"), None);
    }
}
