//! `cargo xtask bench`: a reproducible side-by-side benchmark.
//!
//! 1. `cargo build --release -p scim-server` (the debug build with
//!    `--smoke` or `--debug`), then the server starts on a free loopback
//!    port with a fresh store (a temporary SQLite folder, or a database
//!    created for the run with `--database-url`), rate limiting off and a
//!    bootstrap token chosen here.
//! 2. It is seeded through the SCIM API: `--users` users by `/Bulk` (the
//!    bulk-load workload), then each workload runs with `--concurrency`
//!    clients for `--requests` requests or `--seconds` seconds: create,
//!    get, filter, patch, put, list by index, list by cursor and group
//!    growth (`workloads.rs`). Answers are checked; a wrong one is an error.
//! 3. Around each workload the server's CPU time is read from
//!    `/proc/<pid>/stat`, and its resident memory after it from
//!    `/proc/<pid>/status` (`procfs.rs`).
//! 4. The ceiling (`ceiling.rs`), a bare axum endpoint in its own process,
//!    gets the same GET-by-id load.
//! 5. With `--peers`, public SCIM servers are installed from their
//!    registries and measured the same way (`peers.rs`).
//! 6. The report goes to standard output and to `<target>/bench/report.md`
//!    and `report.json`; the task fails if any answer was wrong.
//!
//! All traffic goes to loopback addresses, and every loop is bounded in
//! requests and in time. `BENCHMARKS.md` shows a run and explains the method.

// The modules `cargo xtask soak` reuses are visible to the crate.
pub(crate) mod args;
mod ceiling;
pub(crate) mod database;
pub(crate) mod load;
mod peers;
pub(crate) mod procfs;
mod report;
pub(crate) mod stats;
pub(crate) mod targets;
pub(crate) mod workloads;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

pub(crate) use args::USAGE;
pub(crate) use ceiling::{SUBCOMMAND as CEILING_SUBCOMMAND, serve as serve_ceiling};

use args::{Profile, Settings, Workload};
use database::{Engine, FreshDatabase};
use load::Http;
use peers::Peer;
use report::{Report, Role, TargetReport, WorkloadResult};
use targets::Store;
use workloads::{SeedUser, Target};

use crate::process::{built, cargo, exe, run_checked, run_token, source_version, target_dir};

