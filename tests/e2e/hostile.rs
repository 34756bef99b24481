//! Hostile input over real HTTP: the corpus in `tests/corpus/hostile/`
//! (hundreds of malformed, oversized and adversarial requests, several
//! generated from a few lines each) sent to every endpoint of a real server.
//!
//! Every request must be answered, never with a dropped connection, with
//! the status the corpus expects: a 4xx with a SCIM Error body (`schemas`,
//! `status` as a string equal to the HTTP status, `application/scim+json`
//! and, where the entry names one, the `scimType`), or the 200 or 501 an
//! RFC requires for a few inputs that look hostile but are not errors. The
//! server must answer `/healthz` after every batch, and the users and
//! groups seeded first must come out of the whole corpus unchanged.
//!
//! The requests go over a raw TCP connection, not through an HTTP client
//! library: clients normalise paths (`/Users/%2e%2e/`), refuse invalid
//! header bytes and merge duplicate headers, which is exactly what the
//! corpus must be able to send.
//!
//! An entry with `known_issue` records a server bug found by the corpus:
//! it is still sent and its mismatches are printed, but they do not fail
//! the test until the bug is fixed and the marker removed.
//!
//! The corpus format is described in `tests/corpus/hostile/README.md`.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, ETAG};
use scim_tests::TestServer;
use serde_json::{Value, json};
use tokio::io::Interest;
use tokio::net::TcpStream;

const SCIM_JSON: &str = "application/scim+json";
const ERROR_URN: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const LIST_URN: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const BULK_RESPONSE_URN: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
/// Requests in flight at once: enough to overlap the slow ones, few enough
/// for two shared cores.
const BATCH: usize = 8;
/// Not a timed assertion: a guard so that a hung request is reported as
/// such instead of stalling the test binary.
const HANG_GUARD: Duration = Duration::from_secs(120);

/// One request of the corpus, fully expanded.
struct Case {
    category: String,
    name: String,
    method: String,
    /// The request target: base path, path and query, as sent.
    target: Vec<u8>,
    headers: Vec<(String, Vec<u8>)>,
    body: Option<Vec<u8>>,
    expect: Expect,
    known_issue: Option<String>,
}

/// What the answer to a case must be.
#[derive(Clone, Debug)]
struct Expect {
    /// Acceptable statuses (one, except where the RFCs allow a choice).
    statuses: Vec<u16>,
    /// `None`: not checked; `Some(None)`: must be absent.
    scim_type: Option<Option<String>>,
    /// For a 200 list response: its `totalResults`.
    total_results: Option<u64>,
    /// For a 200 BulkResponse: each operation's result, in order.
    bulk: Option<Vec<BulkExpect>>,
}

#[derive(Clone, Debug)]
struct BulkExpect {
    status: String,
    scim_type: Option<Option<String>>,
}

/// An HTTP answer as read off the socket.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn summary(&self) -> String {
        let body = String::from_utf8_lossy(&self.body);
        let body: String = body.chars().take(300).collect();
        format!("{} {body}", self.status)
    }
}

/// Values the corpus refers to as `{name}`: ids of the seeded resources,
/// the token, cursors.
struct Placeholders(Vec<(String, String)>);

impl Placeholders {
    fn apply(&self, text: &str) -> String {
        let mut out = text.to_owned();
        if out.contains('{') {
            for (name, value) in &self.0 {
                out = out.replace(&format!("{{{name}}}"), value);
            }
        }
        out
    }
}

// ---------------------------------------------------------------------
// Loading and expanding the corpus
// ---------------------------------------------------------------------

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus/hostile")
}

/// The corpus files: `(file name, parsed JSON)`, sorted by name.
fn corpus_files() -> Vec<(String, Value)> {
    let mut files: Vec<(String, Value)> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                value,
            )
        })
        .collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
}

