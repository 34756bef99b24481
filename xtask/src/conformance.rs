//! `cargo xtask conformance`: public SCIM conformance tools run against the
//! real server.
//!
//! 1. A Python virtual environment under the cargo target directory
//!    (`<target>/conformance-venv`) gets the tools pinned in
//!    `xtask/conformance-requirements.txt`; it is reused while that file is
//!    unchanged.
//! 2. `cargo build -p scim-server` builds the server, which then starts on a
//!    free loopback port with a fresh SQLite data folder and a bootstrap
//!    token chosen here; the task waits until it answers.
//! 3. Each tool runs against the base URL with that token: `scim2 test`
//!    (scim2-cli, built on scim2-tester), `scim-sanity probe` in strict mode,
//!    and `scim-sanity probe` with its `entra` profile.
//! 4. `<target>/conformance/` receives each tool's raw output, the server's
//!    log and `report.md`, which lists every check and its result.
//!
//! The server is stopped however the run ends, and the task fails when any
//! check failed. `docs/conformance.md` explains the results.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::process::{
    built, cargo, exe, free_port, probe, run_checked, run_token, source_version, target_dir,
};

/// Where the SCIM endpoints of the server live.
const BASE_PATH: &str = "/scim/v2";
/// The pinned tool versions, relative to the workspace root.
const REQUIREMENTS: &str = "xtask/conformance-requirements.txt";
/// The oldest Python the pinned tools support.
const MIN_PYTHON: (u32, u32) = (3, 11);
/// How long the server may take to answer after it was started.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// How long one tool may run before it is stopped and counted as failed.
const TOOL_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// Usage of the task, shown by `cargo xtask help`.
pub(crate) const USAGE: &str = "  conformance [--only TOOL]
         build the server, start it on a free loopback port with a fresh
         SQLite database, run public SCIM conformance tools against it
         (installed into <target>/conformance-venv from
         xtask/conformance-requirements.txt) and write
         <target>/conformance/report.md; fails if any check failed.
         TOOL: scim2-test, scim-sanity-strict or scim-sanity-entra";

/// One run of one conformance tool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tool {
    /// `scim2 test` from scim2-cli (the checks come from scim2-tester).
    Scim2Test,
    /// `scim-sanity probe --strict`.
    SanityStrict,
    /// `scim-sanity probe --strict --profile entra`: the payloads Microsoft
    /// Entra ID sends (password, enterprise and Entra extension objects).
    SanityEntra,
}

impl Tool {
    const ALL: [Tool; 3] = [Tool::Scim2Test, Tool::SanityStrict, Tool::SanityEntra];

    /// The name used with `--only`, in file names and in the report.
    fn id(self) -> &'static str {
        match self {
            Tool::Scim2Test => "scim2-test",
            Tool::SanityStrict => "scim-sanity-strict",
            Tool::SanityEntra => "scim-sanity-entra",
        }
    }

    /// The command line, as shown in the report (the token elided).
    fn display_command(self) -> &'static str {
        match self {
            Tool::Scim2Test => "scim2 --url BASE test --verbose (token in SCIM_CLI_HEADERS)",
            Tool::SanityStrict => concat!(
                "scim-sanity probe BASE --token TOKEN --strict --json-output ",
                "--i-accept-side-effects"
            ),
            Tool::SanityEntra => concat!(
                "scim-sanity probe BASE --token TOKEN --strict --profile entra ",
                "--json-output --i-accept-side-effects"
            ),
        }
    }

    /// The file the tool's standard output is kept in.
    fn output_file(self) -> String {
        match self {
            Tool::Scim2Test => format!("{}.txt", self.id()),
            Tool::SanityStrict | Tool::SanityEntra => format!("{}.json", self.id()),
        }
    }

    /// The command that runs the tool against `base_url`.
    fn command(self, bin: &Path, base_url: &str, token: &str) -> Command {
        let mut command;
        match self {
            Tool::Scim2Test => {
                command = Command::new(bin.join(exe("scim2")));
                command
                    .args(["--url", base_url, "test", "--verbose"])
                    // Kept off the command line, as scim2-cli advises.
                    .env("SCIM_CLI_HEADERS", format!("Authorization: Bearer {token}"));
            }
            Tool::SanityStrict | Tool::SanityEntra => {
                command = Command::new(bin.join(exe("scim-sanity")));
                command.args([
                    "probe",
                    base_url,
                    "--token",
                    token,
                    "--strict",
                    "--json-output",
                ]);
                if self == Tool::SanityEntra {
                    command.args(["--profile", "entra"]);
                }
                command.arg("--i-accept-side-effects");
            }
        }
        // Plain text, whatever the caller's terminal.
        command
            .env("NO_COLOR", "1")
            .env("PYTHONIOENCODING", "utf-8");
        command
    }

    /// The checks in the tool's standard output.
    fn parse(self, stdout: &str) -> Result<Vec<Check>, String> {
        match self {
            Tool::Scim2Test => Ok(parse_scim2_test(stdout)),
            Tool::SanityStrict | Tool::SanityEntra => parse_scim_sanity(stdout),
        }
    }
}

