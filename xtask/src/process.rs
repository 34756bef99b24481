//! Helpers shared by the tasks that build and start the server: cargo
//! invocations, the target directory, free loopback ports and a minimal HTTP
//! probe that needs no client library.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// The cargo target directory in use (it honours `CARGO_TARGET_DIR` and
/// `build.target-dir`), as `cargo metadata` reports it.
pub(crate) fn target_dir(root: &Path) -> Result<PathBuf, String> {
    let output = cargo()
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let metadata: Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("cargo metadata printed invalid JSON: {e}"))?;
    metadata["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| "cargo metadata names no target_directory".to_owned())
}

/// A cargo command without the variables `cargo run` set for this task:
/// build scripts watch some of them (`CARGO_PKG_NAME`, `CARGO_MANIFEST_DIR`),
/// and their values here would rebuild those dependencies on every run.
pub(crate) fn cargo() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    for (name, _) in std::env::vars_os() {
        let name_str = name.to_string_lossy();
        if [
            "CARGO_PKG_",
            "CARGO_MANIFEST_",
            "CARGO_CRATE_",
            "CARGO_BIN_",
            "CARGO_PRIMARY_PACKAGE",
        ]
        .iter()
        .any(|prefix| name_str.starts_with(prefix))
        {
            command.env_remove(&name);
        }
    }
    command
}

/// A program's file name on this platform.
pub(crate) fn exe(name: &str) -> String {
    format!("{name}{}", std::env::consts::EXE_SUFFIX)
}

/// Runs `command` and fails unless it exits successfully; `what` names it
/// in the error.
pub(crate) fn run_checked(command: &mut Command, what: &str) -> Result<(), String> {
    let status = command
        .status()
        .map_err(|e| format!("cannot {what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("could not {what} ({status})"))
    }
}

/// A loopback address with a port nobody listens on right now.
/// A bearer token for one run of `task`: never reused, never a secret
/// worth keeping (the server it opens lives as long as the run).
pub(crate) fn run_token(task: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("scim_{task}_{:x}{:x}", std::process::id(), nanos)
}

/// `binary`, if the build that should have made it did.
pub(crate) fn built(binary: PathBuf) -> Result<PathBuf, String> {
    if binary.exists() {
        Ok(binary)
    } else {
        Err(format!("the build left no {}", binary.display()))
    }
}

pub(crate) fn free_port() -> Result<SocketAddr, String> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| format!("cannot find a free loopback port: {e}"))?;
    listener
        .local_addr()
        .map_err(|e| format!("cannot read the free port: {e}"))
}

/// The status code of `GET path` on `addr`, or `None` if it did not answer.
pub(crate) fn probe(addr: SocketAddr, path: &str) -> Option<u16> {
    let timeout = Duration::from_secs(2);
    let mut stream = TcpStream::connect_timeout(&addr, timeout).ok()?;
    stream.set_read_timeout(Some(timeout)).ok()?;
    stream.set_write_timeout(Some(timeout)).ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut head = [0u8; 64];
    let mut len = 0;
    while len < head.len() {
        match stream.read(&mut head[len..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => len += n,
        }
    }
    parse_status_line(&String::from_utf8_lossy(&head[..len]))
}

/// The status code of an HTTP/1.x response that starts with `head`.
pub(crate) fn parse_status_line(head: &str) -> Option<u16> {
    let mut parts = head.split(' ');
    if !parts.next()?.starts_with("HTTP/1.") {
        return None;
    }
    parts.next()?.parse().ok()
}

/// The commit the workspace is at, as `git describe --always --dirty` says,
/// or `unknown` outside a git checkout.
pub(crate) fn source_version(root: &Path) -> String {
    Command::new("git")
        .args(["describe", "--always", "--dirty"])
        .current_dir(root)
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|v| !v.is_empty())
        .map_or_else(|| "unknown".to_owned(), |v| format!("commit `{v}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_are_parsed() {
        assert_eq!(parse_status_line("HTTP/1.1 200 OK\r\n"), Some(200));
        assert_eq!(
            parse_status_line("HTTP/1.0 401 Unauthorized\r\n"),
            Some(401)
        );
        assert_eq!(parse_status_line("SSH-2.0"), None);
    }
}
