//! `cargo xtask fuzz`: bounded runs of the cargo-fuzz targets of `fuzz/`.
//!
//! 1. cargo-fuzz is installed at a pinned version if missing.
//! 2. The targets are built with cargo-fuzz's settings (release, debug
//!    assertions, libFuzzer's coverage instrumentation) into
//!    `<target>/fuzz/build`. cargo-fuzz passes `-Z` flags to rustc, which a
//!    stable toolchain accepts with `RUSTC_BOOTSTRAP=1`; the project builds
//!    on stable only. No sanitizer by default: the workspace forbids
//!    `unsafe`, and AddressSanitizer costs about five times the executions
//!    per second (`--sanitizer address` turns it on).
//! 3. Each target runs for `--seconds`, starting from its seed corpus
//!    (`fuzz/corpus/<target>/`, replayed first, so a regression fails at
//!    once) and from what earlier runs found (`<target>/fuzz/corpus/`,
//!    where libFuzzer also writes what it finds now: the seeds are never
//!    touched). A crash, a panic or an input that takes longer than
//!    [`INPUT_TIMEOUT_SECONDS`] fails the task; libFuzzer saves the input
//!    under `fuzz/artifacts/<target>/`.
//! 4. A table of executions, new inputs and coverage per target is printed
//!    and written to `<target>/fuzz/report.json`, libFuzzer's output to
//!    `<target>/fuzz/<name>.log`.
//!
//! `--check` only replays the seed corpora, without libFuzzer: `cargo test`
//! of `fuzz/tests/corpus.rs`, on stable, with nothing to install.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{Value, json};

use crate::process::{cargo, run_checked, target_dir};
use crate::tools::Tool;

/// The cargo-fuzz release the targets are built with.
const CARGO_FUZZ: Tool = Tool {
    package: "cargo-fuzz",
    subcommand: "fuzz",
    version: "0.13.2",
};

/// Seconds per target of a run without `--seconds`.
const DEFAULT_SECONDS: u64 = 60;
/// The longest one input may take: libFuzzer reports a slower one as a
/// timeout, which fails the run like a crash.
const INPUT_TIMEOUT_SECONDS: u64 = 10;

/// Usage of the task, shown by `cargo xtask help`.
pub(crate) const USAGE: &str =
    "  fuzz [--seconds N] [--target NAME] [--sanitizer none|address] [--check]
         run each cargo-fuzz target of fuzz/ for --seconds seconds (60),
         from its seed corpus fuzz/corpus/<target>/ and what earlier runs
         found (<target>/fuzz/corpus/); fails on a panic, a crash or an
         input slower than 10 s, saved under fuzz/artifacts/<target>/.
         Installs cargo-fuzz 0.13.2 if missing; builds on stable Rust with
         RUSTC_BOOTSTRAP=1, without a sanitizer unless --sanitizer address.
         Writes <target>/fuzz/report.json.
         --check: only replay every seed corpus file through its target
         once, without libFuzzer (cargo test in fuzz/).
         --target: one of filter_parse, patch_apply, resource_validate";

/// The command line, parsed.
#[derive(Debug, PartialEq, Eq)]
struct Settings {
    seconds: u64,
    target: Option<String>,
    sanitizer: String,
    check: bool,
}

fn parse(args: &[String]) -> Result<Settings, String> {
    let mut settings = Settings {
        seconds: DEFAULT_SECONDS,
        target: None,
        sanitizer: "none".to_owned(),
        check: false,
    };
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        let mut value = || {
            iter.next()
                .cloned()
                .ok_or_else(|| format!("fuzz: {flag} needs a value"))
        };
        match flag.as_str() {
            "--seconds" => {
                let text = value()?;
                settings.seconds = text.parse().ok().filter(|&s| s > 0).ok_or_else(|| {
                    format!("fuzz: --seconds takes a positive number, not {text:?}")
                })?;
            }
            "--target" => settings.target = Some(value()?),
            "--sanitizer" => {
                let text = value()?;
                if !["none", "address"].contains(&text.as_str()) {
                    return Err(format!(
                        "fuzz: --sanitizer is none or address, not {text:?}"
                    ));
                }
                settings.sanitizer = text;
            }
            "--check" => settings.check = true,
            other => return Err(format!("fuzz: unexpected argument {other:?}\n\n{USAGE}")),
        }
    }
    Ok(settings)
}