/// The bytes of a text spec: a string, `{"hex": "ff fe"}`,
/// `{"numbered": "x#", "times": n, "separator": ","}` (`#` counting from
/// 0, for many distinct values), or `{"parts": [...]}` whose parts are
/// text specs or `[text, times]`. Placeholders are replaced in every string.
fn text(spec: &Value, ph: &Placeholders) -> Vec<u8> {
    match spec {
        Value::String(s) => ph.apply(s).into_bytes(),
        Value::Object(o) if o.contains_key("numbered") => {
            let template = ph.apply(o["numbered"].as_str().unwrap());
            let separator = o.get("separator").and_then(Value::as_str).unwrap_or("");
            (0..o["times"].as_u64().unwrap())
                .map(|i| template.replace('#', &i.to_string()))
                .collect::<Vec<_>>()
                .join(separator)
                .into_bytes()
        }
        Value::Object(o) if o.contains_key("hex") => {
            let hex: String = o["hex"]
                .as_str()
                .unwrap()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect()
        }
        Value::Object(o) if o.contains_key("parts") => {
            let mut out = Vec::new();
            for part in o["parts"].as_array().unwrap() {
                match part {
                    Value::Array(pair) => {
                        let unit = text(&pair[0], ph);
                        let times = pair[1].as_u64().unwrap() as usize;
                        out.extend(unit.repeat(times));
                    }
                    other => out.extend(text(other, ph)),
                }
            }
            out
        }
        other => panic!("not a text spec: {other}"),
    }
}

fn utf8(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).expect("a JSON string value must be valid UTF-8")
}

