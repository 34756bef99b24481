//! The command line of `cargo xtask bench`, parsed into [`Settings`].
//!
//! Flags may come in any order; `--smoke` only changes the defaults, so
//! explicit flags win over it.

use std::time::Duration;

/// The workloads, in the order they run against each target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Workload {
    /// The initial load: `--users` users through `/Bulk`; it also seeds the
    /// store, so it always runs.
    BulkLoad,
    /// `POST /Users` of new users.
    Create,
    /// `GET /Users/{id}` of seeded users.
    Get,
    /// `GET /Users?filter=userName eq "..."` of seeded users.
    Filter,
    /// `PATCH /Users/{id}` replacing `active` with false.
    Patch,
    /// `PUT /Users/{id}` replacing the whole user.
    Put,
    /// `GET /Users?startIndex=S&count=100` at increasing `S`.
    ListIndex,
    /// `GET /Users?count=100&cursor[=...]`, following `nextCursor`.
    ListCursor,
    /// `PATCH /Groups/{id}` adding 50 members at a time up to `--group-size`.
    GroupGrowth,
}

impl Workload {
    /// Every workload, in running order.
    pub(crate) const ALL: [Workload; 9] = [
        Workload::BulkLoad,
        Workload::Create,
        Workload::Get,
        Workload::Filter,
        Workload::Patch,
        Workload::Put,
        Workload::ListIndex,
        Workload::ListCursor,
        Workload::GroupGrowth,
    ];

    /// The name used on the command line and in reports.
    pub(crate) fn id(self) -> &'static str {
        match self {
            Workload::BulkLoad => "bulk-load",
            Workload::Create => "create",
            Workload::Get => "get",
            Workload::Filter => "filter",
            Workload::Patch => "patch",
            Workload::Put => "put",
            Workload::ListIndex => "list-index",
            Workload::ListCursor => "list-cursor",
            Workload::GroupGrowth => "group-growth",
        }
    }

    /// What one request of the workload is, for the report.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Workload::BulkLoad => "POST /Bulk of up to --bulk-size user creations",
            Workload::Create => "POST /Users",
            Workload::Get => "GET /Users/{id}",
            Workload::Filter => "GET /Users?filter=userName eq \"...\"",
            Workload::Patch => "PATCH /Users/{id} replace active=false",
            Workload::Put => "PUT /Users/{id} full replace",
            Workload::ListIndex => "GET /Users?startIndex=S&count=100, S increasing",
            Workload::ListCursor => "GET /Users?count=100&cursor=..., following nextCursor",
            Workload::GroupGrowth => "PATCH /Groups/{id} add 50 members, up to --group-size",
        }
    }
}

/// Which build of the server to measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Profile {
    /// `cargo build --release`: what the published figures use.
    Release,
    /// The debug build (`cargo build`), which CI's smoke run reuses.
    Debug,
}

impl Profile {
    /// The profile's folder under the target directory.
    pub(crate) fn dir(self) -> &'static str {
        match self {
            Profile::Release => "release",
            Profile::Debug => "debug",
        }
    }
}

/// Everything a run needs to know, defaults resolved.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Settings {
    /// Users loaded through `/Bulk` before the other workloads.
    pub(crate) users: usize,
    /// Concurrent clients per workload (group growth always uses one).
    pub(crate) concurrency: usize,
    /// Requests per workload, at most.
    pub(crate) requests: u64,
    /// Time per workload, at most.
    pub(crate) seconds: Duration,
    /// Members the group-growth workload grows its group to.
    pub(crate) group_size: usize,
    /// Operations per `/Bulk` request (lowered to what a target advertises).
    pub(crate) bulk_size: usize,
    /// A PostgreSQL or MySQL/MariaDB URL; a fresh database is created next
    /// to the one it names. `None`: a temporary SQLite folder.
    pub(crate) database_url: Option<String>,
    /// Also measure the peer SCIM servers.
    pub(crate) peers: bool,
    /// The tiny CI run.
    pub(crate) smoke: bool,
    /// The server build to measure.
    pub(crate) profile: Profile,
    /// The workloads to run (bulk-load always runs: it seeds the store).
    pub(crate) workloads: Vec<Workload>,
    /// The targets to measure, by name, in running order.
    pub(crate) targets: Vec<&'static str>,
}

/// This project's server, as named in `--targets` and the report.
pub(crate) const OURS: &str = "scim-server";
/// The bare HTTP endpoint.
pub(crate) const CEILING: &str = "ceiling";
/// The peers, in running order.
pub(crate) const PEERS: [&str; 2] = ["scim2-server", "scimmy"];