/// Runs the task with the arguments after `fuzz`.
pub(crate) fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let settings = parse(args)?;
    let fuzz_dir = root.join("fuzz");
    let all = targets(&fuzz_dir)?;
    let chosen: Vec<String> = match &settings.target {
        None => all,
        Some(name) if all.contains(name) => vec![name.clone()],
        Some(name) => {
            return Err(format!(
                "fuzz: no target {name:?}; one of {}",
                all.join(", ")
            ));
        }
    };
    if settings.check {
        return check(&fuzz_dir, settings.target.as_deref());
    }

    CARGO_FUZZ.ensure("fuzz")?;
    let out = target_dir(root)?.join("fuzz");
    let build_dir = out.join("build");
    fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;

    let started = Instant::now();
    let mut build = fuzz_command(root, "build", &settings.sanitizer, &build_dir);
    build.args(&settings.target);
    eprintln!(
        "xtask: fuzz: cargo fuzz build --sanitizer {} (RUSTC_BOOTSTRAP=1)",
        settings.sanitizer
    );
    run_checked(&mut build, "build the fuzz targets")?;
    let build_seconds = started.elapsed().as_secs_f64();

    let mut results = Vec::new();
    for name in &chosen {
        eprintln!("xtask: fuzz: {name} for {} s", settings.seconds);
        results.push(run_target(root, &out, &build_dir, name, &settings)?);
    }

    println!("{}", table(&results));
    let report = json!({
        "sanitizer": settings.sanitizer,
        "seconds_per_target": settings.seconds,
        "build_seconds": (build_seconds * 10.0).round() / 10.0,
        "cargo_fuzz": CARGO_FUZZ.version,
        "targets": results.iter().map(TargetRun::json).collect::<Vec<Value>>(),
    });
    let report_path = out.join("report.json");
    let text = serde_json::to_string_pretty(&report)
        .map_err(|e| format!("cannot render the report: {e}"))?;
    fs::write(&report_path, text + "\n")
        .map_err(|e| format!("cannot write {}: {e}", report_path.display()))?;
    println!("report: {}", report_path.display());

    let failed: Vec<String> = results
        .iter()
        .filter_map(|r| r.failure.as_ref().map(|f| format!("{}: {f}", r.name)))
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "fuzzing found a failure: {}. Reproduce with `RUSTC_BOOTSTRAP=1 cargo fuzz run \
             --sanitizer {} <target> <input>`; once fixed, add the input to \
             fuzz/corpus/<target>/",
            failed.join("; "),
            settings.sanitizer
        ))
    }
}

/// The targets: the files of `fuzz/fuzz_targets/`, sorted.
fn targets(fuzz_dir: &Path) -> Result<Vec<String>, String> {
    let dir = fuzz_dir.join("fuzz_targets");
    let entries = fs::read_dir(&dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut names: Vec<String> = entries
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            if path.extension()? != "rs" {
                return None;
            }
            path.file_stem()?.to_str().map(str::to_owned)
        })
        .collect();
    names.sort();
    if names.is_empty() {
        return Err(format!("{} holds no fuzz target", dir.display()));
    }
    Ok(names)
}

/// Replays the seed corpora without libFuzzer.
fn check(fuzz_dir: &Path, target: Option<&str>) -> Result<(), String> {
    let mut test = cargo();
    test.arg("test")
        .arg("--manifest-path")
        .arg(fuzz_dir.join("Cargo.toml"))
        .args(["--no-default-features", "--locked", "--test", "corpus"]);
    if let Some(name) = target {
        test.arg(format!("{name}_corpus"));
    }
    eprintln!("xtask: fuzz: replaying the seed corpora (cargo test in fuzz/)");
    run_checked(&mut test, "replay the seed corpora")
}