/// Replaces placeholders in every string of a JSON value.
fn substitute(value: &Value, ph: &Placeholders) -> Value {
    match value {
        Value::String(s) => Value::String(ph.apply(s)),
        Value::Array(items) => Value::Array(items.iter().map(|v| substitute(v, ph)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (ph.apply(k), substitute(v, ph)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Percent-encodes every byte but unreserved characters, as
/// `scim_tests::percent_encode` does for strings.
fn encode_bytes(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn parse_scim_type(value: Option<&Value>) -> Option<Option<String>> {
    match value {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::String(s)) => Some(Some(s.clone())),
        Some(other) => panic!("scimType must be a string or null, not {other}"),
    }
}

fn parse_expect(value: &Value) -> Expect {
    let statuses = match &value["status"] {
        Value::Number(n) => vec![n.as_u64().unwrap() as u16],
        Value::Array(list) => list.iter().map(|n| n.as_u64().unwrap() as u16).collect(),
        other => panic!("expect.status must be a number or a list, not {other}"),
    };
    let bulk = match (&value["bulk"], &value["bulk_all"]) {
        (Value::Array(ops), _) => Some(
            ops.iter()
                .map(|op| BulkExpect {
                    status: op["status"].as_str().unwrap().to_owned(),
                    scim_type: parse_scim_type(op.get("scimType")),
                })
                .collect(),
        ),
        (_, Value::Object(all)) => {
            let one = BulkExpect {
                status: all["status"].as_str().unwrap().to_owned(),
                scim_type: parse_scim_type(all.get("scimType")),
            };
            Some(vec![one; all["count"].as_u64().unwrap() as usize])
        }
        _ => None,
    };
    Expect {
        statuses,
        scim_type: parse_scim_type(value.get("scimType")),
        total_results: value.get("totalResults").map(|n| n.as_u64().unwrap()),
        bulk,
    }
}

/// A variation of an entry: a label and what it changes.
enum Variant {
    Plain,
    Param(String, Vec<u8>),
    Pointer(String, Value),
}

fn set_pointer(body: &mut Value, pointer: &str, value: Value) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let parent = if parent.is_empty() {
        body
    } else {
        body.pointer_mut(parent)
            .unwrap_or_else(|| panic!("no {parent} in the body"))
    };
    match parent {
        Value::Object(map) => {
            map.insert(key.to_owned(), value);
        }
        Value::Array(items) => items[key.parse::<usize>().unwrap()] = value,
        other => panic!("cannot set {key} in {other}"),
    }
}

fn label(value: &Value) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.chars().count() > 48 {
        let short: String = text.chars().take(40).collect();
        format!("{short}… ({} bytes)", text.len())
    } else {
        text
    }
}

fn byte_label(bytes: &[u8]) -> String {
    label(&Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

/// The variations `set` makes of an entry for a target with `method`:
/// `param` sets a query parameter, `pointer` a member of the JSON body;
/// with both, GET requests get the parameter and others the member.
fn variants_of(
    name: &str,
    set: Option<&Value>,
    method: &str,
    ph: &Placeholders,
) -> Vec<(String, Variant)> {
    let Some(set) = set else {
        return vec![(String::new(), Variant::Plain)];
    };
    let param = set.get("param").and_then(Value::as_str);
    let pointer = set.get("pointer").and_then(Value::as_str);
    match (param, pointer.filter(|_| method != "GET")) {
        (Some(param), None) => set["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                let bytes = text(v, ph);
                (byte_label(&bytes), Variant::Param(param.to_owned(), bytes))
            })
            .collect(),
        (Some(_), Some(pointer)) => set["values"]
            .as_array()
            .unwrap()
            .iter()
            // Bytes that are not UTF-8 cannot be a JSON string: GET only.
            .filter_map(|v| String::from_utf8(text(v, ph)).ok())
            .map(|s| {
                let v = Value::String(s);
                (label(&v), Variant::Pointer(pointer.to_owned(), v))
            })
            .collect(),
        (None, Some(pointer)) => {
            let values: Vec<Value> = match (set.get("values"), set.get("text_values")) {
                (Some(values), _) => values
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| substitute(v, ph))
                    .collect(),
                (_, Some(texts)) => texts
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| Value::String(utf8(text(t, ph))))
                    .collect(),
                _ => panic!("{name}: set needs values or text_values"),
            };
            values
                .into_iter()
                .map(|v| (label(&v), Variant::Pointer(pointer.to_owned(), v)))
                .collect()
        }
        (None, None) => panic!("{name}: set needs a param or a pointer"),
    }
}

/// Expands every entry of every corpus file into cases.
fn load_corpus(ph: &Placeholders, base_path: &str, host: &str, token: &str) -> Vec<Case> {
    let files = corpus_files();
    let pairs = |list: &Value| -> Vec<(String, Value)> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_str().unwrap().to_owned(), p[1].clone()))
            .collect()
    };
    let target_sets: BTreeMap<String, Vec<(String, Value)>> = files
        .iter()
        .filter_map(|(_, v)| v.get("target_sets"))
        .flat_map(|sets| sets.as_object().unwrap().clone())
        .map(|(name, list)| (name, pairs(&list)))
        .collect();
    let mut cases = Vec::new();
    for (file, content) in &files {
        let Some(entries) = content.get("entries") else {
            continue;
        };
        let category = content["category"].as_str().unwrap().to_owned();
        for entry in entries.as_array().unwrap() {
            let name = entry["name"]
                .as_str()
                .unwrap_or_else(|| panic!("an entry of {file} has no name"));
            let targets: Vec<(String, Value)> = match entry.get("targets") {
                Some(Value::String(set)) => target_sets
                    .get(set)
                    .unwrap_or_else(|| panic!("{name}: no target set {set}"))
                    .clone(),
                Some(list) => pairs(list),
                None => panic!("{name}: no targets"),
            };
            let set = entry.get("set");
            let expect = parse_expect(
                entry
                    .get("expect")
                    .unwrap_or_else(|| panic!("{name}: no expect")),
            );
            let known_issue = entry
                .get("known_issue")
                .map(|k| k.as_str().unwrap().to_owned());
            let explicit_headers: Vec<(String, Vec<u8>)> = entry
                .get("headers")
                .map(|h| {
                    h.as_array()
                        .unwrap()
                        .iter()
                        .map(|pair| (pair[0].as_str().unwrap().to_owned(), text(&pair[1], ph)))
                        .collect()
                })
                .unwrap_or_default();
            let authenticated = entry.get("auth").and_then(Value::as_str) != Some("none");
            let no_content_type = entry.get("no_content_type") == Some(&Value::Bool(true));
            for (method, path) in &targets {
                let variants = variants_of(name, set, method, ph);
                for (variant_label, variant) in &variants {
                    let mut params: Vec<(String, Vec<u8>)> = entry
                        .get("params")
                        .map(|p| {
                            p.as_array()
                                .unwrap()
                                .iter()
                                .map(|pair| {
                                    (pair[0].as_str().unwrap().to_owned(), text(&pair[1], ph))
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    // A `json` body goes with every method but GET, so that one
                    // entry can send a filter as a parameter and in a body.
                    let json = entry.get("json").filter(|_| method != "GET");
                    let mut body: Option<Vec<u8>> = match (json, entry.get("body")) {
                        (Some(json), _) => {
                            let mut json = substitute(json, ph);
                            if let Variant::Pointer(pointer, value) = variant {
                                set_pointer(&mut json, pointer, value.clone());
                            }
                            Some(serde_json::to_vec(&json).unwrap())
                        }
                        (None, Some(spec)) => Some(text(spec, ph)),
                        (None, None) => None,
                    };
                    if let Variant::Param(name, value) = variant {
                        params.push((name.clone(), value.clone()));
                    }
                    if matches!(variant, Variant::Pointer(..)) && json.is_none() {
                        panic!("{name}: set.pointer needs a json body");
                    }
                    let path = text(path, ph);
                    let mut target = base_path.as_bytes().to_vec();
                    target.extend(&path);
                    let mut query: Vec<Vec<u8>> = params
                        .iter()
                        .map(|(k, v)| format!("{}={}", encode_bytes(k.as_bytes()), encode_bytes(v)))
                        .map(String::into_bytes)
                        .collect();
                    if let Some(raw) = entry.get("query") {
                        query.push(text(raw, ph));
                    }
                    if !query.is_empty() {
                        target.push(b'?');
                        target.extend(query.join(&b'&'));
                    }
                    let mut headers: Vec<(String, Vec<u8>)> = vec![
                        ("Host".to_owned(), host.as_bytes().to_vec()),
                        ("Connection".to_owned(), b"close".to_vec()),
                    ];
                    if authenticated {
                        headers.push((
                            "Authorization".to_owned(),
                            format!("Bearer {token}").into_bytes(),
                        ));
                    }
                    let has_content_type = explicit_headers
                        .iter()
                        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
                    if body.is_some() && !has_content_type && !no_content_type {
                        headers.push(("Content-Type".to_owned(), SCIM_JSON.as_bytes().to_vec()));
                    }
                    if body.is_none() && matches!(method.as_str(), "POST" | "PUT" | "PATCH") {
                        body = Some(Vec::new());
                    }
                    if let Some(body) = &body {
                        headers.push((
                            "Content-Length".to_owned(),
                            body.len().to_string().into_bytes(),
                        ));
                    }
                    headers.extend(explicit_headers.iter().cloned());
                    let mut full_name = name.to_owned();
                    if targets.len() > 1 {
                        full_name.push_str(&format!(" @ {method} {}", byte_label(&path)));
                    }
                    if !variant_label.is_empty() {
                        full_name.push_str(&format!(" = {variant_label}"));
                    }
                    cases.push(Case {
                        category: category.clone(),
                        name: full_name,
                        method: method.clone(),
                        target,
                        headers,
                        body,
                        expect: expect.clone(),
                        known_issue: known_issue.clone(),
                    });
                }
            }
        }
    }
    cases
}

// ---------------------------------------------------------------------
// A raw HTTP/1.1 exchange
// ---------------------------------------------------------------------

fn request_bytes(case: &Case) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend(case.method.as_bytes());
    out.push(b' ');
    out.extend(&case.target);
    out.extend(b" HTTP/1.1\r\n");
    for (name, value) in &case.headers {
        out.extend(name.as_bytes());
        out.extend(b": ");
        out.extend(value);
        out.extend(b"\r\n");
    }
    out.extend(b"\r\n");
    if let Some(body) = &case.body {
        out.extend(body);
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Decodes a chunked body; `None` while incomplete.
fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = find(data, b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        if data.len() < size + 2 {
            return None;
        }
        out.extend(&data[..size]);
        data = &data[size + 2..];
    }
}

/// The response in `buf`, once complete; at end of stream (`eof`), a
/// response without a length ends there.
fn parse_response(buf: &[u8], method: &str, eof: bool) -> Result<Option<Answer>, String> {
    let mut start = 0;
    loop {
        let Some(head_end) = find(&buf[start..], b"\r\n\r\n") else {
            return Ok(None);
        };
        let head = String::from_utf8_lossy(&buf[start..start + head_end]).into_owned();
        let body_start = start + head_end + 4;
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status: u16 = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("not an HTTP status line: {status_line:?}"))?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        if (100..200).contains(&status) {
            start = body_start;
            continue;
        }
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        let rest = &buf[body_start..];
        let body = if method == "HEAD" || status == 204 || status == 304 {
            Some(Vec::new())
        } else if header("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
            dechunk(rest)
        } else if let Some(length) = header("content-length") {
            let length: usize = length
                .parse()
                .map_err(|_| format!("bad Content-Length {length:?}"))?;
            (rest.len() >= length).then(|| rest[..length].to_vec())
        } else if eof {
            Some(rest.to_vec())
        } else {
            None
        };
        return Ok(body.map(|body| Answer {
            status,
            headers,
            body,
        }));
    }
}

/// Sends `request` on a fresh connection and reads the answer, writing
/// and reading at once so that a server answering before it has read a
/// large body is heard.
async fn exchange(addr: SocketAddr, request: &[u8], method: &str) -> Result<Answer, String> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("cannot connect: {e}"))?;
    let mut written = 0;
    let mut write_error: Option<std::io::Error> = None;
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        if let Some(answer) = parse_response(&buf, method, false)? {
            return Ok(answer);
        }
        let writing = written < request.len() && write_error.is_none();
        let interest = if writing {
            Interest::READABLE | Interest::WRITABLE
        } else {
            Interest::READABLE
        };
        let ready = stream
            .ready(interest)
            .await
            .map_err(|e| format!("connection failed: {e}"))?;
        if ready.is_readable() {
            match stream.try_read(&mut chunk) {
                Ok(0) => {
                    return parse_response(&buf, method, true)?.ok_or_else(|| {
                        format!(
                            "connection closed after {} response bytes, {written} of {} request bytes sent{}",
                            buf.len(),
                            request.len(),
                            write_error
                                .map(|e| format!(" (write failed: {e})"))
                                .unwrap_or_default()
                        )
                    });
                }
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => {
                    return parse_response(&buf, method, true)?.ok_or_else(|| {
                        format!(
                            "connection dropped ({e}) after {} response bytes, {written} of {} request bytes sent",
                            buf.len(),
                            request.len()
                        )
                    });
                }
            }
        }
        if writing && ready.is_writable() {
            match stream.try_write(&request[written..]) {
                Ok(n) => written += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                // The server may stop reading once it has answered (413);
                // keep reading its answer.
                Err(e) => write_error = Some(e),
            }
        }
    }
}

