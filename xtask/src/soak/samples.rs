//! What a soak run records every [`SAMPLE_EVERY`], and the verdict on it.
//!
//! The run is cut into windows of one minute (a third of the run when it
//! is shorter than three minutes): the first is the warm-up, the second the
//! first steady window, and the last is compared with them.
//!
//! - **Answers**: any 5xx, wrong answer or request without an answer fails
//!   the run.
//! - **Memory**: the server's resident memory at the end may exceed its
//!   value at the end of the warm-up by at most [`RSS_GROWTH_PERCENT`].
//!   The directory keeps its size, so growth beyond that is a leak, not
//!   data.
//! - **Latency**: the last window's p99 may be at most [`P99_FACTOR`]
//!   times the first steady window's, or [`P99_SLACK`] above it when that
//!   is more: on two cores shared with the load generator, a few
//!   milliseconds of p99 come and go with the scheduler.
//!
//! A `--smoke` run is too short to say anything about growth: it reports
//! memory and latency but fails only on wrong answers.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::{Value, json};

use super::mix::{Kind, Outcome};
use crate::bench::stats::{Summary, percentile, summarize};

/// How often the server is sampled.
pub(crate) const SAMPLE_EVERY: Duration = Duration::from_secs(10);
/// The longest window: warm-up, first steady and last.
pub(crate) const WINDOW: Duration = Duration::from_secs(60);
/// How much the resident memory may grow after the warm-up, in percent.
pub(crate) const RSS_GROWTH_PERCENT: f64 = 20.0;
/// How many times the first steady window's p99 the last window's may be.
pub(crate) const P99_FACTOR: f64 = 3.0;
/// The p99 increase that is never a failure.
pub(crate) const P99_SLACK: Duration = Duration::from_millis(10);
/// Error messages kept for the report.
const ERROR_SAMPLES: usize = 10;

/// Outcomes since the last sample, and totals over the run.
#[derive(Default)]
pub(crate) struct Recorder {
    window: Mutex<Interval>,
    totals: Mutex<Totals>,
}

/// The outcomes of one sampling interval.
#[derive(Debug, Default)]
pub(crate) struct Interval {
    /// Latencies of the answered requests.
    pub(crate) latencies: Vec<Duration>,
    /// Requests completed.
    pub(crate) requests: u64,
    /// Requests with a wrong or no answer.
    pub(crate) errors: u64,
    /// Answers with a 5xx status.
    pub(crate) server_errors: u64,
}

/// Counts and latencies over the whole run.
#[derive(Debug, Default)]
pub(crate) struct Totals {
    /// Latencies per kind, by [`Kind::index`].
    pub(crate) latencies: [Vec<Duration>; Kind::ALL.len()],
    /// Errors per kind, by [`Kind::index`].
    pub(crate) errors: [u64; Kind::ALL.len()],
    /// The first few error messages.
    pub(crate) error_samples: Vec<String>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Recorder {
    /// Adds a request's outcome.
    pub(crate) fn record(&self, outcome: Outcome) {
        let failed = outcome.error.is_some();
        {
            let mut window = lock(&self.window);
            window.requests += 1;
            window.errors += u64::from(failed);
            window.server_errors += u64::from(outcome.server_error);
            if let Some(latency) = outcome.latency {
                window.latencies.push(latency);
            }
        }
        let mut totals = lock(&self.totals);
        let k = outcome.kind.index();
        if let Some(latency) = outcome.latency {
            totals.latencies[k].push(latency);
        }
        if let Some(error) = outcome.error {
            totals.errors[k] += 1;
            if totals.error_samples.len() < ERROR_SAMPLES {
                totals.error_samples.push(error);
            }
        }
    }

    /// The outcomes since the last call.
    pub(crate) fn take(&self) -> Interval {
        std::mem::take(&mut *lock(&self.window))
    }

    /// The totals so far.
    pub(crate) fn totals(&self) -> Totals {
        std::mem::take(&mut *lock(&self.totals))
    }
}

/// One row of the table.
#[derive(Debug, Default)]
pub(crate) struct Sample {
    /// Time since the load started.
    pub(crate) at: Duration,
    /// The interval's outcomes.
    pub(crate) interval: Interval,
    /// The interval's wall time.
    pub(crate) wall: Duration,
    /// The server's resident memory at the end, in KiB.
    pub(crate) rss_kib: u64,
    /// Its open file descriptors.
    pub(crate) fds: u64,
    /// Its threads.
    pub(crate) threads: u64,
    /// Its CPU time during the interval, in percent of one core.
    pub(crate) cpu_percent: f64,
    /// Users in the directory that no request had in hand.
    pub(crate) population: usize,
    /// The machine's one-minute load average: other work on the machine
    /// shows in latency.
    pub(crate) load: Option<f64>,
}

impl Sample {
    fn summary(&self) -> Option<(Summary, Duration)> {
        let mut latencies = self.interval.latencies.clone();
        let summary = summarize(&mut latencies)?;
        Some((summary, *latencies.last()?))
    }