/// `cargo fuzz <verb>` with the project's settings.
fn fuzz_command(
    root: &Path,
    verb: &str,
    sanitizer: &str,
    build_dir: &Path,
) -> std::process::Command {
    let mut command = CARGO_FUZZ.command();
    command
        .args([verb, "--sanitizer", sanitizer, "--target-dir"])
        .arg(build_dir)
        // Stable rustc accepts cargo-fuzz's -Z flags with this set.
        .env("RUSTC_BOOTSTRAP", "1")
        .current_dir(root);
    command
}

/// One target's run.
struct TargetRun {
    name: String,
    seconds: u64,
    seeds: usize,
    stats: Stats,
    failure: Option<String>,
    log: PathBuf,
}

impl TargetRun {
    fn json(&self) -> Value {
        json!({
            "target": self.name,
            "seconds": self.seconds,
            "seed_inputs": self.seeds,
            "executions": self.stats.executions,
            "executions_per_second": self.stats.executions_per_second,
            "new_inputs": self.stats.new_units,
            "corpus_inputs": self.stats.corpus,
            "coverage": self.stats.coverage,
            "peak_rss_mb": self.stats.peak_rss_mb,
            "failure": self.failure,
            "log": self.log.display().to_string(),
        })
    }
}

/// Runs one target for the settings' time.
fn run_target(
    root: &Path,
    out: &Path,
    build_dir: &Path,
    name: &str,
    settings: &Settings,
) -> Result<TargetRun, String> {
    let found = out.join("corpus").join(name);
    fs::create_dir_all(&found).map_err(|e| format!("cannot create {}: {e}", found.display()))?;
    let seeds_dir = root.join("fuzz").join("corpus").join(name);
    let seeds = fs::read_dir(&seeds_dir)
        .map_err(|e| format!("cannot read {}: {e}", seeds_dir.display()))?
        .count();
    let log = out.join(format!("{name}.log"));
    let log_file =
        File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    let log_err = log_file
        .try_clone()
        .map_err(|e| format!("cannot share {}: {e}", log.display()))?;
    let mut command = fuzz_command(root, "run", &settings.sanitizer, build_dir);
    // libFuzzer writes new inputs to the first folder only.
    command
        .arg(name)
        .arg(&found)
        .arg(&seeds_dir)
        .arg("--")
        .arg(format!("-max_total_time={}", settings.seconds))
        .arg(format!("-timeout={INPUT_TIMEOUT_SECONDS}"))
        .arg("-print_final_stats=1")
        .stdout(log_file)
        .stderr(log_err);
    let status = command
        .status()
        .map_err(|e| format!("cannot run cargo fuzz: {e}"))?;
    let text = fs::read_to_string(&log).unwrap_or_default();
    let stats = parse_stats(&text);
    let failure = (!status.success()).then(|| {
        let input = failing_input(&text).unwrap_or_else(|| "no input saved".to_owned());
        eprintln!("{}", last_lines(&text, 30));
        format!("{status}, input {input} (log: {})", log.display())
    });
    Ok(TargetRun {
        name: name.to_owned(),
        seconds: settings.seconds,
        seeds,
        stats,
        failure,
        log,
    })
}

/// What libFuzzer printed about a run.
#[derive(Debug, Default, PartialEq, Eq)]
struct Stats {
    executions: Option<u64>,
    executions_per_second: Option<u64>,
    new_units: Option<u64>,
    peak_rss_mb: Option<u64>,
    /// Edges covered (`cov:` of the last status line).
    coverage: Option<u64>,
    /// Inputs in the corpus (`corp:` of the last status line).
    corpus: Option<u64>,
}

/// Reads `-print_final_stats=1`'s `stat::` lines and the last status line.
fn parse_stats(log: &str) -> Stats {
    let stat = |key: &str| {
        log.lines().find_map(|line| {
            line.strip_prefix("stat::")?
                .strip_prefix(key)?
                .strip_prefix(':')?
                .trim()
                .parse()
                .ok()
        })
    };
    let status = log.lines().rev().find(|line| line.contains(" cov: "));
    let after = |key: &str| -> Option<u64> {
        let rest = status?.split(key).nth(1)?.trim_start();
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    };
    Stats {
        executions: stat("number_of_executed_units"),
        executions_per_second: stat("average_exec_per_sec"),
        new_units: stat("new_units_added"),
        peak_rss_mb: stat("peak_rss_mb"),
        coverage: after(" cov:"),
        corpus: after(" corp:"),
    }
}