// ---------------------------------------------------------------------
// Checking answers
// ---------------------------------------------------------------------

/// Checks a SCIM Error body against `status` and the expected `scimType`.
fn check_error_body(
    problems: &mut Vec<String>,
    context: &str,
    body: &Value,
    status: &str,
    scim_type: &Option<Option<String>>,
) {
    if body["schemas"] != json!([ERROR_URN]) {
        problems.push(format!(
            "{context}schemas is {}, not [Error]",
            body["schemas"]
        ));
    }
    if body["status"] != json!(status) {
        problems.push(format!(
            "{context}status member is {}, not the string \"{status}\"",
            body["status"]
        ));
    }
    if let Some(expected) = scim_type {
        let actual = body.get("scimType").and_then(Value::as_str);
        if actual != expected.as_deref() {
            problems.push(format!(
                "{context}scimType is {actual:?}, expected {:?}",
                expected.as_deref()
            ));
        }
    }
}

/// Everything wrong with `answer` for `case`; empty when it is right.
fn check(case: &Case, answer: &Answer) -> Vec<String> {
    let mut problems = Vec::new();
    let expect = &case.expect;
    if !expect.statuses.contains(&answer.status) {
        problems.push(format!(
            "status {}, expected {:?}: {}",
            answer.status,
            expect.statuses,
            answer.summary()
        ));
    }
    let json_body: Option<Value> = serde_json::from_slice(&answer.body).ok();
    if answer.status >= 400 {
        let content_type = answer.header("content-type").unwrap_or_default();
        if !content_type.to_ascii_lowercase().starts_with(SCIM_JSON) {
            problems.push(format!(
                "Content-Type {content_type:?} is not {SCIM_JSON}: {}",
                answer.summary()
            ));
        }
        match &json_body {
            None => problems.push(format!("the error body is not JSON: {}", answer.summary())),
            Some(body) => check_error_body(
                &mut problems,
                "",
                body,
                &answer.status.to_string(),
                &expect.scim_type,
            ),
        }
        if answer.status == 405 && answer.header("allow").is_none() {
            // RFC 9110 §15.5.6: a 405 MUST list the supported methods.
            problems.push("405 without an Allow header".to_owned());
        }
    } else if expect.statuses.contains(&answer.status) {
        let body = json_body.clone().unwrap_or(Value::Null);
        if let Some(total) = expect.total_results
            && (body["schemas"] != json!([LIST_URN]) || body["totalResults"] != json!(total))
        {
            problems.push(format!(
                "expected a ListResponse with totalResults {total}: {}",
                answer.summary()
            ));
        }
        if let Some(ops) = &expect.bulk {
            check_bulk(&mut problems, &body, ops);
        }
    }
    problems
}

