//! `cargo xtask soak`: the server under a steady identity-provider load for
//! a bounded time, watched for errors, memory growth and slowing down.
//!
//! 1. `cargo build --release -p scim-server` (the debug build with
//!    `--debug` or `--smoke`), started as `cargo xtask bench` starts it
//!    (`bench/targets.rs`): a free loopback port, a fresh store (a
//!    temporary SQLite folder, or a database created for the run with
//!    `--database-url`), rate limiting off.
//! 2. `--users` users loaded through `/Bulk` (bench's seed), ten groups
//!    created, and every fifth user made a member of one.
//! 3. Requests of the mix in `mix.rs` sent at `--rate` per second on a
//!    fixed schedule (a late request does not push the next ones back), at
//!    most [`MAX_IN_FLIGHT`] at a time, for the run's duration.
//! 4. Every 10 s a sample: requests, errors, latency percentiles, the
//!    server's resident memory, open file descriptors, threads and CPU
//!    from `/proc`, and the machine's load average. Each is printed as it
//!    is taken; the verdict is in `samples.rs`.
//! 5. The table, the per-request figures and the verdict go to standard
//!    output and to `<target>/soak/report.json`, the server's log beside it.
//!
//! All traffic goes to loopback; the schedule is bounded in requests and
//! in time, and the drain at the end in time.

mod mix;
mod samples;

use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use crate::bench::args::{self, Profile};
use crate::bench::database::{Engine, FreshDatabase};
use crate::bench::load::Http;
use crate::bench::targets::{ServerProcess, Store, start_ours};
use crate::bench::workloads::{self, GROUP_SCHEMA, Target, expect_status, parse};
use crate::bench::{build_server, now_utc, procfs};
use crate::process::{run_token, source_version, target_dir};
use mix::{Mix, SoakUser};
use samples::{Recorder, SAMPLE_EVERY, Sample};

/// Requests in flight at most; the schedule waits beyond it.
pub(crate) const MAX_IN_FLIGHT: usize = 64;
/// How long the requests still in flight at the end may take.
const DRAIN: Duration = Duration::from_secs(130);
/// Groups the members are spread over.
const GROUPS: usize = 10;
/// One user in this many starts as a group member.
const MEMBER_EVERY: usize = 5;

/// Usage of the task, shown by `cargo xtask help`.
pub(crate) const USAGE: &str = "  soak [--minutes N | --seconds N] [--rate N] [--users N] [--debug]
       [--database-url URL] [--smoke]
         build the server (release), start it on a fresh SQLite store with
         rate limiting off, load --users users (10000), then send --rate
         requests per second (200) of an identity-provider mix for
         --minutes (10): GET by id, userName eq filter, PATCH active, group
         member add/remove, create and delete. Samples requests, latency,
         RSS, open fds, threads and CPU every 10 s; writes
         <target>/soak/report.json. Fails on any 5xx or wrong answer, on
         RSS growing more than 20% after the first minute, or on the last
         minute's p99 above 3x the second minute's (or 10 ms above it, if
         more). --seconds: a multiple of 10, at least 30. --debug: the debug
         build. --database-url postgres://... or mysql://... (or --postgres
         URL): a fresh database beside the named one, as with bench.
         --smoke: 30 s at 50 requests/s, 200 users, the debug build; fails
         only on errors (what CI runs)";

/// The command line, parsed.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Settings {
    duration: Duration,
    rate: u32,
    users: usize,
    profile: Profile,
    database_url: Option<String>,
    smoke: bool,
}

