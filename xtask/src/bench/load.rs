//! The load generator: an HTTP client with a keep-alive connection pool
//! (reqwest over plain HTTP/1.1 to loopback) and a driver that runs one
//! operation at a time on each of N worker tasks until a request count or a
//! deadline is reached, whichever comes first.
//!
//! Each operation is one HTTP request; it measures its own latency (from
//! sending the request to having read the whole body, before any check) and
//! says whether the answer was right.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::Method;

/// How long one request may take before it counts as an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// How many error messages a workload keeps for the report.
const ERROR_SAMPLES: usize = 5;

/// A client of one server: its base URL and bearer token.
#[derive(Clone)]
pub(crate) struct Http {
    client: reqwest::Client,
    base: Arc<str>,
    authorization: Option<Arc<str>>,
}

/// A response, read whole.
pub(crate) struct Reply {
    /// The status code.
    pub(crate) status: u16,
    /// The body.
    pub(crate) body: Vec<u8>,
    /// From sending the request to having read the body.
    pub(crate) latency: Duration,
}

impl Http {
    /// A client of `base` (e.g. `http://127.0.0.1:8080/scim/v2`) keeping up
    /// to `pool` idle connections open.
    pub(crate) fn new(base: &str, token: Option<&str>, pool: usize) -> Result<Http, String> {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(pool)
            .pool_idle_timeout(Duration::from_secs(30))
            .tcp_nodelay(true)
            .no_proxy()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Http {
            client,
            base: base.trim_end_matches('/').into(),
            authorization: token.map(|t| format!("Bearer {t}").into()),
        })
    }

    /// Sends `method path` (relative to the base URL, starting with `/`)
    /// with an optional SCIM JSON body, and reads the whole answer.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Reply, String> {
        let url = format!("{}{path}", self.base);
        let mut request = self
            .client
            .request(method.clone(), &url)
            .header("Accept", "application/scim+json");
        if let Some(authorization) = &self.authorization {
            request = request.header("Authorization", authorization.as_ref());
        }
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/scim+json")
                .body(body);
        }
        let started = Instant::now();
        let response = request
            .send()
            .await
            .map_err(|e| format!("{method} {path}: {}", with_sources(&e)))?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("{method} {path}: reading the body: {}", with_sources(&e)))?;
        Ok(Reply {
            status,
            body: body.to_vec(),
            latency: started.elapsed(),
        })
    }
}

/// An error with its causes: reqwest's own message rarely says what
/// happened on the connection.
fn with_sources(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// What one operation measured and concluded.
pub(crate) struct Op {
    /// The request's latency (zero when it never got an answer).
    pub(crate) latency: Duration,
    /// Whether the answer was right (`Err` says what was wrong).
    pub(crate) result: Result<(), String>,
    /// The decile the request belongs to, for the workloads that keep them.
    pub(crate) bucket: usize,
    /// What the request carried: users for a bulk request, else 1.
    pub(crate) items: u64,
}

impl Op {
    /// The outcome of a request that got `reply` and was judged by `check`.
    pub(crate) fn judged(reply: &Reply, check: Result<(), String>) -> Op {
        Op {
            latency: reply.latency,
            result: check,
            bucket: 0,
            items: 1,
        }
    }

    /// The outcome of a request that got no answer.
    pub(crate) fn failed(message: String) -> Op {
        Op {
            latency: Duration::ZERO,
            result: Err(message),
            bucket: 0,
            items: 1,
        }
    }

    /// The same outcome in decile `bucket`.
    pub(crate) fn in_bucket(mut self, bucket: usize) -> Op {
        self.bucket = bucket;
        self
    }
}

/// An operation in flight.
pub(crate) type OpFuture = Pin<Box<dyn Future<Output = Op> + Send>>;
/// Makes the operation number `i` for worker `w`: `(w, i) -> future`.
pub(crate) type OpFn = Arc<dyn Fn(usize, u64) -> OpFuture + Send + Sync>;

/// Bounds of one workload.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Concurrent workers.
    pub(crate) concurrency: usize,
    /// Operations, at most.
    pub(crate) requests: u64,
    /// Time, at most: no operation starts after it.
    pub(crate) duration: Duration,
}

