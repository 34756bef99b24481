//! The results of a run and their two renderings: a Markdown report (also
//! printed on standard output) and a JSON document for tools.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{Value, json};

use super::args::Workload;
use super::procfs::Machine;
use super::stats::{DECILES, Summary};

/// What one workload measured on one target.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Measured {
    /// Requests made.
    pub(crate) requests: u64,
    /// Items they carried (users for bulk requests, else one per request).
    pub(crate) items: u64,
    /// Requests with a wrong or no answer, and failed final checks.
    pub(crate) errors: u64,
    /// The first few error messages.
    pub(crate) error_samples: Vec<String>,
    /// Wall time of the workload.
    pub(crate) wall: Duration,
    /// Client-side latency.
    pub(crate) latency: Option<Summary>,
    /// Latency per decile, for the workloads that keep it (else empty).
    pub(crate) deciles: Vec<Option<Summary>>,
    /// The server's CPU time (user + system) during the workload.
    pub(crate) server_cpu: Duration,
    /// The part of it spent in the kernel (system calls: I/O, fsync,
    /// thread wake-ups).
    pub(crate) server_system_cpu: Duration,
    /// The load generator's own CPU time during the workload.
    pub(crate) client_cpu: Duration,
    /// The server's resident memory after the workload.
    pub(crate) rss_after_kib: u64,
    /// Whether the time limit ended the workload before its request count.
    pub(crate) time_capped: bool,
    /// Workload-specific remarks.
    pub(crate) note: String,
}

impl Measured {
    /// Counts an error found after the requests (a final check).
    pub(crate) fn error(&mut self, message: String) {
        self.errors += 1;
        if self.error_samples.len() < 5 {
            self.error_samples.push(message);
        }
    }

    /// Requests per second.
    pub(crate) fn rate(&self) -> f64 {
        per_second(self.requests, self.wall)
    }

    /// Items per second.
    pub(crate) fn item_rate(&self) -> f64 {
        per_second(self.items, self.wall)
    }

    /// Server CPU time per request, in microseconds.
    pub(crate) fn server_cpu_per_request_us(&self) -> Option<f64> {
        per_request_us(self.server_cpu, self.requests)
    }

    /// Server CPU time per item (per user for bulk requests), in
    /// microseconds: what the ratios compare.
    pub(crate) fn server_cpu_per_item_us(&self) -> Option<f64> {
        per_request_us(self.server_cpu, self.items)
    }

    /// The kernel's share of the server's CPU time, in percent.
    pub(crate) fn server_system_share(&self) -> Option<f64> {
        (!self.server_cpu.is_zero())
            .then(|| self.server_system_cpu.as_secs_f64() * 100.0 / self.server_cpu.as_secs_f64())
    }

    /// Client CPU time per request, in microseconds.
    pub(crate) fn client_cpu_per_request_us(&self) -> Option<f64> {
        per_request_us(self.client_cpu, self.requests)
    }
}

fn per_second(n: u64, wall: Duration) -> f64 {
    if wall.is_zero() {
        0.0
    } else {
        n as f64 / wall.as_secs_f64()
    }
}

fn per_request_us(cpu: Duration, requests: u64) -> Option<f64> {
    (requests > 0).then(|| cpu.as_secs_f64() * 1e6 / requests as f64)
}

/// Whether a workload ran on a target.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Outcome {
    /// It ran.
    Ran(Measured),
    /// The target lacks what the workload needs (the reason says what).
    NotApplicable(String),
}

/// One workload on one target.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct WorkloadResult {
    /// Which workload.
    pub(crate) workload: Workload,
    /// What happened.
    pub(crate) outcome: Outcome,
}

impl WorkloadResult {
    /// The measurements, if it ran.
    pub(crate) fn measured(&self) -> Option<&Measured> {
        match &self.outcome {
            Outcome::Ran(m) => Some(m),
            Outcome::NotApplicable(_) => None,
        }
    }
}

/// What a target is to the comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// This project's server.
    Ours,
    /// The bare axum endpoint: the most the machine and the load generator
    /// give a GET by id.
    Ceiling,
    /// Another SCIM server.
    Peer,
}

impl Role {
    fn label(self) -> &'static str {
        match self {
            Role::Ours => "ours",
            Role::Ceiling => "ceiling",
            Role::Peer => "peer",
        }
    }
}

