//! Project automation, run as `cargo xtask <task>`.
//!
//! - `cargo xtask ci`: exactly what CI runs, by running `.ci/run`: test
//!   databases, formatting, lints and the test suite (which includes tidy).
//! - `cargo xtask tidy`: the architecture and hygiene checks alone.
//! - `cargo xtask conformance`: public SCIM conformance tools run against
//!   the real server, with a report (see `docs/conformance.md`).
//! - `cargo xtask bench`: a side-by-side benchmark of the server, a bare
//!   HTTP ceiling and (with `--peers`) other SCIM servers (see
//!   `BENCHMARKS.md`).
//! - `cargo xtask fuzz`: bounded runs of the cargo-fuzz targets, or a
//!   replay of their seed corpora (`--check`).
//! - `cargo xtask deny`: the dependency policy of `deny.toml`.
//! - `cargo xtask soak`: the server under a steady identity-provider load,
//!   watched for errors, memory growth and slowing down (see
//!   `docs/reliability.md`).

mod bench;
mod conformance;
mod deny;
mod fuzz;
mod process;
mod soak;
mod tidy;
mod tools;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("tidy") => run_tidy(),
        Some("conformance") => conformance::run(&workspace_root(), &args[1..]),
        Some("bench") => bench::run(&workspace_root(), &args[1..]),
        Some("fuzz") => fuzz::run(&workspace_root(), &args[1..]),
        Some("deny") => deny::run(&workspace_root(), &args[1..]),
        Some("soak") => soak::run(&workspace_root(), &args[1..]),
        // Started by `bench` itself; not in the usage text.
        Some(bench::CEILING_SUBCOMMAND) => bench::serve_ceiling(&args[1..]),
        Some("help") | Some("--help") | Some("-h") | None => {
            println!("{}", usage());
            Ok(())
        }
        Some(other) => Err(format!("unknown task {other:?}\n\n{}", usage())),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  ci     what CI runs (.ci/run): test databases, cargo fmt --check,
         cargo clippy -D warnings, cargo test --workspace
  tidy   dependency direction and source hygiene checks";

/// The usage text of every task.
fn usage() -> String {
    [
        USAGE,
        conformance::USAGE,
        bench::USAGE,
        soak::USAGE,
        fuzz::USAGE,
        deny::USAGE,
    ]
    .join("\n")
}

fn ci() -> Result<(), String> {
    let root = workspace_root();
    let status = Command::new("bash")
        .arg(root.join(".ci").join("run"))
        .current_dir(&root)
        .status()
        .map_err(|e| format!("cannot run .ci/run: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(".ci/run failed".to_owned())
    }
}

fn run_tidy() -> Result<(), String> {
    let root = workspace_root();
    let problems = tidy::check_workspace(&root)?;
    if problems.is_empty() {
        eprintln!("xtask: tidy: ok");
        return Ok(());
    }
    for problem in &problems {
        eprintln!("tidy: {problem}");
    }
    Err(format!("tidy found {} problem(s)", problems.len()))
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}