/// Runs the task with the arguments after `bench`.
pub(crate) fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let settings = args::parse(args)?;
    let target = target_dir(root)?;
    let out_dir = target.join("bench");
    if out_dir.exists() {
        fs::remove_dir_all(&out_dir)
            .map_err(|e| format!("cannot clear {}: {e}", out_dir.display()))?;
    }
    fs::create_dir_all(&out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;

    let token = run_token("bench");
    let ticks = procfs::clock_ticks_per_second();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    let source = source_version(root);
    let context = Context {
        settings: &settings,
        token: &token,
        ticks_per_second: ticks,
    };
    let mut reports = Vec::new();

    // This project's server.
    if settings.targets.contains(&args::OURS) {
        let binary = build_server(root, &target, settings.profile, "bench")?;
        let (store, store_words) = match &settings.database_url {
            None => (
                Store::Sqlite(
                    std::env::temp_dir().join(format!("scim-bench-{}", std::process::id())),
                ),
                "SQLite in a fresh temporary folder".to_owned(),
            ),
            Some(url) => {
                let db = FreshDatabase::create(url)?;
                let engine = match db.engine() {
                    Engine::Postgres => "PostgreSQL",
                    Engine::MySql => "MySQL/MariaDB",
                };
                let words = format!(
                    "{engine}, a database created for the run (the database server's own CPU \
                     time is not counted)"
                );
                (Store::Database(db), words)
            }
        };
        let description = format!(
            "{} build ({source}), {store_words}, default log level (one line per request, to a file)",
            settings.profile.dir()
        );
        eprintln!("xtask: bench: scim-server ({store_words})");
        match targets::start_ours(&binary, store, &token, &out_dir.join("scim-server.log")) {
            Ok(server) => {
                let base = format!("http://{}/scim/v2", server.addr);
                let report = runtime.block_on(measure(
                    &context,
                    "scim-server",
                    Role::Ours,
                    description,
                    server.pid(),
                    &base,
                ));
                drop(server);
                reports.push(report);
            }
            Err(e) => reports.push(TargetReport::failed(
                "scim-server",
                Role::Ours,
                description,
                format!("the server did not start: {e}"),
            )),
        }
    }

    // The ceiling, for GET by id.
    if settings.targets.contains(&args::CEILING) && settings.workloads.contains(&Workload::Get) {
        eprintln!("xtask: bench: ceiling");
        let description =
            "a bare axum endpoint: this task's own binary in a separate process, one tokio \
             worker per core like the server, no authentication, storage or validation"
                .to_owned();
        let report = match targets::start_ceiling(&out_dir.join("ceiling.log")) {
            Ok(server) => {
                let base = format!("http://{}/scim/v2", server.addr);
                let report = runtime.block_on(measure_ceiling(
                    description,
                    server.pid(),
                    &base,
                    &settings,
                    ticks,
                ));
                drop(server);
                report
            }
            Err(e) => TargetReport::failed("ceiling", Role::Ceiling, description, e),
        };
        reports.push(report);
    }

    // The peers.
    if settings.peers {
        let peers_dir = target.join("bench-peers");
        for peer in Peer::ALL
            .into_iter()
            .filter(|p| settings.targets.contains(&p.name()))
        {
            eprintln!("xtask: bench: {}", peer.name());
            let installed = match peer.install(&peers_dir) {
                Ok(installed) => installed,
                Err(e) => {
                    eprintln!("xtask: bench: {} not installed: {e}", peer.name());
                    reports.push(TargetReport::failed(
                        peer.name(),
                        Role::Peer,
                        peer.pins(),
                        format!("could not be installed: {e}"),
                    ));
                    continue;
                }
            };
            let log = out_dir.join(format!("{}.log", peer.name()));
            match installed.start(&token, &log) {
                Ok((server, base)) => {
                    let report = runtime.block_on(measure(
                        &context,
                        peer.name(),
                        Role::Peer,
                        installed.description.clone(),
                        server.pid(),
                        &base,
                    ));
                    drop(server);
                    reports.push(report);
                }
                Err(e) => {
                    eprintln!("xtask: bench: {} did not start: {e}", peer.name());
                    reports.push(TargetReport::failed(
                        peer.name(),
                        Role::Peer,
                        installed.description.clone(),
                        format!("did not start: {e}"),
                    ));
                }
            }
        }
    }

    let report = Report {
        date: now_utc(),
        source,
        machine: procfs::machine(),
        settings: describe(&settings),
        command: if args.is_empty() {
            "cargo xtask bench".to_owned()
        } else {
            format!("cargo xtask bench {}", args.join(" "))
        },
        targets: reports,
    };
    let markdown = report::markdown(&report);
    let md_path = out_dir.join("report.md");
    let json_path = out_dir.join("report.json");
    fs::write(&md_path, &markdown)
        .map_err(|e| format!("cannot write {}: {e}", md_path.display()))?;
    let json = serde_json::to_string_pretty(&report::json(&report))
        .map_err(|e| format!("cannot render the JSON report: {e}"))?;
    fs::write(&json_path, json + "\n")
        .map_err(|e| format!("cannot write {}: {e}", json_path.display()))?;
    println!("{markdown}");
    println!("report: {} and {}", md_path.display(), json_path.display());

    let errors = report.errors();
    let broken: Vec<String> = report
        .targets
        .iter()
        .filter(|t| t.role != Role::Peer)
        .filter_map(|t| t.status.as_ref().err().map(|e| format!("{}: {e}", t.name)))
        .collect();
    if !broken.is_empty() {
        return Err(format!("not measured: {}", broken.join("; ")));
    }
    if errors > 0 {
        return Err(format!(
            "{errors} wrong or missing answer(s); see the report"
        ));
    }
    Ok(())
}

/// What every target of a run shares.
struct Context<'a> {
    settings: &'a Settings,
    token: &'a str,
    ticks_per_second: u64,
}