/// Everything measured on one target.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TargetReport {
    /// Its name in the tables.
    pub(crate) name: String,
    /// Its role.
    pub(crate) role: Role,
    /// Version, build and store, in words.
    pub(crate) description: String,
    /// `Err`: it could not be installed, started or measured, and why.
    pub(crate) status: Result<(), String>,
    /// Its workloads, in running order.
    pub(crate) workloads: Vec<WorkloadResult>,
    /// The server's peak resident memory (`VmHWM`) at the end.
    pub(crate) peak_rss_kib: Option<u64>,
}

impl TargetReport {
    /// A target that could not be measured.
    pub(crate) fn failed(name: &str, role: Role, description: String, why: String) -> Self {
        TargetReport {
            name: name.to_owned(),
            role,
            description,
            status: Err(why),
            workloads: Vec::new(),
            peak_rss_kib: None,
        }
    }

    fn get(&self, workload: Workload) -> Option<&Measured> {
        self.workloads
            .iter()
            .find(|w| w.workload == workload)
            .and_then(WorkloadResult::measured)
    }

    /// Errors over all workloads.
    pub(crate) fn errors(&self) -> u64 {
        self.workloads
            .iter()
            .filter_map(WorkloadResult::measured)
            .map(|m| m.errors)
            .sum()
    }
}

/// A whole run.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Report {
    /// When it ran (UTC).
    pub(crate) date: String,
    /// The commit measured.
    pub(crate) source: String,
    /// The machine.
    pub(crate) machine: Machine,
    /// The settings, in words, and the command line.
    pub(crate) settings: String,
    /// The command that produced it.
    pub(crate) command: String,
    /// The targets, ours first.
    pub(crate) targets: Vec<TargetReport>,
}

impl Report {
    /// Errors over all targets (wrong answers; a target that could not be
    /// started is not counted here).
    pub(crate) fn errors(&self) -> u64 {
        self.targets.iter().map(TargetReport::errors).sum()
    }

    fn ours(&self) -> Option<&TargetReport> {
        self.targets.iter().find(|t| t.role == Role::Ours)
    }

    fn ceiling(&self) -> Option<&TargetReport> {
        self.targets.iter().find(|t| t.role == Role::Ceiling)
    }

    fn peers(&self) -> impl Iterator<Item = &TargetReport> {
        self.targets.iter().filter(|t| t.role == Role::Peer)
    }
}

/// `ours / theirs` when both are positive.
pub(crate) fn ratio(ours: Option<f64>, theirs: Option<f64>) -> Option<f64> {
    match (ours, theirs) {
        (Some(a), Some(b)) if a > 0.0 && b > 0.0 => Some(a / b),
        _ => None,
    }
}

/// Server CPU per item and throughput in items of ours against one other
/// target for one workload: `(cpu ours/theirs, throughput ours/theirs)`.
/// Items are requests, except in bulk-load where they are users, so that
/// bulk requests of different sizes compare.
fn compare(ours: &Measured, theirs: &Measured) -> (Option<f64>, Option<f64>) {
    (
        ratio(
            ours.server_cpu_per_item_us(),
            theirs.server_cpu_per_item_us(),
        ),
        ratio(Some(ours.item_rate()), Some(theirs.item_rate())),
    )
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 100.0 {
        format!("{ms:.0}")
    } else if ms >= 10.0 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.2}")
    }
}

/// A figure with about three significant digits.
fn number(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else if x >= 0.1 || x == 0.0 {
        format!("{x:.2}")
    } else if x >= 0.01 {
        format!("{x:.3}")
    } else {
        format!("{x:.4}")
    }
}

fn optional(x: Option<f64>, render: impl Fn(f64) -> String) -> String {
    x.map_or_else(|| "–".to_owned(), render)
}

fn mib(kib: u64) -> String {
    format!("{:.0}", kib as f64 / 1024.0)
}

/// Text made safe for one cell of a Markdown table.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\r', '\n'], " ")
}