/// Usage of the task, shown by `cargo xtask help`.
pub(crate) const USAGE: &str = "  bench [--users N] [--concurrency N] [--requests N] [--seconds S]
        [--group-size N] [--bulk-size N] [--workloads LIST] [--database-url URL]
        [--debug] [--peers] [--targets LIST] [--smoke]
         build the server (release), start it on a fresh store with rate
         limiting off, load --users users (10000) through /Bulk, run each
         workload with --concurrency clients (16) for --requests requests
         (5000) or --seconds seconds (20), whichever ends first, check the
         answers, and write <target>/bench/report.{md,json}. Group growth
         adds 50 members per PATCH up to --group-size (10000); bulk requests
         carry --bulk-size operations (1000); --debug measures the debug
         build. Also measures a bare axum endpoint (the ceiling) on GET by
         id. Fails on any wrong answer. --peers also installs and measures
         scim2-server (PyPI) and scimmy + scimmy-routers (npm) under
         <target>/bench-peers.
         --database-url postgres://... or mysql://...: a uniquely named
         database is created beside the named one (with psql or mariadb)
         and dropped afterwards. --smoke: 200 users, 50 requests, group
         size 200, debug build, no peers (what CI runs).
         --workloads: comma-separated, of create, get, filter, patch, put,
         list-index, list-cursor, group-growth (bulk-load always runs).
         --targets: comma-separated, of scim-server, ceiling, scim2-server,
         scimmy (default: scim-server,ceiling, plus the peers with --peers)";

/// Defaults of a normal run and of `--smoke`.
struct Defaults {
    users: usize,
    requests: u64,
    seconds: u64,
    group_size: usize,
    bulk_size: usize,
}

const NORMAL: Defaults = Defaults {
    users: 10_000,
    requests: 5_000,
    seconds: 20,
    group_size: 10_000,
    bulk_size: 1_000,
};

const SMOKE: Defaults = Defaults {
    users: 200,
    requests: 50,
    seconds: 20,
    group_size: 200,
    bulk_size: 100,
};

/// The bound on requests when only `--seconds` is given: every loop of the
/// task is bounded in count as well as in time.
const REQUESTS_WITH_SECONDS_ONLY: u64 = 1_000_000;

/// Parses the arguments after `bench`.
pub(crate) fn parse(args: &[String]) -> Result<Settings, String> {
    let mut users = None;
    let mut concurrency = None;
    let mut requests = None;
    let mut seconds = None;
    let mut group_size = None;
    let mut bulk_size = None;
    let mut database_url = None;
    let mut workloads = None;
    let mut targets = None;
    let mut peers = false;
    let mut smoke = false;
    let mut debug = false;

    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        let mut value = || {
            iter.next()
                .cloned()
                .ok_or_else(|| format!("bench: {flag} needs a value"))
        };
        match flag.as_str() {
            "--users" => users = Some(number(flag, &value()?, 1)?),
            "--concurrency" => concurrency = Some(number(flag, &value()?, 1)?),
            "--requests" => requests = Some(number(flag, &value()?, 1)? as u64),
            "--seconds" => seconds = Some(number(flag, &value()?, 1)? as u64),
            "--group-size" => group_size = Some(number(flag, &value()?, 1)?),
            "--bulk-size" => bulk_size = Some(number(flag, &value()?, 1)?),
            "--database-url" => database_url = Some(value()?),
            "--workloads" => workloads = Some(parse_workloads(&value()?)?),
            "--targets" => targets = Some(parse_targets(&value()?)?),
            "--peers" => peers = true,
            "--smoke" => smoke = true,
            "--debug" => debug = true,
            other => return Err(format!("bench: unexpected argument {other:?}\n\n{USAGE}")),
        }
    }
    let targets = targets.unwrap_or_else(|| {
        let mut all = vec![OURS, CEILING];
        if peers {
            all.extend(PEERS);
        }
        all
    });
    if smoke && targets.iter().any(|t| PEERS.contains(t)) {
        return Err("bench: --smoke runs no peers; drop --peers or --smoke".to_owned());
    }
    let defaults = if smoke { &SMOKE } else { &NORMAL };
    let (requests, seconds) = match (requests, seconds) {
        (None, Some(s)) => (REQUESTS_WITH_SECONDS_ONLY, s),
        (r, s) => (
            r.unwrap_or(defaults.requests),
            s.unwrap_or(defaults.seconds),
        ),
    };
    Ok(Settings {
        users: users.unwrap_or(defaults.users),
        concurrency: concurrency.unwrap_or(16),
        requests,
        seconds: Duration::from_secs(seconds),
        group_size: group_size.unwrap_or(defaults.group_size),
        bulk_size: bulk_size.unwrap_or(defaults.bulk_size),
        database_url,
        peers: targets.iter().any(|t| PEERS.contains(t)),
        smoke,
        profile: if smoke || debug {
            Profile::Debug
        } else {
            Profile::Release
        },
        workloads: workloads.unwrap_or_else(|| Workload::ALL.to_vec()),
        targets,
    })
}