/// Where libFuzzer saved the input that failed.
fn failing_input(log: &str) -> Option<String> {
    log.lines().find_map(|line| {
        line.split_once("Test unit written to ")
            .map(|(_, path)| path.trim().to_owned())
    })
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The results as a text table.
fn table(results: &[TargetRun]) -> String {
    let show = |v: Option<u64>| v.map_or_else(|| "-".to_owned(), |v| v.to_string());
    let mut out = format!(
        "{:<20} {:>7} {:>11} {:>8} {:>6} {:>9} {:>7} {:>8}  result\n",
        "target", "seconds", "executions", "exec/s", "seeds", "new", "corpus", "coverage"
    );
    for r in results {
        out.push_str(&format!(
            "{:<20} {:>7} {:>11} {:>8} {:>6} {:>9} {:>7} {:>8}  {}\n",
            r.name,
            r.seconds,
            show(r.stats.executions),
            show(r.stats.executions_per_second),
            r.seeds,
            show(r.stats.new_units),
            show(r.stats.corpus),
            show(r.stats.coverage),
            r.failure.as_deref().map_or("ok", |_| "FAILED")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn flags_are_parsed_and_checked() {
        let s = parse(&[]).unwrap();
        assert_eq!(
            s,
            Settings {
                seconds: 60,
                target: None,
                sanitizer: "none".to_owned(),
                check: false
            }
        );
        let s = parse(&args(
            "--seconds 20 --target patch_apply --sanitizer address",
        ))
        .unwrap();
        assert_eq!(s.seconds, 20);
        assert_eq!(s.target.as_deref(), Some("patch_apply"));
        assert_eq!(s.sanitizer, "address");
        assert!(parse(&args("--check")).unwrap().check);
        assert!(parse(&args("--seconds 0")).is_err());
        assert!(parse(&args("--seconds")).is_err());
        assert!(parse(&args("--sanitizer memory")).is_err());
        assert!(parse(&args("--runs 5")).is_err());
    }

    #[test]
    fn the_targets_are_the_files_of_fuzz_targets() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
        let names = targets(&root).unwrap();
        assert!(names.contains(&"filter_parse".to_owned()));
        assert!(names.contains(&"resource_validate".to_owned()));
        for name in &names {
            assert!(
                root.join("corpus").join(name).is_dir(),
                "fuzz/corpus/{name} is missing"
            );
        }
    }

    #[test]
    fn libfuzzer_statistics_are_read() {
        let log = "#2\tINITED cov: 620 ft: 620 corp: 1/1b exec/s: 0 rss: 37Mb\n\
                   #54286\tDONE   cov: 1370 ft: 3298 corp: 412/9054b lim: 4096 exec/s: 4935 rss: 47Mb\n\
                   Done 54286 runs in 11 second(s)\n\
                   stat::number_of_executed_units: 54286\n\
                   stat::average_exec_per_sec:     4935\n\
                   stat::new_units_added:          411\n\
                   stat::slowest_unit_time_sec:    0\n\
                   stat::peak_rss_mb:              477\n";
        assert_eq!(
            parse_stats(log),
            Stats {
                executions: Some(54_286),
                executions_per_second: Some(4_935),
                new_units: Some(411),
                peak_rss_mb: Some(477),
                coverage: Some(1_370),
                corpus: Some(412),
            }
        );
        assert_eq!(parse_stats("nothing"), Stats::default());
    }

    #[test]
    fn the_failing_input_is_found() {
        let log = "thread '<unnamed>' panicked at src/filter_parse.rs:12:9\n\
                   ==1234== ERROR: libFuzzer: deadly signal\n\
                   artifact_prefix='/w/fuzz/artifacts/filter_parse/'; \
                   Test unit written to /w/fuzz/artifacts/filter_parse/crash-da39a3ee\n";
        assert_eq!(
            failing_input(log).as_deref(),
            Some("/w/fuzz/artifacts/filter_parse/crash-da39a3ee")
        );
        assert_eq!(failing_input("Done 5 runs"), None);
    }
}