fn check_bulk(problems: &mut Vec<String>, body: &Value, expected: &[BulkExpect]) {
    if body["schemas"] != json!([BULK_RESPONSE_URN]) {
        problems.push(format!("not a BulkResponse: {}", label(body)));
        return;
    }
    let ops = body["Operations"].as_array().cloned().unwrap_or_default();
    if ops.len() != expected.len() {
        problems.push(format!(
            "{} operation results, expected {}: {}",
            ops.len(),
            expected.len(),
            label(body)
        ));
        return;
    }
    for (i, (op, want)) in ops.iter().zip(expected).enumerate() {
        let context = format!("operation {i}: ");
        if op["status"] != json!(want.status) {
            problems.push(format!(
                "{context}status {}, expected \"{}\": {op}",
                op["status"], want.status
            ));
            continue;
        }
        let failed = want.status.parse::<u16>().is_ok_and(|s| s >= 400);
        if failed {
            check_error_body(
                problems,
                &context,
                &op["response"],
                &want.status,
                &want.scim_type,
            );
            if op["method"] == "POST" && op.get("location").is_some() {
                problems.push(format!("{context}a failed POST has a location: {op}"));
            }
        }
    }
}

// ---------------------------------------------------------------------
// Seeding and snapshots
// ---------------------------------------------------------------------

