//! Running the `scim-server` binary as an operator does, for the tests
//! that need the real process: its banner, its signals, its exit.

#![allow(dead_code)] // each test binary uses its own part

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_scim-server");

/// A server process, killed when dropped.
pub(crate) struct Running {
    pub(crate) child: Child,
    pub(crate) stdout: BufReader<ChildStdout>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary on `data_dir` and a free port, with `env` on top of
/// an empty environment.
pub(crate) fn start(data_dir: &Path, env: &[(&str, &str)]) -> Running {
    let mut command = Command::new(BIN);
    command
        .env_clear()
        .env("SCIM_DATA_DIR", data_dir)
        .env("SCIM_LISTEN", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("the binary starts");
    let stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
    Running { child, stdout }
}

/// Reads stdout up to the `SCIM endpoint:` line; returns (lines before, URL).
pub(crate) fn read_banner(running: &mut Running) -> (Vec<String>, String) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut lines = Vec::new();
    loop {
        assert!(
            Instant::now() < deadline,
            "no banner within 60 s: {lines:?}"
        );
        let mut line = String::new();
        let n = running
            .stdout
            .read_line(&mut line)
            .expect("stdout is readable");
        assert!(n > 0, "the server exited before its banner: {lines:?}");
        if let Some(url) = line.trim().strip_prefix("SCIM endpoint: ") {
            return (lines, url.to_owned());
        }
        lines.push(line.trim_end().to_owned());
    }
}

/// Sends `signal` (`TERM`, `KILL`, ...) and waits for the exit.
pub(crate) fn signal(running: &mut Running, signal: &str) -> std::process::ExitStatus {
    let pid = running.child.id().to_string();
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &pid])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(exit) = running.child.try_wait().expect("wait works") {
            return exit;
        }
        assert!(
            Instant::now() < deadline,
            "no exit within 30 s of SIG{signal}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs an administration command of the binary with `env` on top of an
/// empty environment; its exit code, standard output and standard error.
pub(crate) fn command(env: &[(&str, &str)], args: &[&str]) -> (Option<i32>, String, String) {
    let mut command = Command::new(BIN);
    command.env_clear().env("RUST_LOG", "warn").args(args);
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command.output().expect("the binary runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// An administration command run with `--json` that must succeed; its
/// output.
pub(crate) fn command_json(env: &[(&str, &str)], args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.push("--json");
    let (code, stdout, stderr) = command(env, &all);
    assert_eq!(code, Some(0), "{args:?} failed: {stderr}");
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}): {stdout}"))
}
