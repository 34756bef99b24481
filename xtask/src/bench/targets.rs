//! Starting the servers under measurement: this project's server on a fresh
//! store, the ceiling server, and (in `peers.rs`) the peers. Each runs as a
//! child process on a free loopback port, with its output in a log file,
//! and is stopped, and its store removed, when its guard is dropped.

use std::fs::{self, File};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::database::FreshDatabase;
use crate::process::{free_port, probe};

/// How long a server may take to answer after it was started.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// A running server; stopped when dropped, then its data folder removed
/// and its database dropped.
pub(crate) struct ServerProcess {
    child: Child,
    /// Where it listens.
    pub(crate) addr: SocketAddr,
    data_dir: Option<PathBuf>,
    // Dropped after the process is stopped (fields drop after `drop`).
    _database: Option<FreshDatabase>,
}

impl ServerProcess {
    /// Starts `command` (which must listen on `addr`) with its output in
    /// `log`, and waits until `GET ready_path` gets an HTTP answer.
    pub(crate) fn start(
        mut command: Command,
        addr: SocketAddr,
        log: &Path,
        ready_path: &str,
        data_dir: Option<PathBuf>,
        database: Option<FreshDatabase>,
    ) -> Result<ServerProcess, String> {
        let log_file =
            File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let log_err = log_file
            .try_clone()
            .map_err(|e| format!("cannot share {}: {e}", log.display()))?;
        let child = command
            // A pipe nobody writes to: the ceiling server stops when it closes.
            .stdin(Stdio::piped())
            .stdout(log_file)
            .stderr(log_err)
            .spawn()
            .map_err(|e| format!("cannot start {:?}: {e}", command.get_program()))?;
        let mut server = ServerProcess {
            child,
            addr,
            data_dir,
            _database: database,
        };
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                let text = fs::read_to_string(log).unwrap_or_default();
                return Err(format!(
                    "it exited ({status}) before answering: {}",
                    last_lines(&text, 8)
                ));
            }
            if probe(addr, ready_path).is_some() {
                return Ok(server);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "it did not answer on {addr} within {}s (log: {})",
                    STARTUP_TIMEOUT.as_secs(),
                    log.display()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The process id, for `/proc`.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = &self.data_dir {
            let _ = fs::remove_dir_all(dir);
        }
    }
}

/// The last `n` lines of a text, joined.
pub(crate) fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join(" / ")
}

/// Where this project's server keeps its data for one run.
pub(crate) enum Store {
    /// A fresh SQLite folder under the system's temporary directory.
    Sqlite(PathBuf),
    /// A database created for the run.
    Database(FreshDatabase),
}

/// Starts `binary` (this project's server) on a free loopback port with
/// `store`, the bootstrap `token` and rate limiting off; none of the
/// caller's `SCIM_*` variables or `RUST_LOG` reach it, so it logs one line
/// per request at its default level, as deployed.
pub(crate) fn start_ours(
    binary: &Path,
    store: Store,
    token: &str,
    log: &Path,
) -> Result<ServerProcess, String> {
    let addr = free_port()?;
    let mut command = Command::new(binary);
    for (name, _) in std::env::vars_os() {
        let text = name.to_string_lossy();
        if text.starts_with("SCIM_") || text == "RUST_LOG" {
            command.env_remove(&name);
        }
    }
    command
        .arg("serve")
        .env("SCIM_LISTEN", addr.to_string())
        .env("SCIM_BOOTSTRAP_TOKEN", token)
        .env("SCIM_RATE_LIMIT_PER_SECOND", "0")
        .env("NO_COLOR", "1");
    let (data_dir, database) = match store {
        Store::Sqlite(dir) => {
            if dir.exists() {
                fs::remove_dir_all(&dir)
                    .map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
            }
            command.env("SCIM_DATA_DIR", &dir);
            (Some(dir), None)
        }
        Store::Database(db) => {
            command.env("SCIM_DATABASE_URL", &db.url);
            (None, Some(db))
        }
    };
    ServerProcess::start(
        command,
        addr,
        log,
        "/scim/v2/ServiceProviderConfig",
        data_dir,
        database,
    )
}

/// Starts the ceiling server (this program's hidden subcommand).
pub(crate) fn start_ceiling(log: &Path) -> Result<ServerProcess, String> {
    let addr = free_port()?;
    let program = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let mut command = Command::new(program);
    command
        .arg(super::ceiling::SUBCOMMAND)
        .arg("--listen")
        .arg(addr.to_string());
    ServerProcess::start(
        command,
        addr,
        log,
        "/scim/v2/ServiceProviderConfig",
        None,
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_lines_keep_the_end() {
        assert_eq!(last_lines("a\nb\nc", 2), "b / c");
        assert_eq!(last_lines("a", 5), "a");
        assert_eq!(last_lines("", 5), "");
    }
}