/// A comma-separated list of target names, kept in running order.
fn parse_targets(text: &str) -> Result<Vec<&'static str>, String> {
    let known: Vec<&'static str> = [OURS, CEILING].into_iter().chain(PEERS).collect();
    let mut chosen = Vec::new();
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let target = known.iter().copied().find(|k| *k == name).ok_or_else(|| {
            format!(
                "bench: unknown target {name:?}; one of {}",
                known.join(", ")
            )
        })?;
        if !chosen.contains(&target) {
            chosen.push(target);
        }
    }
    if chosen.is_empty() {
        return Err("bench: --targets names no target".to_owned());
    }
    chosen.sort_by_key(|t| known.iter().position(|k| k == t));
    Ok(chosen)
}

/// A whole number of at least `min`.
fn number(flag: &str, text: &str, min: usize) -> Result<usize, String> {
    let n: usize = text
        .replace('_', "")
        .parse()
        .map_err(|_| format!("bench: {flag} takes a whole number, not {text:?}"))?;
    if n < min {
        return Err(format!("bench: {flag} must be at least {min}"));
    }
    Ok(n)
}

/// A comma-separated list of workload names; bulk-load is always added,
/// since it seeds the store, and the running order is kept.
fn parse_workloads(text: &str) -> Result<Vec<Workload>, String> {
    let mut chosen = vec![Workload::BulkLoad];
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let workload = Workload::ALL
            .into_iter()
            .find(|w| w.id() == name)
            .ok_or_else(|| {
                let known: Vec<&str> = Workload::ALL.iter().map(|w| w.id()).collect();
                format!(
                    "bench: unknown workload {name:?}; one of {}",
                    known.join(", ")
                )
            })?;
        if !chosen.contains(&workload) {
            chosen.push(workload);
        }
    }
    chosen.sort();
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let s = parse(&[]).unwrap();
        assert_eq!(s.users, 10_000);
        assert_eq!(s.concurrency, 16);
        assert_eq!(s.requests, 5_000);
        assert_eq!(s.seconds, Duration::from_secs(20));
        assert_eq!(s.group_size, 10_000);
        assert_eq!(s.bulk_size, 1_000);
        assert_eq!(s.profile, Profile::Release);
        assert!(!s.peers && !s.smoke);
        assert_eq!(s.database_url, None);
        assert_eq!(s.workloads, Workload::ALL.to_vec());
        assert_eq!(s.targets, [OURS, CEILING]);
    }

    #[test]
    fn targets_follow_peers_or_the_explicit_list() {
        let s = parse(&args("--peers")).unwrap();
        assert_eq!(
            s.targets,
            ["scim-server", "ceiling", "scim2-server", "scimmy"]
        );
        let s = parse(&args("--targets scimmy,scim-server")).unwrap();
        assert_eq!(s.targets, ["scim-server", "scimmy"]);
        assert!(s.peers, "naming a peer installs it");
        let s = parse(&args("--targets ceiling")).unwrap();
        assert!(!s.peers);
        assert!(parse(&args("--targets nope")).is_err());
        assert!(parse(&args("--targets ,")).is_err());
        assert!(parse(&args("--smoke --targets scimmy")).is_err());
    }

    #[test]
    fn smoke_shrinks_everything_but_explicit_flags_win() {
        let s = parse(&args("--smoke")).unwrap();
        assert_eq!((s.users, s.requests, s.group_size), (200, 50, 200));
        assert_eq!(s.profile, Profile::Debug);
        let s = parse(&args("--users 300 --smoke")).unwrap();
        assert_eq!(s.users, 300);
        assert!(parse(&args("--smoke --peers")).is_err());
    }

    #[test]
    fn seconds_alone_lift_the_request_bound_but_keep_one() {
        let s = parse(&args("--seconds 5")).unwrap();
        assert_eq!(s.seconds, Duration::from_secs(5));
        assert_eq!(s.requests, REQUESTS_WITH_SECONDS_ONLY);
        let s = parse(&args("--seconds 5 --requests 10")).unwrap();
        assert_eq!((s.requests, s.seconds.as_secs()), (10, 5));
        let s = parse(&args("--requests 10")).unwrap();
        assert_eq!((s.requests, s.seconds.as_secs()), (10, 20));
    }

    #[test]
    fn values_are_checked() {
        assert!(parse(&args("--users")).is_err());
        assert!(parse(&args("--users ten")).is_err());
        assert!(parse(&args("--concurrency 0")).is_err());
        assert!(parse(&args("--frobnicate")).is_err());
        assert_eq!(parse(&args("--users 100_000")).unwrap().users, 100_000);
        let s = parse(&args("--peers --debug --database-url postgres://u@h/db")).unwrap();
        assert!(s.peers);
        assert_eq!(s.profile, Profile::Debug);
        assert_eq!(s.database_url.as_deref(), Some("postgres://u@h/db"));
    }

    #[test]
    fn workloads_keep_the_running_order_and_always_seed() {
        let s = parse(&args("--workloads list-index,get,get")).unwrap();
        assert_eq!(
            s.workloads,
            [Workload::BulkLoad, Workload::Get, Workload::ListIndex]
        );
        assert!(parse(&args("--workloads get,nope")).is_err());
    }
}