fn parse_args(args: &[String]) -> Result<Settings, String> {
    let mut seconds = None;
    let mut rate = None;
    let mut users = None;
    let mut debug = false;
    let mut smoke = false;
    let mut database_url = None;
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        let mut value = || {
            iter.next()
                .cloned()
                .ok_or_else(|| format!("soak: {flag} needs a value"))
        };
        let mut number = |min: u64, max: u64| -> Result<u64, String> {
            let text = value()?;
            text.replace('_', "")
                .parse()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| {
                    format!("soak: {flag} takes a number from {min} to {max}, not {text:?}")
                })
        };
        match flag.as_str() {
            "--minutes" => seconds = Some(number(1, 24 * 60)? * 60),
            "--seconds" => seconds = Some(number(30, 24 * 3600)?),
            "--rate" => rate = Some(number(1, 10_000)? as u32),
            "--users" => users = Some(number(1, 1_000_000)? as usize),
            "--debug" => debug = true,
            "--smoke" => smoke = true,
            "--database-url" => database_url = Some(value()?),
            "--postgres" => {
                let url = value()?;
                if !url.starts_with("postgres://") && !url.starts_with("postgresql://") {
                    return Err(format!(
                        "soak: --postgres takes a postgres:// URL, not {url:?}"
                    ));
                }
                database_url = Some(url);
            }
            other => return Err(format!("soak: unexpected argument {other:?}\n\n{USAGE}")),
        }
    }
    let seconds = seconds.unwrap_or(if smoke { 30 } else { 600 });
    if !seconds.is_multiple_of(SAMPLE_EVERY.as_secs()) {
        return Err(format!(
            "soak: the run lasts a whole number of {}-second samples, not {seconds} s",
            SAMPLE_EVERY.as_secs()
        ));
    }
    Ok(Settings {
        duration: Duration::from_secs(seconds),
        // The debug build serves about 120 requests/s of this mix on two
        // cores: the smoke run stays well below, where latency means
        // something.
        rate: rate.unwrap_or(if smoke { 50 } else { 200 }),
        users: users.unwrap_or(if smoke { 200 } else { 10_000 }),
        profile: if debug || smoke {
            Profile::Debug
        } else {
            Profile::Release
        },
        database_url,
        smoke,
    })
}

/// Runs the task with the arguments after `soak`.
pub(crate) fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let settings = parse_args(args)?;
    let target = target_dir(root)?;
    let out = target.join("soak");
    if out.exists() {
        fs::remove_dir_all(&out).map_err(|e| format!("cannot clear {}: {e}", out.display()))?;
    }
    fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let binary = build_server(root, &target, settings.profile, "soak")?;
    let (store, store_words) = match &settings.database_url {
        None => (
            Store::Sqlite(std::env::temp_dir().join(format!("scim-soak-{}", std::process::id()))),
            "SQLite in a fresh temporary folder".to_owned(),
        ),
        Some(url) => {
            let db = FreshDatabase::create(url)?;
            let engine = match db.engine() {
                Engine::Postgres => "PostgreSQL",
                Engine::MySql => "MySQL/MariaDB",
            };
            (
                Store::Database(db),
                format!("{engine}, a database created for the run"),
            )
        }
    };
    let token = run_token("soak");
    let log = out.join("scim-server.log");
    eprintln!("xtask: soak: starting scim-server ({store_words})");
    let server = start_ours(&binary, store, &token, &log)
        .map_err(|e| format!("the server did not start: {e}"))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    let outcome = runtime.block_on(soak(&settings, &server, &token));
    drop(server);
    let (samples, totals) = outcome?;

    let verdict = samples::judge(&samples, &totals, !settings.smoke);
    let command = if args.is_empty() {
        "cargo xtask soak".to_owned()
    } else {
        format!("cargo xtask soak {}", args.join(" "))
    };
    let machine = procfs::machine();
    println!();
    println!("{}", samples::kinds_table(&totals));
    for check in &verdict.checks {
        let word = match (check.passed, check.asserted) {
            (true, _) => "ok",
            (false, true) => "FAILED",
            (false, false) => "not asserted",
        };
        println!("{:<8} {word}: {}", check.name, check.detail);
    }
    let mut report = samples::json(&samples, &totals, &verdict);
    report["command"] = json!(command);
    report["date"] = json!(now_utc());
    report["source"] = json!(source_version(root));
    report["build"] = json!(settings.profile.dir());
    report["store"] = json!(store_words);
    report["rate_per_second"] = json!(settings.rate);
    report["seconds"] = json!(settings.duration.as_secs());
    report["users"] = json!(settings.users);
    report["groups"] = json!(GROUPS);
    report["machine"] = json!({
        "cpu": machine.cpu,
        "cores": machine.cores,
        "memory_mib": machine.memory_mib,
        "kernel": machine.kernel,
    });
    let path = out.join("report.json");
    let text = serde_json::to_string_pretty(&report)
        .map_err(|e| format!("cannot render the report: {e}"))?;
    fs::write(&path, text + "\n").map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("report: {} (server log: {})", path.display(), log.display());
    if verdict.passed() {
        Ok(())
    } else {
        let failed: Vec<&str> = verdict
            .checks
            .iter()
            .filter(|c| c.asserted && !c.passed)
            .map(|c| c.name)
            .collect();
        Err(format!("soak failed: {}", failed.join(", ")))
    }
}