/// The Markdown report.
pub(crate) fn markdown(report: &Report) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# scim-server benchmark\n");
    let _ = writeln!(
        md,
        "Written by `{}` on {}; server built from {}.\n",
        report.command, report.date, report.source
    );
    let m = &report.machine;
    let _ = writeln!(
        md,
        "Machine: {}, {} cores, {:.1} GiB memory, {}.\n",
        m.cpu,
        m.cores,
        m.memory_mib as f64 / 1024.0,
        if m.kernel.is_empty() {
            "Linux"
        } else {
            &m.kernel
        }
    );
    let _ = writeln!(md, "Settings: {}.\n", report.settings);

    let _ = writeln!(md, "## Targets\n");
    for t in &report.targets {
        let status = match &t.status {
            Ok(()) => String::new(),
            Err(why) => format!(" **Not measured:** {}", cell(why)),
        };
        let _ = writeln!(
            md,
            "- **{}** ({}): {}.{status}",
            t.name,
            t.role.label(),
            t.description
        );
    }

    let _ = writeln!(md, "\n## Results\n");
    let _ = writeln!(
        md,
        "Latency is client-side, from sending a request to having read its body. \
         CPU is the server process's user + system time (`/proc/<pid>/stat`) during the \
         workload divided by its requests, sys the kernel's share of it; RSS is `VmRSS` \
         after the workload.\n"
    );
    let _ = writeln!(
        md,
        "| target | workload | requests | errors | req/s | p50 ms | p99 ms | \
         server CPU µs/req | sys | client CPU µs/req | RSS MiB | note |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|---|---|---|---|---|");
    for t in report.targets.iter().filter(|t| t.status.is_ok()) {
        for w in &t.workloads {
            match &w.outcome {
                Outcome::Ran(r) => {
                    let mut note = r.note.clone();
                    if r.time_capped {
                        note = format!("time cap reached; {note}");
                    }
                    let _ = writeln!(
                        md,
                        "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                        t.name,
                        w.workload.id(),
                        r.requests,
                        r.errors,
                        number(r.rate()),
                        r.latency.map_or_else(|| "–".to_owned(), |l| ms(l.p50)),
                        r.latency.map_or_else(|| "–".to_owned(), |l| ms(l.p99)),
                        optional(r.server_cpu_per_request_us(), number),
                        optional(r.server_system_share(), |x| format!("{x:.0}%")),
                        optional(r.client_cpu_per_request_us(), number),
                        mib(r.rss_after_kib),
                        cell(note.trim_end_matches("; "))
                    );
                }
                Outcome::NotApplicable(why) => {
                    let _ = writeln!(
                        md,
                        "| {} | {} | n/a | | | | | | | | | {} |",
                        t.name,
                        w.workload.id(),
                        cell(why)
                    );
                }
            }
        }
    }

    if let Some(ours) = report.ours() {
        let peers: Vec<&TargetReport> = report.peers().collect();
        if !peers.is_empty() {
            let _ = writeln!(md, "\n## Ratios against the peers\n");
            let _ = writeln!(
                md,
                "Each cell: server CPU per request (per user in bulk-load), ours / theirs \
                 (below 1: ours uses less), then throughput, ours / theirs (above 1: ours \
                 serves more), both from this one run.\n"
            );
            let header: Vec<String> = peers.iter().map(|p| p.name.clone()).collect();
            let _ = writeln!(md, "| workload | {} |", header.join(" | "));
            let _ = writeln!(md, "|---|{}", "---|".repeat(peers.len()));
            let mut capped = false;
            let mut group_capped = false;
            for workload in Workload::ALL {
                let Some(our) = ours.get(workload) else {
                    continue;
                };
                let cells: Vec<String> = peers
                    .iter()
                    .map(|p| match p.get(workload) {
                        _ if p.status.is_err() => "not measured".to_owned(),
                        Some(theirs) => {
                            let (cpu, speed) = compare(our, theirs);
                            capped |= theirs.time_capped;
                            group_capped |= theirs.time_capped && workload == Workload::GroupGrowth;
                            format!(
                                "CPU ×{} · throughput ×{}{}",
                                optional(cpu, number),
                                optional(speed, number),
                                if theirs.time_capped { " †" } else { "" }
                            )
                        }
                        None => "n/a".to_owned(),
                    })
                    .collect();
                let _ = writeln!(md, "| {} | {} |", workload.id(), cells.join(" | "));
            }
            if capped {
                let _ = writeln!(
                    md,
                    "\n† The peer reached the time cap: it made fewer requests than ours.{}",
                    if group_capped {
                        " In group-growth they were on a smaller group, which flatters its \
                         ratio; compare the deciles below."
                    } else {
                        ""
                    }
                );
            }
        }
        if let (Some(ceiling), Some(our)) = (report.ceiling(), ours.get(Workload::Get))
            && let Some(bare) = ceiling.get(Workload::Get)
        {
            let _ = writeln!(md, "\n## Ceiling\n");
            let _ = writeln!(
                md,
                "The same load generator against a bare axum endpoint that answers every \
                 `GET /scim/v2/Users/{{id}}` with a fixed user (its id filled in): \
                 what this machine, HTTP and the load generator allow.\n"
            );
            let _ = writeln!(
                md,
                "| GET by id | req/s | p50 ms | server CPU µs/req |\n|---|---|---|---|"
            );
            for (name, r) in [(&ours.name, our), (&ceiling.name, bare)] {
                let _ = writeln!(
                    md,
                    "| {name} | {} | {} | {} |",
                    number(r.rate()),
                    r.latency.map_or_else(|| "–".to_owned(), |l| ms(l.p50)),
                    optional(r.server_cpu_per_request_us(), number)
                );
            }
            let (cpu, speed) = compare(our, bare);
            let _ = writeln!(
                md,
                "\nThroughput {} / ceiling: **{}**; CPU per request {} / ceiling: {}.",
                ours.name,
                optional(speed, |x| format!("{x:.2}")),
                ours.name,
                optional(cpu, number)
            );
        }
    }

    for (workload, what) in [
        (Workload::GroupGrowth, "decile of the group's size"),
        (Workload::ListIndex, "decile of startIndex"),
    ] {
        let columns: Vec<(&str, &Measured)> = report
            .targets
            .iter()
            .filter_map(|t| Some((t.name.as_str(), t.get(workload)?)))
            .filter(|(_, m)| !m.deciles.is_empty())
            .collect();
        if columns.is_empty() {
            continue;
        }
        let _ = writeln!(
            md,
            "\n## {}: p50 (p99) latency in ms by {what}\n",
            workload.id()
        );
        let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
        let _ = writeln!(md, "| decile | {} |", names.join(" | "));
        let _ = writeln!(md, "|---|{}", "---|".repeat(columns.len()));
        for d in 0..DECILES {
            let cells: Vec<String> = columns
                .iter()
                .map(|(_, m)| match m.deciles.get(d).copied().flatten() {
                    Some(s) => format!("{} ({})", ms(s.p50), ms(s.p99)),
                    None => "–".to_owned(),
                })
                .collect();
            let _ = writeln!(
                md,
                "| {}–{}% | {} |",
                d * 10,
                (d + 1) * 10,
                cells.join(" | ")
            );
        }
    }

    let _ = writeln!(md, "\n## Peak memory\n");
    let _ = writeln!(md, "| target | peak RSS MiB (VmHWM) |\n|---|---|");
    for t in report.targets.iter().filter(|t| t.status.is_ok()) {
        let _ = writeln!(
            md,
            "| {} | {} |",
            t.name,
            t.peak_rss_kib.map_or_else(|| "–".to_owned(), mib)
        );
    }

    let _ = writeln!(md, "\n## Errors\n");
    let mut any = false;
    for t in &report.targets {
        for w in &t.workloads {
            if let Some(r) = w.measured().filter(|r| r.errors > 0) {
                any = true;
                let _ = writeln!(
                    md,
                    "- {} {}: {} error(s): {}",
                    t.name,
                    w.workload.id(),
                    r.errors,
                    cell(&r.error_samples.join(" / "))
                );
            }
        }
    }
    if !any {
        let _ = writeln!(md, "None: every checked answer was right.");
    }
    md
}