/// What a check concluded, in the report's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// The server did what the check expects.
    Pass,
    /// The tool noted something without failing the check.
    Warn,
    /// The tool did not run the check.
    Skip,
    /// The check failed: the task fails.
    Fail,
    /// The check failed where the tool is wrong about the RFCs and the
    /// server is right (listed in [`TOOL_ERRORS`], argued in
    /// `docs/conformance.md`): reported, but the task does not fail.
    ToolWrong,
}

/// Checks whose failure is the tool's mistake, not the server's: the tool
/// runs they happen in (by id prefix), the check's exact name, and why.
/// `docs/conformance.md` gives the full argument for each.
const TOOL_ERRORS: &[(&str, &str, &str)] = &[(
    "scim-sanity",
    "Phase 3 — Group CRUD Lifecycle: PATCH /Groups/{id} add member",
    "the tool adds a member id that names no resource and expects 200; \
     RFC 7643 §4.2 makes members.value the id of a SCIM resource, so the server answers \
     400 invalidValue (docs/conformance.md)",
)];

/// Marks the failed checks that [`TOOL_ERRORS`] explains.
fn excuse_tool_errors(tool: Tool, checks: &mut [Check]) {
    for check in checks.iter_mut().filter(|c| c.outcome == Outcome::Fail) {
        if let Some((_, _, why)) = TOOL_ERRORS
            .iter()
            .find(|(run, name, _)| tool.id().starts_with(run) && check.name == *name)
        {
            check.outcome = Outcome::ToolWrong;
            check.detail = format!("{} [tool wrong: {why}]", check.detail);
        }
    }
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Warn => "warn",
            Outcome::Skip => "skip",
            Outcome::Fail => "FAIL",
            Outcome::ToolWrong => "tool wrong",
        }
    }
}

/// One check of one tool.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Check {
    /// The check's name, as the tool prints it.
    name: String,
    /// The tool's own verdict (`SUCCESS`, `ERROR`, `pass`, `fail`, ...).
    status: String,
    /// The verdict in the report's terms.
    outcome: Outcome,
    /// The tool's explanation, if any.
    detail: String,
}

/// What one tool run produced.
struct ToolReport {
    tool: Tool,
    exit: Option<ExitStatus>,
    checks: Vec<Check>,
}

impl ToolReport {
    fn count(&self, outcome: Outcome) -> usize {
        self.checks.iter().filter(|c| c.outcome == outcome).count()
    }
}

/// Runs the task with the arguments after `conformance`.
pub(crate) fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let tools = parse_args(args)?;
    let target = target_dir(root)?;
    let out_dir = target.join("conformance");
    if out_dir.exists() {
        fs::remove_dir_all(&out_dir)
            .map_err(|e| format!("cannot clear {}: {e}", out_dir.display()))?;
    }
    fs::create_dir_all(&out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;

    let bin = ensure_venv(root, &target.join("conformance-venv"))?;
    let server = build_server(root, &target)?;

    let data_dir = std::env::temp_dir().join(format!("scim-conformance-{}", std::process::id()));
    if data_dir.exists() {
        fs::remove_dir_all(&data_dir)
            .map_err(|e| format!("cannot clear {}: {e}", data_dir.display()))?;
    }
    let token = run_token("conformance");
    let running = RunningServer::start(&server, &data_dir, &token, &out_dir.join("server.log"))?;
    let base_url = format!("http://{}{BASE_PATH}", running.addr);
    eprintln!("xtask: conformance: server at {base_url}");

    let mut reports = Vec::new();
    for tool in tools {
        eprintln!("xtask: conformance: running {}", tool.id());
        reports.push(run_tool(tool, &bin, &base_url, &token, &out_dir)?);
    }
    drop(running);

    let report = render_report(&reports, &read_pins(root)?, &source_version(root));
    let report_path = out_dir.join("report.md");
    fs::write(&report_path, &report)
        .map_err(|e| format!("cannot write {}: {e}", report_path.display()))?;

    let mut failed = 0;
    for r in &reports {
        let fails = r.count(Outcome::Fail);
        failed += fails;
        println!(
            "{:<20} {:>3} passed, {:>3} failed, {:>3} tool wrong, {:>3} warnings, {:>3} skipped",
            r.tool.id(),
            r.count(Outcome::Pass),
            fails,
            r.count(Outcome::ToolWrong),
            r.count(Outcome::Warn),
            r.count(Outcome::Skip)
        );
        for check in r.checks.iter().filter(|c| c.outcome == Outcome::Fail) {
            println!("  FAIL {} ({})", check.name, check.status);
        }
    }
    println!("report: {}", report_path.display());
    if failed == 0 {
        Ok(())
    } else {
        Err(format!("{failed} conformance check(s) failed"))
    }
}