/// Seeds the server, runs the schedule and samples it.
async fn soak(
    settings: &Settings,
    server: &ServerProcess,
    token: &str,
) -> Result<(Vec<Sample>, samples::Totals), String> {
    let pid = server.pid();
    let base = format!("http://{}/scim/v2", server.addr);
    let http = Http::new(&base, Some(token), MAX_IN_FLIGHT)?;
    let ticks = procfs::clock_ticks_per_second();
    let target = Target {
        http: http.clone(),
        pid,
        ticks_per_second: ticks,
    };
    let features = workloads::discover(&http)
        .await
        .map_err(|e| format!("GET /ServiceProviderConfig: {e}"))?;
    eprintln!("xtask: soak: loading {} users", settings.users);
    let seed_args: Vec<String> = ["--users", &settings.users.to_string(), "--bulk-size", "500"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let seed_settings = args::parse(&seed_args)?;
    let (seeded, _) = workloads::seed(&target, &seed_settings, features).await?;
    let users: Vec<SoakUser> = seeded
        .iter()
        .enumerate()
        .map(|(k, u)| SoakUser {
            id: u.id.clone(),
            user_name: u.user_name.clone(),
            active: true,
            group: k
                .is_multiple_of(MEMBER_EVERY)
                .then_some(k / MEMBER_EVERY % GROUPS),
        })
        .collect();
    let mut groups = Vec::new();
    for g in 0..GROUPS {
        let members: Vec<_> = users
            .iter()
            .filter(|u| u.group == Some(g))
            .map(|u| json!({"value": u.id}))
            .collect();
        let body = json!({
            "schemas": [GROUP_SCHEMA],
            "displayName": format!("soak-group-{g}"),
            "members": members
        });
        let reply = http
            .send(Method::POST, "/Groups", serde_json::to_vec(&body).ok())
            .await?;
        expect_status(&reply, &[201]).map_err(|e| format!("POST /Groups: {e}"))?;
        let id = parse(&reply)?["id"]
            .as_str()
            .ok_or("POST /Groups answered no id")?
            .to_owned();
        groups.push(id);
    }

    let mix = Arc::new(Mix::new(http, users, groups));
    let recorder = Arc::new(Recorder::default());
    let in_flight = Arc::new(AtomicUsize::new(0));
    eprintln!(
        "xtask: soak: {} requests/s for {} s, a sample every {} s",
        settings.rate,
        settings.duration.as_secs(),
        SAMPLE_EVERY.as_secs()
    );
    let start = Instant::now();
    let mut schedule = Some(tokio::spawn(pace(
        Arc::clone(&mix),
        Arc::clone(&recorder),
        Arc::clone(&in_flight),
        settings.rate,
        settings.duration,
        start,
    )));

    let count = (settings.duration.as_secs() / SAMPLE_EVERY.as_secs()) as u32;
    let mut samples = Vec::new();
    let mut previous_at = start;
    let mut previous_cpu = procfs::cpu_ticks(pid)?;
    print!("{}", samples::header());
    for k in 1..=count {
        tokio::time::sleep_until((start + SAMPLE_EVERY * k).into()).await;
        if let Some(schedule) = schedule.take().filter(|_| k == count) {
            // The requests still in flight belong to the last sample.
            schedule
                .await
                .map_err(|e| format!("the schedule failed: {e}"))?;
            let drained = Instant::now() + DRAIN;
            while in_flight.load(Ordering::Acquire) > 0 && Instant::now() < drained {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        let now = Instant::now();
        let gone = |e: String| format!("the server stopped answering /proc: {e}");
        let memory = procfs::memory(pid).map_err(gone)?;
        let cpu = procfs::cpu_ticks(pid).map_err(gone)?;
        let wall = now - previous_at;
        let sample = Sample {
            at: now - start,
            interval: recorder.take(),
            wall,
            rss_kib: memory.rss_kib,
            fds: procfs::open_fds(pid).map_err(gone)?,
            threads: procfs::threads(pid).map_err(gone)?,
            cpu_percent: procfs::ticks_to_duration(cpu.since(previous_cpu).total(), ticks)
                .as_secs_f64()
                * 100.0
                / wall.as_secs_f64().max(1e-9),
            population: mix.population(),
            load: procfs::load_average(),
        };
        println!("{}", samples::row(&sample));
        samples.push(sample);
        previous_at = now;
        previous_cpu = cpu;
    }
    Ok((samples, recorder.totals()))
}

/// Starts request `i` at `start + i / rate` until `duration` has passed,
/// never more than [`MAX_IN_FLIGHT`] at a time.
async fn pace(
    mix: Arc<Mix>,
    recorder: Arc<Recorder>,
    in_flight: Arc<AtomicUsize>,
    rate: u32,
    duration: Duration,
    start: Instant,
) {
    let end = start + duration;
    let total = u64::from(rate) * duration.as_secs();
    for i in 0..total {
        let due = start + Duration::from_secs_f64(i as f64 / f64::from(rate));
        tokio::time::sleep_until(due.into()).await;
        while in_flight.load(Ordering::Acquire) >= MAX_IN_FLIGHT && Instant::now() < end {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        if Instant::now() >= end {
            break;
        }
        in_flight.fetch_add(1, Ordering::AcqRel);
        let mix = Arc::clone(&mix);
        let recorder = Arc::clone(&recorder);
        let in_flight = Arc::clone(&in_flight);
        tokio::spawn(async move {
            recorder.record(mix.run(i).await);
            in_flight.fetch_sub(1, Ordering::AcqRel);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let s = parse_args(&[]).unwrap();
        assert_eq!(s.duration, Duration::from_secs(600));
        assert_eq!((s.rate, s.users), (200, 10_000));
        assert_eq!(s.profile, Profile::Release);
        assert!(!s.smoke && s.database_url.is_none());
        let s = parse_args(&args("--smoke")).unwrap();
        assert_eq!(s.duration, Duration::from_secs(30));
        assert_eq!((s.rate, s.users, s.profile), (50, 200, Profile::Debug));
        let s = parse_args(&args("--smoke --seconds 60 --users 50")).unwrap();
        assert_eq!((s.duration.as_secs(), s.users), (60, 50));
    }

    #[test]
    fn values_are_checked() {
        assert_eq!(
            parse_args(&args("--minutes 2 --rate 50 --debug"))
                .unwrap()
                .duration,
            Duration::from_secs(120)
        );
        assert!(parse_args(&args("--seconds 20")).is_err(), "under 30 s");
        assert!(
            parse_args(&args("--seconds 45")).is_err(),
            "not whole samples"
        );
        assert!(parse_args(&args("--rate 0")).is_err());
        assert!(parse_args(&args("--minutes")).is_err());
        assert!(parse_args(&args("--postgres mysql://root@h/db")).is_err());
        let s = parse_args(&args("--postgres postgres://postgres@127.0.0.1/postgres")).unwrap();
        assert_eq!(
            s.database_url.as_deref(),
            Some("postgres://postgres@127.0.0.1/postgres")
        );
        assert!(parse_args(&args("--frobnicate")).is_err());
    }
}