/// Seeds a SCIM server and runs the chosen workloads against it.
async fn measure(
    context: &Context<'_>,
    name: &str,
    role: Role,
    description: String,
    pid: u32,
    base: &str,
) -> TargetReport {
    let Context {
        settings,
        token,
        ticks_per_second,
    } = *context;
    let mut report = TargetReport {
        name: name.to_owned(),
        role,
        description,
        status: Ok(()),
        workloads: Vec::new(),
        peak_rss_kib: None,
    };
    let outcome = async {
        let target = Target {
            http: Http::new(base, Some(token), settings.concurrency)?,
            pid,
            ticks_per_second,
        };
        let features = workloads::discover(&target.http)
            .await
            .map_err(|e| format!("GET /ServiceProviderConfig: {e}"))?;
        eprintln!("xtask: bench: {name}: loading {} users", settings.users);
        let (users, bulk) = workloads::seed(&target, settings, features).await?;
        report.workloads.push(bulk);
        for &workload in settings
            .workloads
            .iter()
            .filter(|w| **w != Workload::BulkLoad)
        {
            eprintln!("xtask: bench: {name}: {}", workload.id());
            let result = workloads::run(workload, &target, settings, features, &users).await?;
            report.workloads.push(result);
        }
        Ok::<(), String>(())
    }
    .await;
    report.peak_rss_kib = procfs::memory(pid).ok().map(|m| m.peak_kib);
    report.status = outcome;
    report
}

/// Runs GET by id against the ceiling server.
async fn measure_ceiling(
    description: String,
    pid: u32,
    base: &str,
    settings: &Settings,
    ticks_per_second: u64,
) -> TargetReport {
    let users: Vec<SeedUser> = (0..settings.users)
        .map(|k| SeedUser {
            id: format!("00000000-0000-7000-8000-{k:012}"),
            user_name: workloads::seed_user_name(k),
        })
        .collect();
    let outcome: Result<WorkloadResult, String> = async {
        let target = Target {
            http: Http::new(base, None, settings.concurrency)?,
            pid,
            ticks_per_second,
        };
        workloads::run_get(&target, settings, Arc::new(users)).await
    }
    .await;
    let peak_rss_kib = procfs::memory(pid).ok().map(|m| m.peak_kib);
    match outcome {
        Ok(result) => TargetReport {
            name: "ceiling".to_owned(),
            role: Role::Ceiling,
            description,
            status: Ok(()),
            workloads: vec![result],
            peak_rss_kib,
        },
        Err(e) => TargetReport::failed("ceiling", Role::Ceiling, description, e),
    }
}

/// The settings in words, for the report.
fn describe(s: &Settings) -> String {
    format!(
        "{} users loaded through /Bulk in requests of up to {} operations ({} in flight); \
         {} concurrent clients over keep-alive connections; each workload {} requests or \
         {} s, whichever comes first; group grown to {} members by PATCHes of {} (one client); \
         the body of 1 request in {} checked (every bulk response and cursor page)",
        s.users,
        s.bulk_size,
        s.concurrency.min(workloads::BULK_CONCURRENCY),
        s.concurrency,
        s.requests,
        s.seconds.as_secs(),
        s.group_size,
        workloads::MEMBERS_PER_PATCH,
        workloads::SAMPLE_EVERY
    )
}

/// Builds the server in `profile` and returns its path; `task` names the
/// task in the progress line.
pub(crate) fn build_server(
    root: &Path,
    target: &Path,
    profile: Profile,
    task: &str,
) -> Result<PathBuf, String> {
    let mut command = cargo();
    command
        .args(["build", "-p", "scim-server"])
        .current_dir(root);
    if profile == Profile::Release {
        command.arg("--release");
    }
    eprintln!(
        "xtask: {task}: cargo build {}-p scim-server",
        if profile == Profile::Release {
            "--release "
        } else {
            ""
        }
    );
    run_checked(&mut command, "build scim-server")?;
    let binary = target.join(profile.dir()).join(exe("scim-server"));
    built(binary)
}

/// The current time in UTC, as `date` prints it.
pub(crate) fn now_utc() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "an unknown date".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_settings_are_described_with_their_numbers() {
        let settings = args::parse(&[]).unwrap();
        let words = describe(&settings);
        assert!(words.starts_with("10000 users loaded through /Bulk in requests of up to 1000"));
        assert!(words.contains("16 concurrent clients"));
        assert!(words.contains("5000 requests or 20 s"));
    }

    #[test]
    fn tokens_differ_between_runs() {
        let a = run_token("bench");
        std::thread::sleep(std::time::Duration::from_millis(1));
        assert_ne!(a, run_token("bench"));
        assert!(a.starts_with("scim_bench_"));
    }
}