fn parse_args(args: &[String]) -> Result<Vec<Tool>, String> {
    match args {
        [] => Ok(Tool::ALL.to_vec()),
        [flag, name] if flag == "--only" => Tool::ALL
            .into_iter()
            .find(|t| t.id() == name)
            .map(|t| vec![t])
            .ok_or_else(|| {
                let known: Vec<&str> = Tool::ALL.iter().map(|t| t.id()).collect();
                format!("unknown tool {name:?}; one of {}", known.join(", "))
            }),
        other => Err(format!(
            "conformance: unexpected arguments {other:?}\n\n{USAGE}"
        )),
    }
}

/// Creates the virtual environment at `venv` if needed and installs the
/// pinned tools into it unless that was already done for the same
/// requirements; returns the folder of its programs.
fn ensure_venv(root: &Path, venv: &Path) -> Result<PathBuf, String> {
    let bin = venv.join(if cfg!(windows) { "Scripts" } else { "bin" });
    let python = bin.join(exe("python"));
    let requirements_path = root.join(REQUIREMENTS);
    let requirements = fs::read_to_string(&requirements_path)
        .map_err(|e| format!("cannot read {}: {e}", requirements_path.display()))?;
    let stamp = venv.join("xtask-requirements.txt");
    if python.exists() && fs::read_to_string(&stamp).ok().as_deref() == Some(&requirements) {
        return Ok(bin);
    }

    if !python.exists() {
        let system_python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
        check_python(&system_python)?;
        eprintln!("xtask: conformance: creating {}", venv.display());
        run_checked(
            Command::new(&system_python).arg("-m").arg("venv").arg(venv),
            "create the virtual environment",
        )?;
    }
    eprintln!("xtask: conformance: installing {REQUIREMENTS}");
    run_checked(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .arg("--requirement")
            .arg(&requirements_path),
        "install the conformance tools",
    )?;
    fs::write(&stamp, requirements)
        .map_err(|e| format!("cannot write {}: {e}", stamp.display()))?;
    Ok(bin)
}