/// The seeded resources as read back, and the list totals.
#[derive(Debug, PartialEq)]
struct Snapshot {
    resources: BTreeMap<String, (String, Value)>,
    users: (u64, Vec<String>),
    groups: (u64, Vec<String>),
}

async fn get_json(
    server: &TestServer,
    url: &str,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let response = server
        .client()
        .get(url)
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (
        status,
        headers,
        response.json().await.unwrap_or(Value::Null),
    )
}

async fn post_json(server: &TestServer, path: &str, body: &Value) -> Value {
    let response = server
        .client()
        .post(server.url(path))
        .bearer_auth(&server.token)
        .header(CONTENT_TYPE, SCIM_JSON)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED, "seeding {path}");
    response.json().await.unwrap()
}

/// `totalResults` of an endpoint and the sorted ids of its resources.
async fn list_ids(server: &TestServer, endpoint: &str) -> (u64, Vec<String>) {
    let (status, _, body) = get_json(server, &server.url(&format!("{endpoint}?count=1000"))).await;
    assert_eq!(status, StatusCode::OK);
    let mut ids: Vec<String> = body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    (body["totalResults"].as_u64().unwrap(), ids)
}

/// What changed between two snapshots, one line per difference.
fn differences(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    let mut out = Vec::new();
    for (key, (etag, body)) in &before.resources {
        let (etag_after, body_after) = &after.resources[key];
        if etag != etag_after || body != body_after {
            out.push(format!(
                "stored data changed: {key} was {etag} {body}, is {etag_after} {body_after}"
            ));
        }
    }
    for (name, b, a) in [
        ("users", &before.users, &after.users),
        ("groups", &before.groups, &after.groups),
    ] {
        if b != a {
            out.push(format!(
                "stored data changed: the {name} were {b:?}, are {a:?}"
            ));
        }
    }
    out
}

async fn snapshot(server: &TestServer, ids: &[(String, String)]) -> Snapshot {
    let mut resources = BTreeMap::new();
    for (endpoint, id) in ids {
        let (status, headers, body) =
            get_json(server, &server.url(&format!("{endpoint}/{id}"))).await;
        assert_eq!(status, StatusCode::OK, "{endpoint}/{id} is readable");
        let etag = headers[ETAG].to_str().unwrap().to_owned();
        resources.insert(format!("{endpoint}/{id}"), (etag, body));
    }
    let users = list_ids(server, "/Users").await;
    let groups = list_ids(server, "/Groups").await;
    Snapshot {
        resources,
        users,
        groups,
    }
}