fn summary_json(s: Option<Summary>) -> Value {
    match s {
        Some(s) => json!({
            "count": s.count,
            "p50_ms": s.p50.as_secs_f64() * 1000.0,
            "p99_ms": s.p99.as_secs_f64() * 1000.0
        }),
        None => Value::Null,
    }
}

/// The JSON report.
pub(crate) fn json(report: &Report) -> Value {
    let targets: Vec<Value> = report
        .targets
        .iter()
        .map(|t| {
            let workloads: Vec<Value> = t
                .workloads
                .iter()
                .map(|w| match &w.outcome {
                    Outcome::Ran(r) => json!({
                        "workload": w.workload.id(),
                        "request": w.workload.describe(),
                        "status": "ran",
                        "requests": r.requests,
                        "items": r.items,
                        "errors": r.errors,
                        "error_samples": r.error_samples,
                        "wall_seconds": r.wall.as_secs_f64(),
                        "requests_per_second": r.rate(),
                        "items_per_second": r.item_rate(),
                        "latency": summary_json(r.latency),
                        "deciles": r.deciles.iter().map(|d| summary_json(*d)).collect::<Vec<_>>(),
                        "server_cpu_seconds": r.server_cpu.as_secs_f64(),
                        "server_system_cpu_seconds": r.server_system_cpu.as_secs_f64(),
                        "server_cpu_us_per_request": r.server_cpu_per_request_us(),
                        "server_cpu_us_per_item": r.server_cpu_per_item_us(),
                        "client_cpu_us_per_request": r.client_cpu_per_request_us(),
                        "rss_after_kib": r.rss_after_kib,
                        "time_capped": r.time_capped,
                        "note": r.note
                    }),
                    Outcome::NotApplicable(why) => json!({
                        "workload": w.workload.id(),
                        "status": "n/a",
                        "reason": why
                    }),
                })
                .collect();
            json!({
                "name": t.name,
                "role": t.role.label(),
                "description": t.description,
                "status": match &t.status { Ok(()) => "ok".to_owned(), Err(e) => format!("failed: {e}") },
                "peak_rss_kib": t.peak_rss_kib,
                "workloads": workloads
            })
        })
        .collect();
    let mut ratios = Vec::new();
    if let Some(ours) = report.ours() {
        for other in report.targets.iter().filter(|t| t.role != Role::Ours) {
            for workload in Workload::ALL {
                if let (Some(a), Some(b)) = (ours.get(workload), other.get(workload)) {
                    let (cpu, speed) = compare(a, b);
                    ratios.push(json!({
                        "workload": workload.id(),
                        "against": other.name,
                        "server_cpu_per_request_ours_over_theirs": cpu,
                        "throughput_ours_over_theirs": speed
                    }));
                }
            }
        }
    }
    json!({
        "date": report.date,
        "source": report.source,
        "command": report.command,
        "settings": report.settings,
        "machine": {
            "cpu": report.machine.cpu,
            "cores": report.machine.cores,
            "memory_mib": report.machine.memory_mib,
            "kernel": report.machine.kernel
        },
        "errors": report.errors(),
        "targets": targets,
        "ratios": ratios
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured(requests: u64, wall_ms: u64, cpu_ms: u64) -> Measured {
        let latency = Duration::from_millis(2);
        Measured {
            requests,
            items: requests,
            wall: Duration::from_millis(wall_ms),
            latency: Some(Summary {
                count: requests as usize,
                p50: latency,
                p99: latency * 3,
            }),
            server_cpu: Duration::from_millis(cpu_ms),
            server_system_cpu: Duration::from_millis(cpu_ms / 4),
            client_cpu: Duration::from_millis(cpu_ms / 2),
            rss_after_kib: 20 * 1024,
            ..Measured::default()
        }
    }

    fn target(name: &str, role: Role, get: Measured) -> TargetReport {
        TargetReport {
            name: name.to_owned(),
            role,
            description: format!("{name} 1.0"),
            status: Ok(()),
            workloads: vec![
                WorkloadResult {
                    workload: Workload::Get,
                    outcome: Outcome::Ran(get),
                },
                WorkloadResult {
                    workload: Workload::ListCursor,
                    outcome: Outcome::NotApplicable("no cursor".to_owned()),
                },
            ],
            peak_rss_kib: Some(30 * 1024),
        }
    }

    fn report() -> Report {
        let mut with_deciles = measured(1000, 1000, 100);
        with_deciles.deciles = vec![None; DECILES];
        with_deciles.deciles[0] = Some(Summary {
            count: 1,
            p50: Duration::from_millis(4),
            p99: Duration::from_millis(9),
        });
        let mut ours = target("scim-server", Role::Ours, measured(1000, 500, 100));
        ours.workloads.push(WorkloadResult {
            workload: Workload::GroupGrowth,
            outcome: Outcome::Ran(with_deciles),
        });
        Report {
            date: "2026-01-01T00:00:00Z".to_owned(),
            source: "commit `abc`".to_owned(),
            machine: Machine {
                cpu: "AMD EPYC".to_owned(),
                cores: 2,
                memory_mib: 24_000,
                kernel: "Linux 6.1".to_owned(),
            },
            settings: "10000 users".to_owned(),
            command: "cargo xtask bench".to_owned(),
            targets: vec![
                ours,
                target("ceiling", Role::Ceiling, measured(4000, 1000, 200)),
                target("peer-a", Role::Peer, measured(500, 1000, 500)),
                TargetReport::failed(
                    "peer-b",
                    Role::Peer,
                    "peer-b 2.0".to_owned(),
                    "npm | failed".to_owned(),
                ),
            ],
        }
    }

    #[test]
    fn rates_and_cpu_per_request() {
        let m = measured(1000, 500, 100);
        assert_eq!(m.rate(), 2000.0);
        assert_eq!(m.server_cpu_per_request_us(), Some(100.0));
        assert_eq!(m.client_cpu_per_request_us(), Some(50.0));
        assert_eq!(measured(0, 0, 0).rate(), 0.0);
        assert_eq!(measured(0, 0, 0).server_cpu_per_request_us(), None);
        assert_eq!(ratio(Some(1.0), Some(4.0)), Some(0.25));
        assert_eq!(ratio(Some(1.0), Some(0.0)), None);
        assert_eq!(ratio(None, Some(1.0)), None);
        assert_eq!(number(1234.5), "1234");
        assert_eq!(number(12.34), "12.3");
        assert_eq!(number(0.5), "0.50");
        assert_eq!(number(0.0), "0.00");
        assert_eq!(number(0.0421), "0.042");
        assert_eq!(number(0.00142), "0.0014");
    }

    #[test]
    fn the_markdown_has_results_ratios_ceiling_and_deciles() {
        let md = markdown(&report());
        assert!(md.contains("Machine: AMD EPYC, 2 cores, 23.4 GiB memory, Linux 6.1."));
        assert!(md.contains(
            "| scim-server | get | 1000 | 0 | 2000 | 2.00 | 6.00 | 100 | 25% | 50.0 | 20 |"
        ));
        assert!(md.contains("| scim-server | list-cursor | n/a | | | | | | | | | no cursor |"));
        // ours: 100 µs/req and 2000 req/s; peer-a: 1000 µs/req and 500 req/s.
        assert!(
            md.contains("| get | CPU ×0.10 · throughput ×4.00 |"),
            "{md}"
        );
        assert!(
            !md.contains("\n| list-cursor |"),
            "n/a for ours: no ratio row"
        );
        assert!(md.contains("Throughput scim-server / ceiling: **0.50**"));
        assert!(md.contains("| 0–10% | 4.00 (9.00) |"));
        assert!(md.contains("| 90–100% | – |"));
        assert!(md.contains("**Not measured:** npm \\| failed"));
        assert!(md.contains("None: every checked answer was right."));
    }

    #[test]
    fn time_capped_peers_are_flagged() {
        let mut r = report();
        if let Outcome::Ran(m) = &mut r.targets[2].workloads[0].outcome {
            m.time_capped = true;
        }
        let md = markdown(&r);
        assert!(
            md.contains("| get | CPU ×0.10 · throughput ×4.00 † | not measured |"),
            "{md}"
        );
        assert!(md.contains("† The peer reached the time cap"));
    }

    #[test]
    fn errors_are_listed_and_counted() {
        let mut r = report();
        if let Outcome::Ran(m) = &mut r.targets[2].workloads[0].outcome {
            m.error("GET /Users/1: status 500".to_owned());
        }
        assert_eq!(r.errors(), 1);
        let md = markdown(&r);
        assert!(md.contains("- peer-a get: 1 error(s): GET /Users/1: status 500"));
    }

    #[test]
    fn the_json_has_every_target_and_the_ratios() {
        let doc = json(&report());
        assert_eq!(doc["errors"], 0);
        assert_eq!(doc["machine"]["cores"], 2);
        let targets = doc["targets"].as_array().unwrap();
        assert_eq!(targets.len(), 4);
        assert_eq!(targets[0]["workloads"][0]["requests_per_second"], 2000.0);
        assert_eq!(targets[0]["workloads"][1]["status"], "n/a");
        assert_eq!(targets[3]["status"], "failed: npm | failed");
        let ratios = doc["ratios"].as_array().unwrap();
        let peer = ratios.iter().find(|r| r["against"] == "peer-a").unwrap();
        assert_eq!(peer["server_cpu_per_request_ours_over_theirs"], 0.1);
        assert_eq!(peer["throughput_ours_over_theirs"], 4.0);
    }
}