/// Fails unless `python` runs and is recent enough for the pinned tools.
fn check_python(python: &str) -> Result<(), String> {
    let output = Command::new(python)
        .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        .output()
        .map_err(|e| format!("cannot run {python} (set PYTHON to a Python 3.11+): {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let version = parse_version(text.trim())
        .ok_or_else(|| format!("{python} printed no version: {}", text.trim()))?;
    if version < MIN_PYTHON {
        return Err(format!(
            "{python} is Python {}.{}; the conformance tools need {}.{} or newer (set PYTHON)",
            version.0, version.1, MIN_PYTHON.0, MIN_PYTHON.1
        ));
    }
    Ok(())
}

fn parse_version(text: &str) -> Option<(u32, u32)> {
    let (major, minor) = text.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// Builds the server binary (debug profile) and returns its path.
fn build_server(root: &Path, target: &Path) -> Result<PathBuf, String> {
    eprintln!("xtask: conformance: cargo build -p scim-server");
    run_checked(
        cargo()
            .args(["build", "-p", "scim-server"])
            .current_dir(root),
        "build scim-server",
    )?;
    let binary = target.join("debug").join(exe("scim-server"));
    built(binary)
}

/// The server process; stopped, and its data folder deleted, when dropped.
struct RunningServer {
    child: Child,
    addr: SocketAddr,
    data_dir: PathBuf,
}

impl RunningServer {
    /// Starts the server on a free loopback port with its SQLite database
    /// in `data_dir`, and waits until it answers.
    fn start(binary: &Path, data_dir: &Path, token: &str, log: &Path) -> Result<Self, String> {
        let addr = free_port()?;
        let log_file =
            File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let log_err = log_file
            .try_clone()
            .map_err(|e| format!("cannot share {}: {e}", log.display()))?;
        let mut command = Command::new(binary);
        // Only the settings below: none of the caller's SCIM_* variables
        // (a database URL, a public URL, extensions) may reach this server.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("SCIM_") {
                command.env_remove(name);
            }
        }
        command
            .arg("serve")
            .env("SCIM_LISTEN", addr.to_string())
            .env("SCIM_DATA_DIR", data_dir)
            .env("SCIM_BOOTSTRAP_TOKEN", token)
            // The tools send bursts of requests; conformance is not about
            // the rate limit.
            .env("SCIM_RATE_LIMIT_PER_SECOND", "0")
            // A log file, not a terminal.
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(log_err);
        let child = command
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let mut server = RunningServer {
            child,
            addr,
            data_dir: data_dir.to_path_buf(),
        };
        server.wait_ready(log)?;
        Ok(server)
    }

    fn wait_ready(&mut self, log: &Path) -> Result<(), String> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                let text = fs::read_to_string(log).unwrap_or_default();
                return Err(format!(
                    "the server exited ({status}) before answering:\n{text}"
                ));
            }
            if probe(self.addr, &format!("{BASE_PATH}/ServiceProviderConfig")) == Some(200) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the server did not answer on {} within {}s (log: {})",
                    self.addr,
                    STARTUP_TIMEOUT.as_secs(),
                    log.display()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Best effort: the folder is in the temporary directory anyway.
        let _ = fs::remove_dir_all(&self.data_dir);
    }
}

/// Runs one tool, keeps its output in `out_dir` and reads its checks.
fn run_tool(
    tool: Tool,
    bin: &Path,
    base_url: &str,
    token: &str,
    out_dir: &Path,
) -> Result<ToolReport, String> {
    let stdout_path = out_dir.join(tool.output_file());
    let stderr_path = out_dir.join(format!("{}.stderr.txt", tool.id()));
    let stdout = File::create(&stdout_path)
        .map_err(|e| format!("cannot create {}: {e}", stdout_path.display()))?;
    let stderr = File::create(&stderr_path)
        .map_err(|e| format!("cannot create {}: {e}", stderr_path.display()))?;
    let mut child = tool
        .command(bin, base_url, token)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", tool.id()))?;

    let deadline = Instant::now() + TOOL_TIMEOUT;
    let exit = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(200)),
            Err(e) => return Err(format!("cannot wait for {}: {e}", tool.id())),
        }
    };

    let text = fs::read_to_string(&stdout_path).unwrap_or_default();
    let mut checks = match tool.parse(&text) {
        Ok(checks) => checks,
        Err(e) => vec![Check {
            name: "tool output".to_owned(),
            status: "unreadable".to_owned(),
            outcome: Outcome::Fail,
            detail: e,
        }],
    };
    excuse_tool_errors(tool, &mut checks);
    let errors = fs::read_to_string(&stderr_path).unwrap_or_default();
    match exit {
        None => checks.push(Check {
            name: "tool run".to_owned(),
            status: "timeout".to_owned(),
            outcome: Outcome::Fail,
            detail: format!("stopped after {}s", TOOL_TIMEOUT.as_secs()),
        }),
        Some(status) if tool_run_failed(tool, status.success(), &checks, &errors) => {
            checks.push(Check {
                name: "tool run".to_owned(),
                status: status.to_string(),
                outcome: Outcome::Fail,
                detail: last_lines(&errors, 5),
            });
        }
        Some(_) => {}
    }
    Ok(ToolReport { tool, exit, checks })
}

/// Whether a tool's exit tells more than its checks: it crashed, refused to
/// run, or printed no check. `scim2 test` exits with 1 whenever a check is
/// anything but `SUCCESS` (skipped ones included), so its exit code alone
/// fails nothing; `scim-sanity` exits with 1 exactly when a check failed.
fn tool_run_failed(tool: Tool, success: bool, checks: &[Check], stderr: &str) -> bool {
    if checks.is_empty() {
        return true;
    }
    if success {
        return false;
    }
    match tool {
        Tool::Scim2Test => !stderr.trim().is_empty(),
        Tool::SanityStrict | Tool::SanityEntra => !checks
            .iter()
            .any(|c| matches!(c.outcome, Outcome::Fail | Outcome::ToolWrong)),
    }
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join(" / ")
}

