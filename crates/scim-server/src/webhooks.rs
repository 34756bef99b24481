//! Webhook delivery in the server: the HTTP(S) transport (hyper-util with
//! hyper-rustls on ring, as for JWKS) and the background workers that
//! claim due webhooks until shutdown.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, USER_AGENT};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use scim_core::ports::{TransportError, WebhookRequest, WebhookTransport};
use scim_core::{Delivery, DeliveryOutcome, DeliveryWorker};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Deliveries by outcome: `delivered` or `failed`.
pub(crate) const DELIVERIES: &str = "scim_webhook_deliveries_total";
/// Events delivered (taken by a receiver).
pub(crate) const EVENTS_DELIVERED: &str = "scim_webhook_events_delivered_total";

/// The most of an answer's body read before it is dropped: receivers
/// answer with a status; reading a short body lets the connection be
/// reused.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The certificates of a PEM file, for `--webhook-ca-file`: at least one.
pub(crate) fn read_ca_file(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certificates = CertificateDer::pem_file_iter(path)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .with_context(|| format!("cannot read PEM certificates from {}", path.display()))?;
    if certificates.is_empty() {
        anyhow::bail!("{} holds no PEM certificate", path.display());
    }
    Ok(certificates)
}

/// POSTs webhook requests over HTTP or HTTPS: rustls on ring with
/// Mozilla's roots (webpki-roots) and the operator's extra roots, so that
/// neither aws-lc nor a system certificate store is needed. No redirects
/// are followed and no proxy is read from the environment; each request
/// is bounded by its timeout, the answer's body included.
pub(crate) struct HttpTransport {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl HttpTransport {
    /// A transport that also trusts the certificates of `ca_file` (PEM),
    /// for receivers behind a private CA.
    pub(crate) fn new(ca_file: Option<&Path>) -> anyhow::Result<Self> {
        let mut roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        if let Some(path) = ca_file {
            for certificate in read_ca_file(path)? {
                roots
                    .add(certificate)
                    .with_context(|| format!("{}: not a usable CA certificate", path.display()))?;
            }
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .build();
        Ok(HttpTransport {
            client: Client::builder(TokioExecutor::new()).build(connector),
        })
    }
}

#[async_trait]
impl WebhookTransport for HttpTransport {
    async fn post(&self, request: WebhookRequest) -> Result<u16, TransportError> {
        let invalid = || TransportError("invalid request".to_owned());
        let (uri, credentials) = target(&request.url)?;
        let mut builder = hyper::Request::post(uri)
            .header(CONTENT_TYPE, "application/json")
            .header(
                USER_AGENT,
                concat!("scim-server/", env!("CARGO_PKG_VERSION"), " webhooks"),
            );
        if let Some(credentials) = credentials {
            builder = builder.header(AUTHORIZATION, credentials);
        }
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let post = builder
            .body(Full::new(Bytes::from(request.body)))
            .map_err(|_| invalid())?;
        let exchange = async {
            let response = self.client.request(post).await.map_err(describe)?;
            let status = response.status().as_u16();
            // Read (and drop) the answer within the timeout, so that the
            // connection can be reused.
            let _ = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
                .collect()
                .await;
            Ok(status)
        };
        let answer = tokio::time::timeout(request.timeout, exchange)
            .await
            .unwrap_or_else(|_| Err(TransportError("timed out".to_owned())));
        // No message names the URL, but a cause could quote it (and with it
        // credentials): never let it through.
        answer.map_err(|TransportError(message)| {
            TransportError(message.replace(request.url.as_str(), "<the webhook URL>"))
        })
    }
}

/// The URI to POST to and, when the URL carries `user:password@`, the
/// `Authorization: Basic` value made of them (as browsers and reqwest
/// do), since the userinfo itself is never sent.
fn target(url: &str) -> Result<(hyper::Uri, Option<HeaderValue>), TransportError> {
    let invalid = || TransportError("not a valid URL".to_owned());
    let uri: hyper::Uri = url.parse().map_err(|_| invalid())?;
    let Some((userinfo, host)) = uri
        .authority()
        .and_then(|a| a.as_str().rsplit_once('@'))
        .map(|(u, h)| (u.to_owned(), h.to_owned()))
    else {
        return Ok((uri, None));
    };
    let mut parts = uri.into_parts();
    parts.authority = Some(host.parse().map_err(|_| invalid())?);
    let uri = hyper::Uri::from_parts(parts).map_err(|_| invalid())?;
    let (user, password) = userinfo.split_once(':').unwrap_or((&userinfo, ""));
    let mut credentials = percent_decode(user);
    credentials.push(b':');
    credentials.extend(percent_decode(password));
    let mut value =
        HeaderValue::try_from(format!("Basic {}", base64(&credentials))).map_err(|_| invalid())?;
    value.set_sensitive(true);
    Ok((uri, Some(value)))
}

/// `%XX` escapes decoded; anything else, malformed escapes included, as is.
fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Standard base64 with padding (RFC 4648 §4).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A transport error without its URL (which may carry credentials), with
/// its causes: `cannot connect: ...` (refused, DNS, TLS and certificate
/// errors) or `request failed: ...`.
fn describe(err: hyper_util::client::legacy::Error) -> TransportError {
    let mut message = if err.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    }
    .to_owned();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    TransportError(message)
}

/// Runs `workers` delivery loops until `stop` turns true; each finishes
/// the delivery it is in before it stops, so that no lease is left held.
pub(crate) fn spawn(
    worker: DeliveryWorker,
    workers: usize,
    poll: Duration,
    stop: watch::Receiver<bool>,
) -> JoinSet<()> {
    let mut set = JoinSet::new();
    for _ in 0..workers {
        set.spawn(deliver_until_stopped(worker.clone(), poll, stop.clone()));
    }
    set
}

async fn deliver_until_stopped(
    worker: DeliveryWorker,
    poll: Duration,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if *stop.borrow() {
            return;
        }
        let wait = match worker.deliver_next().await {
            Ok(Some(delivery)) => {
                record(&delivery);
                None
            }
            Ok(None) => Some(poll),
            Err(err) => {
                tracing::warn!(error = %err, "webhook delivery failed");
                Some(poll)
            }
        };
        if let Some(wait) = wait {
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = stop.changed() => {}
            }
        }
    }
}