/// What a workload's operations added up to.
#[derive(Debug, Default)]
pub(crate) struct Driven {
    /// `(bucket, latency)` of each answered operation.
    pub(crate) samples: Vec<(usize, Duration)>,
    /// Operations run.
    pub(crate) requests: u64,
    /// Items they carried.
    pub(crate) items: u64,
    /// Operations with a wrong or no answer.
    pub(crate) errors: u64,
    /// The first few error messages.
    pub(crate) error_samples: Vec<String>,
    /// Wall time from the first start to the last end.
    pub(crate) wall: Duration,
    /// Whether the deadline, not the request count, ended the workload.
    pub(crate) time_capped: bool,
}

impl Driven {
    fn record(&mut self, op: Op) {
        self.requests += 1;
        self.items += op.items;
        if op.latency > Duration::ZERO {
            self.samples.push((op.bucket, op.latency));
        }
        if let Err(message) = op.result {
            self.error(message);
        }
    }

    /// Counts an error found outside an operation (e.g. a final check).
    pub(crate) fn error(&mut self, message: String) {
        self.errors += 1;
        if self.error_samples.len() < ERROR_SAMPLES {
            self.error_samples.push(message);
        }
    }
}

/// Runs `op` on `limits.concurrency` workers until `limits.requests`
/// operations were started or `limits.duration` has passed.
pub(crate) async fn drive(limits: Limits, op: OpFn) -> Driven {
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let stop_at = started + limits.duration;
    let mut workers = Vec::new();
    for worker in 0..limits.concurrency.max(1) {
        let next = Arc::clone(&next);
        let op = Arc::clone(&op);
        workers.push(tokio::spawn(async move {
            let mut ops = Vec::new();
            let mut capped = false;
            loop {
                if Instant::now() >= stop_at {
                    capped = true;
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= limits.requests {
                    break;
                }
                ops.push(op(worker, i).await);
            }
            (ops, capped)
        }));
    }
    let mut driven = Driven::default();
    for worker in workers {
        match worker.await {
            Ok((ops, capped)) => {
                driven.time_capped |= capped;
                for op in ops {
                    driven.record(op);
                }
            }
            Err(e) => driven.error(format!("a worker failed: {e}")),
        }
    }
    driven.wall = started.elapsed();
    driven
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn the_driver_runs_exactly_the_requested_operations() {
        let op: OpFn = Arc::new(|_, i| {
            Box::pin(async move {
                Op {
                    latency: Duration::from_micros(i + 1),
                    result: if i % 10 == 3 {
                        Err(format!("wrong {i}"))
                    } else {
                        Ok(())
                    },
                    bucket: (i % 10) as usize,
                    items: 2,
                }
            })
        });
        let limits = Limits {
            concurrency: 4,
            requests: 100,
            duration: Duration::from_secs(3600),
        };
        let driven = runtime().block_on(drive(limits, op));
        assert_eq!(driven.requests, 100);
        assert_eq!(driven.items, 200);
        assert_eq!(driven.samples.len(), 100);
        assert_eq!(driven.errors, 10);
        assert_eq!(driven.error_samples.len(), ERROR_SAMPLES);
        assert!(!driven.time_capped);
    }

    #[test]
    fn an_elapsed_deadline_starts_nothing() {
        let op: OpFn = Arc::new(|_, _| Box::pin(async { Op::failed("ran".to_owned()) }));
        let limits = Limits {
            concurrency: 2,
            requests: 10,
            duration: Duration::ZERO,
        };
        let driven = runtime().block_on(drive(limits, op));
        assert_eq!(driven.requests, 0);
        assert!(driven.time_capped);
    }

    #[test]
    fn errors_carry_their_causes() {
        #[derive(Debug)]
        struct Wrapper(std::io::Error);
        impl std::fmt::Display for Wrapper {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("request failed")
            }
        }
        impl std::error::Error for Wrapper {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let wrapped = Wrapper(std::io::Error::other("reset by peer"));
        assert_eq!(with_sources(&wrapped), "request failed: reset by peer");
    }

    #[test]
    fn unanswered_operations_count_as_errors_without_a_latency() {
        let mut driven = Driven::default();
        driven.record(Op::failed("connection refused".to_owned()).in_bucket(3));
        assert_eq!((driven.requests, driven.errors), (1, 1));
        assert!(driven.samples.is_empty());
    }
}