/// The statuses scim2-tester gives a check (`scim2_tester.Status`).
const SCIM2_STATUSES: &[(&str, Outcome)] = &[
    // MUST requirements met.
    ("SUCCESS", Outcome::Pass),
    // SHOULD recommendations followed.
    ("COMPLIANT", Outcome::Pass),
    // Optional (MAY) behaviour, within the RFCs.
    ("ACCEPTABLE", Outcome::Pass),
    // A SHOULD recommendation not followed.
    ("DEVIATION", Outcome::Fail),
    // A MUST requirement violated.
    ("ERROR", Outcome::Fail),
    // A security risk or a fundamental protocol violation.
    ("CRITICAL", Outcome::Fail),
    // Not run: a prerequisite is missing or the feature is not offered.
    ("SKIPPED", Outcome::Skip),
];

/// The checks in the output of `scim2 test --verbose`: a line
/// `STATUS check_name` per check, then its reason on a line indented by two
/// spaces, then (verbose) its data on another; the report keeps the reason,
/// the raw output both.
fn parse_scim2_test(stdout: &str) -> Vec<Check> {
    let mut checks: Vec<Check> = Vec::new();
    let mut indented_lines = 0;
    for line in stdout.lines() {
        if let Some(rest) = line.strip_prefix("  ") {
            indented_lines += 1;
            if let Some(last) = checks.last_mut()
                && indented_lines == 1
            {
                last.detail = rest.trim().to_owned();
            }
            continue;
        }
        indented_lines = 0;
        let Some((status, name)) = line.split_once(' ') else {
            continue;
        };
        if let Some((_, outcome)) = SCIM2_STATUSES.iter().find(|(s, _)| *s == status) {
            checks.push(Check {
                name: name.trim().to_owned(),
                status: status.to_owned(),
                outcome: *outcome,
                detail: String::new(),
            });
        }
    }
    checks
}

/// The checks in the output of `scim-sanity probe --json-output`.
fn parse_scim_sanity(stdout: &str) -> Result<Vec<Check>, String> {
    let document: Value = serde_json::from_str(stdout)
        .map_err(|e| format!("scim-sanity printed no JSON document: {e}"))?;
    let results = document["results"]
        .as_array()
        .ok_or("scim-sanity's JSON has no results")?;
    let mut checks = Vec::new();
    for result in results {
        let text = |key: &str| result[key].as_str().unwrap_or_default().to_owned();
        let status = text("status");
        let outcome = match status.as_str() {
            "pass" => Outcome::Pass,
            "warn" => Outcome::Warn,
            "skip" => Outcome::Skip,
            // "fail", "error" and anything this version does not know.
            _ => Outcome::Fail,
        };
        let phase = text("phase");
        let name = text("name");
        let mut detail = text("message");
        let details = text("details");
        if !details.is_empty() {
            detail = format!("{detail} / {details}");
        }
        checks.push(Check {
            name: if phase.is_empty() {
                name
            } else {
                format!("{phase}: {name}")
            },
            status,
            outcome,
            detail,
        });
    }
    Ok(checks)
}

/// The `name==version` pins of the requirements file.
fn read_pins(root: &Path) -> Result<Vec<(String, String)>, String> {
    let path = root.join(REQUIREMENTS);
    let text =
        fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once("=="))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect())
}

/// The longest detail the report's tables show; the raw outputs keep all.
const DETAIL_LIMIT: usize = 400;

/// Text made safe for one cell of a Markdown table.
fn cell(text: &str) -> String {
    let mut out: String = text
        .replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\r', '\n'], " ");
    if out.chars().count() > DETAIL_LIMIT {
        out = out.chars().take(DETAIL_LIMIT).collect::<String>() + " …";
    }
    out
}