/// Logs and counts one delivery step.
fn record(delivery: &Delivery) {
    match &delivery.outcome {
        DeliveryOutcome::Idle => return,
        DeliveryOutcome::Delivered(events) => {
            tracing::debug!(webhook = %delivery.webhook_id, tenant = %delivery.tenant_id, events, "webhook delivered");
            metrics::counter!(EVENTS_DELIVERED).increment(*events as u64);
        }
        DeliveryOutcome::Failed { failures, failing } => {
            if *failing {
                tracing::warn!(webhook = %delivery.webhook_id, tenant = %delivery.tenant_id, failures, "webhook is failing");
            } else {
                tracing::info!(webhook = %delivery.webhook_id, tenant = %delivery.tenant_id, failures, "webhook delivery failed; will retry");
            }
        }
    }
    if !delivery.recorded {
        tracing::warn!(webhook = %delivery.webhook_id, "another replica took the webhook over during a delivery");
    }
    metrics::counter!(DELIVERIES, "outcome" => delivery.outcome.as_str()).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_pads_as_rfc_4648_says() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain}");
        }
    }

    #[test]
    fn userinfo_becomes_basic_credentials_and_leaves_the_uri() {
        let (uri, credentials) = target("https://hook%40acme:p%3Ass@hooks.example.com:8443/in?x=1")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(uri.to_string(), "https://hooks.example.com:8443/in?x=1");
        // base64("hook@acme:p:ss")
        assert_eq!(
            credentials.as_ref().and_then(|v| v.to_str().ok()),
            Some("Basic aG9va0BhY21lOnA6c3M=")
        );
        assert!(credentials.is_some_and(|v| v.is_sensitive()));
        let (uri, credentials) =
            target("http://127.0.0.1:9/hook").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(uri.to_string(), "http://127.0.0.1:9/hook");
        assert!(credentials.is_none());
        assert!(target("not a url").is_err());
        assert_eq!(percent_decode("a%2"), b"a%2");
    }

    #[tokio::test]
    async fn errors_never_name_the_url() {
        let transport = HttpTransport::new(None).unwrap_or_else(|e| panic!("{e}"));
        // A closed loopback port: refused at once.
        let url = "http://user:s3cret@127.0.0.1:1/hook?token=s3cret".to_owned();
        let err = transport
            .post(WebhookRequest {
                url: url.clone(),
                headers: Vec::new(),
                body: "{}".to_owned(),
                timeout: Duration::from_secs(5),
            })
            .await
            .err()
            .unwrap_or_else(|| panic!("a closed port answers"));
        assert!(err.0.starts_with("cannot connect"), "{err}");
        assert!(!err.0.contains("s3cret") && !err.0.contains(&url), "{err}");
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("empty.pem");
        std::fs::write(&path, "not a certificate\n").unwrap_or_else(|e| panic!("{e}"));
        let err = HttpTransport::new(Some(&path)).err();
        assert!(
            err.is_some_and(|e| e.to_string().contains("no PEM certificate")),
            "an empty CA file must be refused"
        );
        assert!(HttpTransport::new(Some(&dir.path().join("missing.pem"))).is_err());
    }
}