/// Creates the users and groups of `set` (a `seed` or `victims` member of
/// `00-setup.json`), naming them `{prefix}`, `{prefix}1`, ... for users and
/// likewise for groups; returns their `(endpoint, id)`.
async fn create_all(
    server: &TestServer,
    set: &Value,
    prefixes: (&str, &str),
    values: &mut Vec<(String, String)>,
) -> Vec<(String, String)> {
    let mut created_ids = Vec::new();
    for (endpoint, kind, prefix) in [
        ("/Users", "users", prefixes.0),
        ("/Groups", "groups", prefixes.1),
    ] {
        for (i, body) in set[kind].as_array().unwrap().iter().enumerate() {
            let body = substitute(body, &Placeholders(values.clone()));
            let created = post_json(server, endpoint, &body).await;
            let id = created["id"].as_str().unwrap().to_owned();
            let key = if i == 0 {
                prefix.to_owned()
            } else {
                format!("{prefix}{i}")
            };
            values.push((format!("{key}_body"), body.to_string()));
            values.push((key, id.clone()));
            created_ids.push((endpoint.to_owned(), id));
        }
    }
    created_ids
}

/// Seeds the resources of `00-setup.json`: the ones the snapshot covers
/// and the victims it does not. Returns the placeholders and the
/// `(endpoint, id)` of every snapshotted resource.
async fn seed(server: &TestServer) -> (Placeholders, Vec<(String, String)>) {
    let setup = corpus_files()
        .into_iter()
        .find_map(|(_, v)| v.get("seed").is_some().then_some(v))
        .expect("a corpus file with a seed");
    let mut values: Vec<(String, String)> = vec![
        ("token".into(), server.token.clone()),
        (
            "missing".into(),
            "00000000-0000-7000-8000-000000000000".into(),
        ),
    ];
    let seeded = create_all(server, &setup["seed"], ("user", "group"), &mut values).await;
    create_all(
        server,
        &setup["victims"],
        ("victim_user", "victim_group"),
        &mut values,
    )
    .await;
    // A real cursor, and two broken copies of it.
    let (status, _, page) = get_json(server, &server.url("/Users?cursor=&count=1")).await;
    assert_eq!(status, StatusCode::OK);
    let cursor = page["nextCursor"].as_str().unwrap().to_owned();
    let truncated = cursor[..cursor.len() - 2].to_owned();
    let mut altered = cursor.clone().into_bytes();
    let middle = altered.len() / 2;
    altered[middle] = if altered[middle] == b'A' { b'B' } else { b'A' };
    values.push(("user_cursor".into(), cursor));
    values.push(("user_cursor_truncated".into(), truncated));
    values.push((
        "user_cursor_altered".into(),
        String::from_utf8(altered).unwrap(),
    ));
    (Placeholders(values), seeded)
}

// ---------------------------------------------------------------------
// The test
// ---------------------------------------------------------------------

/// The outcome of one case.
struct Outcome {
    index: usize,
    /// The answer's status and its first bytes, when there was one.
    answer: Option<String>,
    problems: Vec<String>,
    created: Option<String>,
}

async fn run_case(addr: SocketAddr, index: usize, case: Arc<Case>) -> Outcome {
    let request = request_bytes(&case);
    let answer = tokio::time::timeout(HANG_GUARD, exchange(addr, &request, &case.method)).await;
    match answer {
        Err(_) => Outcome {
            index,
            answer: None,
            problems: vec![format!("no answer within {HANG_GUARD:?}")],
            created: None,
        },
        Ok(Err(transport)) => Outcome {
            index,
            answer: None,
            problems: vec![transport],
            created: None,
        },
        Ok(Ok(answer)) => Outcome {
            index,
            answer: Some(answer.summary()),
            problems: check(&case, &answer),
            created: (answer.status == 201)
                .then(|| answer.header("location").map(str::to_owned))
                .flatten(),
        },
    }
}