    fn rate(&self) -> f64 {
        self.interval.requests as f64 / self.wall.as_secs_f64().max(1e-9)
    }
}

/// Samples per window for a run of `samples` samples.
pub(crate) fn window_samples(samples: usize) -> usize {
    let most = (WINDOW.as_secs() / SAMPLE_EVERY.as_secs()) as usize;
    (samples / 3).clamp(1, most)
}

/// The latencies of `samples`, summarized together.
fn window_summary(samples: &[Sample]) -> Option<Summary> {
    let mut all: Vec<Duration> = samples
        .iter()
        .flat_map(|s| s.interval.latencies.iter().copied())
        .collect();
    summarize(&mut all)
}

/// One pass/fail line of the verdict.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Check {
    /// What is checked.
    pub(crate) name: &'static str,
    /// Whether it held.
    pub(crate) passed: bool,
    /// Whether a failure fails the run (not for growth in a smoke run).
    pub(crate) asserted: bool,
    /// The figures.
    pub(crate) detail: String,
}

/// The figures the checks compare, and the checks.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Verdict {
    /// Samples per window.
    pub(crate) window: usize,
    /// Resident memory at the end of the warm-up, in KiB.
    pub(crate) rss_baseline_kib: u64,
    /// Resident memory at the end, in KiB.
    pub(crate) rss_last_kib: u64,
    /// Its growth, in percent.
    pub(crate) rss_growth_percent: f64,
    /// Latency of the first steady window.
    pub(crate) first: Option<Summary>,
    /// Latency of the last window.
    pub(crate) last: Option<Summary>,
    /// The checks.
    pub(crate) checks: Vec<Check>,
}

impl Verdict {
    /// Whether every asserted check held.
    pub(crate) fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed || !c.asserted)
    }
}