/// The Markdown report of all tool runs.
fn render_report(reports: &[ToolReport], pins: &[(String, String)], source: &str) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# SCIM conformance report\n");
    let _ = writeln!(
        md,
        "Written by `cargo xtask conformance`; `docs/conformance.md` explains the results.\n"
    );
    let tools: Vec<String> = pins
        .iter()
        .filter(|(n, _)| ["scim2-cli", "scim2-tester", "scim-sanity"].contains(&n.as_str()))
        .map(|(n, v)| format!("{n} {v}"))
        .collect();
    let _ = writeln!(md, "Server built from: {source}.\n");
    let _ = writeln!(md, "Tools: {}.\n", tools.join(", "));
    let _ = writeln!(
        md,
        "| tool run | passed | failed | tool wrong | warnings | skipped | exit |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|");
    for r in reports {
        let exit = r
            .exit
            .map(|s| s.code().map_or_else(|| s.to_string(), |c| c.to_string()))
            .unwrap_or_else(|| "timeout".to_owned());
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.tool.id(),
            r.count(Outcome::Pass),
            r.count(Outcome::Fail),
            r.count(Outcome::ToolWrong),
            r.count(Outcome::Warn),
            r.count(Outcome::Skip),
            exit
        );
    }
    let _ = writeln!(
        md,
        "\n`scim2 test` exits with 1 whenever a check is not `SUCCESS`, skipped ones included; \
         its failures are the checks with status `DEVIATION`, `ERROR` or `CRITICAL`."
    );

    let _ = writeln!(md, "\n## Failed checks\n");
    let mut any = false;
    for r in reports {
        for (i, c) in r.checks.iter().enumerate() {
            if matches!(c.outcome, Outcome::Fail | Outcome::ToolWrong) {
                any = true;
                let _ = writeln!(
                    md,
                    "- {} #{}: {} ({}): {}",
                    r.tool.id(),
                    i + 1,
                    cell(&c.name),
                    cell(&c.status),
                    cell(&c.detail)
                );
            }
        }
    }
    if !any {
        let _ = writeln!(md, "None.");
    }

    for r in reports {
        let _ = writeln!(md, "\n## {}\n", r.tool.id());
        let _ = writeln!(
            md,
            "`{}`; raw output: `{}`.\n",
            r.tool.display_command(),
            r.tool.output_file()
        );
        let _ = writeln!(md, "| # | check | result | tool status | detail |");
        let _ = writeln!(md, "|---|---|---|---|---|");
        for (i, c) in r.checks.iter().enumerate() {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} |",
                i + 1,
                cell(&c.name),
                c.outcome.label(),
                cell(&c.status),
                cell(&c.detail)
            );
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scim2_test_output_is_read_check_by_check() {
        let out = "Performing a SCIM compliance check on http://127.0.0.1:1/scim/v2 ...\n\
                   SUCCESS service_provider_config_endpoint\n\
                   ERROR object_creation\n  \
                   Unexpected response status code 400\n  \
                   {'detail': 'x'}\n\
                   SKIPPED bulk\n\
                   DEVIATION object_query\n";
        let checks = parse_scim2_test(out);
        assert_eq!(checks.len(), 4);
        assert_eq!(checks[0].outcome, Outcome::Pass);
        assert_eq!(checks[1].name, "object_creation");
        assert_eq!(checks[1].outcome, Outcome::Fail);
        assert_eq!(checks[1].detail, "Unexpected response status code 400");
        assert_eq!(checks[2].outcome, Outcome::Skip);
        assert_eq!(checks[3].outcome, Outcome::Fail);
    }

    #[test]
    fn scim_sanity_json_is_read_with_phases() {
        let out = r#"{"summary": {}, "results": [
            {"name": "GET /Schemas", "status": "pass", "phase": "Phase 1 — Discovery"},
            {"name": "POST /Users", "status": "fail", "message": "Expected HTTP 201, got 400"},
            {"name": "count=0", "status": "warn", "message": "m", "details": "d"},
            {"name": "Agent", "status": "skip"},
            {"name": "x", "status": "error"}
        ]}"#;
        let checks = parse_scim_sanity(out).unwrap();
        let outcomes: Vec<Outcome> = checks.iter().map(|c| c.outcome).collect();
        assert_eq!(
            outcomes,
            [
                Outcome::Pass,
                Outcome::Fail,
                Outcome::Warn,
                Outcome::Skip,
                Outcome::Fail
            ]
        );
        assert_eq!(checks[0].name, "Phase 1 — Discovery: GET /Schemas");
        assert_eq!(checks[2].detail, "m / d");
    }

    #[test]
    fn scim_sanity_without_json_is_an_error() {
        assert!(parse_scim_sanity("Traceback (most recent call last)").is_err());
    }

    #[test]
    fn exit_codes_fail_only_what_the_checks_do_not_explain() {
        let skipped = vec![Check {
            name: "search_with_attributes".to_owned(),
            status: "SKIPPED".to_owned(),
            outcome: Outcome::Skip,
            detail: String::new(),
        }];
        // scim2 test exits with 1 for a skipped check: not a failure.
        assert!(!tool_run_failed(Tool::Scim2Test, false, &skipped, ""));
        // ... but a traceback is.
        assert!(tool_run_failed(
            Tool::Scim2Test,
            false,
            &skipped,
            "Traceback"
        ));
        // scim-sanity exits with 1 only for failed checks.
        assert!(tool_run_failed(Tool::SanityStrict, false, &skipped, ""));
        // No check at all is a failure, whatever the exit code.
        assert!(tool_run_failed(Tool::SanityEntra, true, &[], ""));
        assert!(!tool_run_failed(Tool::SanityEntra, true, &skipped, ""));
    }

    #[test]
    fn cells_cannot_break_a_table_row() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
        let long = "x".repeat(DETAIL_LIMIT + 10);
        assert!(cell(&long).ends_with(" …"));
    }

    #[test]
    fn the_report_lists_every_check_and_the_failures_first() {
        let check = |name: &str, outcome| Check {
            name: name.to_owned(),
            status: "s".to_owned(),
            outcome,
            detail: "why | not".to_owned(),
        };
        let report = ToolReport {
            tool: Tool::SanityStrict,
            exit: None,
            checks: vec![check("ok", Outcome::Pass), check("bad", Outcome::Fail)],
        };
        let pins = [("scim-sanity".to_owned(), "1.0".to_owned())];
        let md = render_report(&[report], &pins, "commit `abc`");
        assert!(md.contains("Tools: scim-sanity 1.0."));
        assert!(md.contains("| scim-sanity-strict | 1 | 1 | 0 | 0 | 0 | timeout |"));
        assert!(md.contains("- scim-sanity-strict #2: bad (s): why \\| not"));
        assert!(md.contains("| 1 | ok | pass | s | why \\| not |"));
        assert!(md.contains("| 2 | bad | FAIL | s | why \\| not |"));
    }

    #[test]
    fn versions_are_parsed() {
        assert_eq!(parse_version("3.11"), Some((3, 11)));
        assert_eq!(parse_version("3"), None);
    }

    #[test]
    fn listed_tool_errors_do_not_fail_the_run() {
        let listed = Check {
            name: TOOL_ERRORS[0].1.to_owned(),
            status: "fail".to_owned(),
            outcome: Outcome::Fail,
            detail: "expected 200".to_owned(),
        };
        let other = Check {
            name: "Phase 2 — User CRUD Lifecycle: POST /Users".to_owned(),
            ..listed.clone()
        };
        let mut checks = vec![listed.clone(), other];
        excuse_tool_errors(Tool::SanityEntra, &mut checks);
        assert_eq!(checks[0].outcome, Outcome::ToolWrong);
        assert!(checks[0].detail.contains("tool wrong"));
        assert_eq!(
            checks[1].outcome,
            Outcome::Fail,
            "only listed checks are excused"
        );
        // The same name from another tool is not excused.
        let mut scim2 = vec![listed];
        excuse_tool_errors(Tool::Scim2Test, &mut scim2);
        assert_eq!(scim2[0].outcome, Outcome::Fail);
        // scim-sanity exits 1 for the excused failure: that exit is explained.
        assert!(!tool_run_failed(
            Tool::SanityStrict,
            false,
            &checks[..1],
            ""
        ));
    }

    #[test]
    fn only_selects_one_tool() {
        assert_eq!(parse_args(&[]).unwrap(), Tool::ALL.to_vec());
        let only = ["--only".to_owned(), "scim-sanity-entra".to_owned()];
        assert_eq!(parse_args(&only).unwrap(), vec![Tool::SanityEntra]);
        assert!(parse_args(&["--only".to_owned(), "x".to_owned()]).is_err());
    }

    #[test]
    fn the_pins_name_the_three_tools() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let pins = read_pins(root).unwrap();
        for tool in ["scim2-cli", "scim2-tester", "scim-sanity"] {
            assert!(pins.iter().any(|(n, _)| n == tool), "{tool} is not pinned");
        }
    }
}