async fn assert_healthy(server: &TestServer, after: &str) {
    let origin = server.base.trim_end_matches("/scim/v2");
    let response = server
        .client()
        .get(format!("{origin}/healthz"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("/healthz does not answer after {after}: {e}"));
    assert_eq!(response.status(), StatusCode::OK, "/healthz after {after}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_corpus_gets_scim_errors_and_changes_nothing() {
    // Hundreds of requests in a few seconds: no rate limit here.
    let server = TestServer::start_with(|settings| settings.rate_limit_per_second = 0).await;
    let (ph, seeded) = seed(&server).await;
    let before = snapshot(&server, &seeded).await;

    let url = server.base.strip_prefix("http://").unwrap();
    let (host, base_path) = url.split_at(url.find('/').unwrap());
    let addr: SocketAddr = host.parse().unwrap();
    let cases: Vec<Arc<Case>> = load_corpus(&ph, base_path, host, &server.token)
        .into_iter()
        .map(Arc::new)
        .collect();

    let mut per_category: BTreeMap<&str, usize> = BTreeMap::new();
    for case in &cases {
        *per_category.entry(&case.category).or_default() += 1;
    }
    eprintln!("hostile corpus: {} requests {per_category:?}", cases.len());
    assert!(cases.len() >= 300, "the corpus shrank to {}", cases.len());

    // HOSTILE_TRACE=1 prints every request's answer.
    let trace = std::env::var_os("HOSTILE_TRACE").is_some();
    let mut failures: Vec<String> = Vec::new();
    let mut known: HashMap<String, Vec<String>> = HashMap::new();
    let mut cleaned = Vec::new();
    // Batches never mix categories, so that a known issue's side effect
    // (removed after its batch) cannot reach another category's checks.
    let mut batches: Vec<Vec<usize>> = Vec::new();
    for (index, case) in cases.iter().enumerate() {
        match batches.last_mut() {
            Some(batch) if batch.len() < BATCH && cases[batch[0]].category == case.category => {
                batch.push(index);
            }
            _ => batches.push(vec![index]),
        }
    }
    for (batch_no, batch) in batches.iter().enumerate() {
        let mut tasks = tokio::task::JoinSet::new();
        for &index in batch {
            tasks.spawn(run_case(addr, index, cases[index].clone()));
        }
        let mut outcomes = Vec::new();
        while let Some(outcome) = tasks.join_next().await {
            outcomes.push(outcome.unwrap());
        }
        outcomes.sort_by_key(|o| o.index);
        for outcome in outcomes {
            let case = &cases[outcome.index];
            if trace {
                eprintln!(
                    "[{}] {}: {}",
                    case.category,
                    case.name,
                    outcome.answer.as_deref().unwrap_or("no answer")
                );
            }
            if let (Some(_), Some(location)) = (&case.known_issue, &outcome.created) {
                // A known bug created a resource: remove it, so that the
                // snapshot still checks every other request.
                let response = server
                    .client()
                    .delete(location)
                    .bearer_auth(&server.token)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), StatusCode::NO_CONTENT);
                cleaned.push(format!("{} created {location}", case.name));
            }
            if outcome.problems.is_empty() {
                continue;
            }
            let line = format!(
                "[{}] {} ({} {}): {}",
                case.category,
                case.name,
                case.method,
                byte_label(&case.target),
                outcome.problems.join("; ")
            );
            match &case.known_issue {
                Some(issue) => known.entry(issue.clone()).or_default().push(line),
                None => failures.push(line),
            }
        }
        let last = &cases[*batch.last().unwrap()];
        assert_healthy(&server, &format!("batch {batch_no} (up to {})", last.name)).await;
    }

    let mut issues: Vec<_> = known.into_iter().collect();
    issues.sort();
    for (issue, lines) in &issues {
        eprintln!("known issue: {issue} ({} requests)", lines.len());
        for line in lines {
            eprintln!("    {line}");
        }
    }
    for line in &cleaned {
        eprintln!("removed after a known issue: {line}");
    }
    // Known issues whose entries all pass are fixed: drop their markers.
    let mut fixed: Vec<&str> = cases
        .iter()
        .filter_map(|c| c.known_issue.as_deref())
        .filter(|issue| !issues.iter().any(|(i, _)| i == issue))
        .collect();
    fixed.sort();
    fixed.dedup();
    // A marker must describe what still happens: one whose requests all
    // behave now fails the test, so that fixed behaviour is asserted.
    for issue in &fixed {
        failures.push(format!(
            "known issue no longer reproduces, remove its marker: {issue}"
        ));
    }

    let after = snapshot(&server, &seeded).await;
    failures.extend(differences(&before, &after));
    assert!(
        failures.is_empty(),
        "{} problems with {} hostile requests:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    server.stop().await;
}