/// Judges a run; `assert_growth` is false for a smoke run.
pub(crate) fn judge(samples: &[Sample], totals: &Totals, assert_growth: bool) -> Verdict {
    let w = window_samples(samples.len());
    let requests: u64 = samples.iter().map(|s| s.interval.requests).sum();
    let errors: u64 = samples.iter().map(|s| s.interval.errors).sum();
    let server_errors: u64 = samples.iter().map(|s| s.interval.server_errors).sum();
    let mut checks = vec![Check {
        name: "answers",
        passed: errors == 0 && server_errors == 0 && requests > 0,
        asserted: true,
        detail: if errors == 0 {
            format!("{requests} requests, every answer as expected")
        } else {
            format!(
                "{errors} of {requests} requests wrong or unanswered ({server_errors} 5xx): {}",
                totals.error_samples.join("; ")
            )
        },
    }];

    let rss_baseline_kib = samples.get(w - 1).map_or(0, |s| s.rss_kib);
    let rss_last_kib = samples.last().map_or(0, |s| s.rss_kib);
    let rss_growth_percent = if rss_baseline_kib == 0 {
        0.0
    } else {
        (rss_last_kib as f64 / rss_baseline_kib as f64 - 1.0) * 100.0
    };
    checks.push(Check {
        name: "memory",
        passed: rss_growth_percent <= RSS_GROWTH_PERCENT,
        asserted: assert_growth,
        detail: format!(
            "RSS {:.1} MiB after the warm-up, {:.1} MiB at the end: {rss_growth_percent:+.1}% \
             (bound +{RSS_GROWTH_PERCENT:.0}%)",
            mib(rss_baseline_kib),
            mib(rss_last_kib)
        ),
    });

    let first = samples
        .get(w..(2 * w).min(samples.len()))
        .and_then(window_summary);
    let last = samples
        .get(samples.len().saturating_sub(w)..)
        .and_then(window_summary);
    let (passed, detail) = match (first, last) {
        (Some(first), Some(last)) => {
            let bound = first.p99.mul_f64(P99_FACTOR).max(first.p99 + P99_SLACK);
            (
                last.p99 <= bound,
                format!(
                    "p99 {} in the first steady window, {} in the last (bound {})",
                    ms(first.p99),
                    ms(last.p99),
                    ms(bound)
                ),
            )
        }
        _ => (false, "no answered request in a window".to_owned()),
    };
    checks.push(Check {
        name: "latency",
        passed,
        asserted: assert_growth,
        detail,
    });

    Verdict {
        window: w,
        rss_baseline_kib,
        rss_last_kib,
        rss_growth_percent,
        first,
        last,
        checks,
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn ms_value(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

/// The table's header line, with a line break.
pub(crate) fn header() -> String {
    format!(
        "{:>5} {:>8} {:>7} {:>6} {:>8} {:>8} {:>8} {:>8} {:>5} {:>7} {:>6} {:>6}\n",
        "t s",
        "requests",
        "req/s",
        "errors",
        "p50 ms",
        "p99 ms",
        "max ms",
        "RSS MiB",
        "fds",
        "threads",
        "CPU %",
        "users"
    )
}

/// One sample as a table row, without a line break.
pub(crate) fn row(s: &Sample) -> String {
    let (p50, p99, max) = match s.summary() {
        Some((summary, max)) => (
            format!("{:.1}", ms_value(summary.p50)),
            format!("{:.1}", ms_value(summary.p99)),
            format!("{:.1}", ms_value(max)),
        ),
        None => ("-".to_owned(), "-".to_owned(), "-".to_owned()),
    };
    format!(
        "{:>5} {:>8} {:>7.1} {:>6} {:>8} {:>8} {:>8} {:>8.1} {:>5} {:>7} {:>6.1} {:>6} {:>5}",
        s.at.as_secs(),
        s.interval.requests,
        s.rate(),
        s.interval.errors,
        p50,
        p99,
        max,
        mib(s.rss_kib),
        s.fds,
        s.threads,
        s.cpu_percent,
        s.population,
        s.load.map_or_else(|| "-".to_owned(), |l| format!("{l:.1}"))
    )
}

/// Latency and errors per kind of request over the run, as text.
pub(crate) fn kinds_table(totals: &Totals) -> String {
    let mut out = format!(
        "{:<14} {:>8} {:>8} {:>8} {:>6}\n",
        "request", "answered", "p50 ms", "p99 ms", "errors"
    );
    for kind in Kind::ALL {
        let k = kind.index();
        let mut latencies = totals.latencies[k].clone();
        let summary = summarize(&mut latencies);
        out.push_str(&format!(
            "{:<14} {:>8} {:>8} {:>8} {:>6}\n",
            kind.id(),
            latencies.len(),
            summary.map_or("-".to_owned(), |s| format!("{:.1}", ms_value(s.p50))),
            summary.map_or("-".to_owned(), |s| format!("{:.1}", ms_value(s.p99))),
            totals.errors[k]
        ));
    }
    out
}

/// The samples, per-kind figures and verdict as JSON.
pub(crate) fn json(samples: &[Sample], totals: &Totals, verdict: &Verdict) -> Value {
    let summary = |s: Option<Summary>| {
        s.map_or(
            Value::Null,
            |s| json!({"count": s.count, "p50_ms": ms_value(s.p50), "p99_ms": ms_value(s.p99)}),
        )
    };
    let rows: Vec<Value> = samples
        .iter()
        .map(|s| {
            let (latency, max) = match s.summary() {
                Some((l, max)) => (Some(l), Some(ms_value(max))),
                None => (None, None),
            };
            json!({
                "t_seconds": s.at.as_secs(),
                "requests": s.interval.requests,
                "requests_per_second": (s.rate() * 10.0).round() / 10.0,
                "errors": s.interval.errors,
                "server_errors": s.interval.server_errors,
                "latency": summary(latency),
                "max_ms": max,
                "rss_kib": s.rss_kib,
                "open_fds": s.fds,
                "threads": s.threads,
                "cpu_percent": (s.cpu_percent * 10.0).round() / 10.0,
                "users_idle": s.population,
                "load_average": s.load,
            })
        })
        .collect();
    let kinds: Vec<Value> = Kind::ALL
        .into_iter()
        .map(|kind| {
            let k = kind.index();
            let mut latencies = totals.latencies[k].clone();
            latencies.sort_unstable();
            json!({
                "request": kind.id(),
                "answered": latencies.len(),
                "p50_ms": percentile(&latencies, 50.0).map(ms_value),
                "p99_ms": percentile(&latencies, 99.0).map(ms_value),
                "errors": totals.errors[k],
            })
        })
        .collect();
    json!({
        "samples": rows,
        "requests": kinds,
        "window_samples": verdict.window,
        "rss_baseline_kib": verdict.rss_baseline_kib,
        "rss_last_kib": verdict.rss_last_kib,
        "rss_growth_percent": (verdict.rss_growth_percent * 10.0).round() / 10.0,
        "first_steady_window": summary(verdict.first),
        "last_window": summary(verdict.last),
        "error_samples": totals.error_samples,
        "checks": verdict.checks.iter().map(|c| json!({
            "name": c.name, "passed": c.passed, "asserted": c.asserted, "detail": c.detail
        })).collect::<Vec<Value>>(),
        "passed": verdict.passed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(at: u64, rss_kib: u64, latency_ms: u64) -> Sample {
        Sample {
            at: Duration::from_secs(at),
            interval: Interval {
                latencies: vec![Duration::from_millis(latency_ms); 100],
                requests: 100,
                errors: 0,
                server_errors: 0,
            },
            wall: SAMPLE_EVERY,
            rss_kib,
            ..Sample::default()
        }
    }

    fn run(rss: impl Fn(u64) -> u64, latency: impl Fn(u64) -> u64) -> Vec<Sample> {
        (1..=60)
            .map(|k| sample(k * 10, rss(k), latency(k)))
            .collect()
    }

    #[test]
    fn windows_are_a_minute_or_a_third() {
        assert_eq!(window_samples(60), 6);
        assert_eq!(window_samples(18), 6);
        assert_eq!(window_samples(9), 3);
        assert_eq!(window_samples(3), 1);
        assert_eq!(window_samples(1), 1);
    }

    #[test]
    fn a_steady_run_passes() {
        // Memory climbs during the warm-up, then stays within the bound.
        let samples = run(|k| if k <= 6 { 10_000 * k } else { 65_000 }, |_| 2);
        let verdict = judge(&samples, &Totals::default(), true);
        assert_eq!(verdict.rss_baseline_kib, 60_000);
        assert_eq!(verdict.rss_last_kib, 65_000);
        assert!(verdict.passed(), "{verdict:?}");
    }

    #[test]
    fn memory_growth_fails_a_full_run_only() {
        let samples = run(|k| 50_000 + 1_000 * k, |_| 2);
        let verdict = judge(&samples, &Totals::default(), true);
        assert!((verdict.rss_growth_percent - 96.4).abs() < 0.1);
        assert!(!verdict.passed());
        assert!(judge(&samples, &Totals::default(), false).passed());
    }

    #[test]
    fn latency_may_grow_by_the_factor_or_the_slack() {
        let slower = |last_ms| run(|_| 50_000, move |k| if k > 54 { last_ms } else { 4 });
        assert!(judge(&slower(12), &Totals::default(), true).passed());
        assert!(
            judge(&slower(14), &Totals::default(), true).passed(),
            "4 + 10 ms"
        );
        assert!(!judge(&slower(15), &Totals::default(), true).passed());
        let fast = |last_ms| run(|_| 50_000, move |k| if k > 54 { last_ms } else { 40 });
        assert!(
            judge(&fast(120), &Totals::default(), true).passed(),
            "3 × 40 ms"
        );
        assert!(!judge(&fast(121), &Totals::default(), true).passed());
    }

    #[test]
    fn any_error_fails_even_a_smoke_run() {
        let mut samples = run(|_| 50_000, |_| 2);
        samples[30].interval.errors = 1;
        samples[30].interval.server_errors = 1;
        let totals = Totals {
            error_samples: vec!["get: status 500".to_owned()],
            ..Totals::default()
        };
        let verdict = judge(&samples, &totals, false);
        assert!(!verdict.passed());
        assert!(verdict.checks[0].detail.contains("get: status 500"));
    }

    #[test]
    fn the_recorder_splits_intervals_and_keeps_totals() {
        let recorder = Recorder::default();
        recorder.record(Outcome {
            kind: Kind::Get,
            latency: Some(Duration::from_millis(2)),
            server_error: false,
            error: None,
        });
        recorder.record(Outcome {
            kind: Kind::Delete,
            latency: Some(Duration::from_millis(9)),
            server_error: true,
            error: Some("delete: status 500".to_owned()),
        });
        let first = recorder.take();
        assert_eq!(
            (first.requests, first.errors, first.server_errors),
            (2, 1, 1)
        );
        assert_eq!(first.latencies.len(), 2);
        assert_eq!(recorder.take().requests, 0);
        let totals = recorder.totals();
        assert_eq!(totals.latencies[Kind::Get.index()].len(), 1);
        assert_eq!(totals.errors[Kind::Delete.index()], 1);
        assert_eq!(totals.error_samples, ["delete: status 500"]);
    }

    #[test]
    fn rows_show_the_figures() {
        let row = row(&sample(30, 51_200, 3));
        let fields: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(
            fields,
            [
                "30", "100", "10.0", "0", "3.0", "3.0", "3.0", "50.0", "0", "0", "0.0", "0", "-"
            ]
        );
        assert!(header().trim_start().starts_with("t s"));
    }
}
