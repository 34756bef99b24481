//! The peers: public SCIM servers that users would otherwise pick, installed
//! from their registries at run time (nothing of theirs is in this
//! repository) under `<target>/bench-peers/`, pinned to the versions below,
//! and run with what their documentation shows.
//!
//! - `scim2-server` (PyPI): its own `scim2-server` command, which serves
//!   from memory with a threading WSGI server; given a service provider
//!   configuration that is its default plus cursor pagination (its `cursor`
//!   extra), so that the cursor workload runs on it too.
//! - `scimmy` + `scimmy-routers` (npm) on express: a library, so a small
//!   glue file, written here at run time, declares the User and Group
//!   resources with an in-memory store (a `Map`, filters by SCIMMY's own
//!   `Filter.match`, paging sliced before SCIMMY renders the page) and
//!   mounts the routers at `/scim/v2`.

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::targets::{ServerProcess, last_lines};
use crate::process::{exe, free_port};

/// The scim2-server pin (with the extra its cursors need).
const SCIM2_SERVER: &str = "scim2-server[cursor]==0.8.3";
/// The scimmy pins. scimmy-routers is tested on express 4; on express 5
/// its paging parameters are ignored (express 5 makes `req.query` a getter
/// that the routers cannot update).
const SCIMMY: [&str; 3] = ["scimmy@1.3.5", "scimmy-routers@1.3.2", "express@4.21.2"];
/// The oldest Python scim2-server supports.
const MIN_PYTHON: (u32, u32) = (3, 11);

/// A peer server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Peer {
    /// scim2-server, Python.
    Scim2Server,
    /// scimmy + scimmy-routers on express, Node.js.
    Scimmy,
}

/// A peer ready to start.
pub(crate) struct Installed {
    peer: Peer,
    dir: PathBuf,
    /// Version, runtime and storage, in words.
    pub(crate) description: String,
}

impl Peer {
    /// Every peer, in running order.
    pub(crate) const ALL: [Peer; 2] = [Peer::Scim2Server, Peer::Scimmy];

    /// Its name in the report.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Peer::Scim2Server => "scim2-server",
            Peer::Scimmy => "scimmy",
        }
    }

    /// Its pins, in words, for a report of a peer that could not be run.
    pub(crate) fn pins(self) -> String {
        match self {
            Peer::Scim2Server => SCIM2_SERVER.to_owned(),
            Peer::Scimmy => SCIMMY.join(" "),
        }
    }

    /// Where its SCIM endpoints live.
    fn base_path(self) -> &'static str {
        match self {
            Peer::Scim2Server => "/v2",
            Peer::Scimmy => "/scim/v2",
        }
    }

    /// Installs the peer under `root` (reused while its pins are
    /// unchanged) and writes what it needs at run time.
    pub(crate) fn install(self, root: &Path) -> Result<Installed, String> {
        fs::create_dir_all(root).map_err(|e| format!("cannot create {}: {e}", root.display()))?;
        match self {
            Peer::Scim2Server => install_scim2_server(&root.join("scim2-server")),
            Peer::Scimmy => install_scimmy(&root.join("scimmy")),
        }
    }
}

/// The version line of `program --version` (or its `args`), if it runs.
fn version_of(program: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    (output.status.success() && !text.is_empty()).then_some(text)
}

/// Whether `stamp` says the folder was installed with `pins`.
fn up_to_date(stamp: &Path, pins: &str) -> bool {
    fs::read_to_string(stamp).ok().as_deref() == Some(pins)
}

fn run(command: &mut Command, what: &str) -> Result<(), String> {
    let output = command
        .output()
        .map_err(|e| format!("cannot {what}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "could not {what} ({}): {}",
            output.status,
            last_lines(&String::from_utf8_lossy(&output.stderr), 5)
        ))
    }
}

fn install_scim2_server(dir: &Path) -> Result<Installed, String> {
    let venv = dir.join("venv");
    let bin = venv.join(if cfg!(windows) { "Scripts" } else { "bin" });
    let python = bin.join(exe("python"));
    let stamp = dir.join("xtask-pins.txt");
    if !python.exists() || !up_to_date(&stamp, SCIM2_SERVER) {
        let system_python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
        let version = version_of(
            Path::new(&system_python),
            &["-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        )
        .ok_or_else(|| format!("{system_python} does not run (set PYTHON to a Python 3.11+)"))?;
        let parsed = version
            .split_once('.')
            .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)));
        if parsed.is_none_or(|v| v < MIN_PYTHON) {
            return Err(format!(
                "{system_python} is Python {version}; scim2-server needs {}.{}+",
                MIN_PYTHON.0, MIN_PYTHON.1
            ));
        }
        if !python.exists() {
            run(
                Command::new(&system_python)
                    .arg("-m")
                    .arg("venv")
                    .arg(&venv),
                "create a virtual environment",
            )?;
        }
        eprintln!("xtask: bench: pip install {SCIM2_SERVER}");
        run(
            Command::new(&python).args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                SCIM2_SERVER,
            ]),
            "install scim2-server from PyPI",
        )?;
        fs::write(&stamp, SCIM2_SERVER)
            .map_err(|e| format!("cannot write {}: {e}", stamp.display()))?;
    }
    // Its default service provider configuration, plus cursor pagination.
    let config = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "patch": {"supported": true},
        "bulk": {"supported": true, "maxOperations": 1000, "maxPayloadSize": 1_048_576},
        "filter": {"supported": true, "maxResults": 1000},
        "changePassword": {"supported": true},
        "sort": {"supported": true},
        "etag": {"supported": true},
        "pagination": {"cursor": true, "index": true, "defaultPaginationMethod": "index",
                       "maxPageSize": 1000, "cursorTimeout": 3600}
    });
    let config_path = dir.join("service-provider-config.json");
    fs::write(&config_path, config.to_string())
        .map_err(|e| format!("cannot write {}: {e}", config_path.display()))?;
    let python_version = version_of(&python, &["--version"]).unwrap_or_default();
    Ok(Installed {
        peer: Peer::Scim2Server,
        dir: dir.to_path_buf(),
        description: format!(
            "{SCIM2_SERVER} from PyPI, its `scim2-server` command (in-memory storage, \
             threading WSGI server, HTTP/1.0), {python_version}, default configuration \
             plus cursor pagination"
        ),
    })
}

fn install_scimmy(dir: &Path) -> Result<Installed, String> {
    let node = version_of(Path::new("node"), &["--version"])
        .ok_or("node does not run: install Node.js 16+ and npm")?;
    let stamp = dir.join("xtask-pins.txt");
    let pins = SCIMMY.join(" ");
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    if !up_to_date(&stamp, &pins) {
        let package = serde_json::json!({
            "name": "scim-bench-scimmy",
            "private": true,
            "type": "module",
            "description": "Written by cargo xtask bench: the scimmy peer."
        });
        fs::write(dir.join("package.json"), package.to_string())
            .map_err(|e| format!("cannot write package.json: {e}"))?;
        eprintln!("xtask: bench: npm install {pins}");
        run(
            Command::new("npm")
                .args([
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--loglevel=error",
                    "--save-exact",
                ])
                .args(SCIMMY)
                .current_dir(dir),
            "install scimmy from npm",
        )?;
        fs::write(&stamp, &pins).map_err(|e| format!("cannot write {}: {e}", stamp.display()))?;
    }
    fs::write(dir.join("glue.mjs"), GLUE)
        .map_err(|e| format!("cannot write {}: {e}", dir.join("glue.mjs").display()))?;
    Ok(Installed {
        peer: Peer::Scimmy,
        dir: dir.to_path_buf(),
        description: format!(
            "{pins} from npm on Node.js {node}, in-memory store in a generated glue file \
             (`glue.mjs`: filters by SCIMMY's `Filter.match`, no cursor paging)"
        ),
    })
}

impl Installed {
    /// Starts the peer on a free loopback port accepting `token`; returns
    /// the process and its SCIM base URL.
    pub(crate) fn start(&self, token: &str, log: &Path) -> Result<(ServerProcess, String), String> {
        let addr: SocketAddr = free_port()?;
        let mut command;
        match self.peer {
            Peer::Scim2Server => {
                let bin = self
                    .dir
                    .join("venv")
                    .join(if cfg!(windows) { "Scripts" } else { "bin" });
                command = Command::new(bin.join(exe("scim2-server")));
                command
                    .arg("--hostname")
                    .arg(addr.ip().to_string())
                    .arg("--port")
                    .arg(addr.port().to_string())
                    .arg("--bearer-token")
                    .arg(token)
                    .arg("--service-provider-config")
                    .arg(self.dir.join("service-provider-config.json"));
            }
            Peer::Scimmy => {
                command = Command::new("node");
                command
                    .arg(self.dir.join("glue.mjs"))
                    .current_dir(&self.dir);
            }
        }
        // Nothing of the caller's environment but what finds programs.
        let path = std::env::var_os("PATH").unwrap_or_default();
        let home = std::env::var_os("HOME").unwrap_or_default();
        command.env_clear().env("PATH", path).env("HOME", home);
        if self.peer == Peer::Scimmy {
            command
                .env("BENCH_HOST", addr.ip().to_string())
                .env("BENCH_PORT", addr.port().to_string())
                .env("BENCH_TOKEN", token)
                .env("NODE_ENV", "production");
        }
        let base_path = self.peer.base_path();
        let server = ServerProcess::start(
            command,
            addr,
            log,
            &format!("{base_path}/ServiceProviderConfig"),
            None,
            None,
        )?;
        Ok((server, format!("http://{addr}{base_path}")))
    }
}

/// The scimmy glue, written to `<target>/bench-peers/scimmy/glue.mjs` at
/// run time. It follows scimmy's README (declare the resources with
/// ingress/egress/degress handlers, mount `SCIMMYRouters` on express) with
/// the simplest store a user would write: a `Map` per resource type and a
/// `Map` of userNames for 409 on duplicates. Node's keep-alive timeout is
/// raised, as deployments behind a load balancer do: at its default, a
/// bulk request that blocks the event loop for 5 s makes Node reset the
/// other clients' kept-alive connections.
const GLUE: &str = r#"// Written by `cargo xtask bench` at run time: scimmy + scimmy-routers on
// express with an in-memory store. Not part of the scim-server repository.
import express from "express";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";
import {randomUUID} from "node:crypto";

const token = process.env.BENCH_TOKEN;
const notFound = (id) => new SCIMMY.Types.Error(404, null, `Resource ${id} not found`);

function declare(Resource, uniqueKey) {
    const store = new Map();
    const keys = new Map();
    SCIMMY.Resources.declare(Resource)
        .ingress((resource, instance) => {
            const now = new Date().toISOString();
            const data = JSON.parse(JSON.stringify(instance));
            const id = resource.id ?? randomUUID();
            const old = resource.id ? store.get(id) : undefined;
            if (resource.id && !old) throw notFound(id);
            const key = uniqueKey(data);
            const holder = key === undefined ? undefined : keys.get(key);
            if (holder !== undefined && holder !== id)
                throw new SCIMMY.Types.Error(409, "uniqueness", "userName is already taken");
            const oldKey = old ? uniqueKey(old) : undefined;
            if (oldKey !== undefined) keys.delete(oldKey);
            if (key !== undefined) keys.set(key, id);
            const record = {...data, id, meta: {created: old?.meta.created ?? now, lastModified: now}};
            store.set(id, record);
            return record;
        })
        .egress((resource) => {
            if (resource.id) {
                const record = store.get(resource.id);
                if (!record) throw notFound(resource.id);
                return record;
            }
            const all = [...store.values()];
            const matched = resource.filter ? resource.filter.match(all) : all;
            // Slice the page here, so that SCIMMY renders only the page, and
            // tell its ListResponse the total.
            const {startIndex = 1, count = 20} = resource.constraints ?? {};
            resource.constraints = {...resource.constraints, startIndex, count, totalResults: matched.length};
            return matched.slice(startIndex - 1, startIndex - 1 + count);
        })
        .degress((resource) => {
            const record = store.get(resource.id);
            if (!record) throw notFound(resource.id);
            const key = uniqueKey(record);
            if (key !== undefined) keys.delete(key);
            store.delete(resource.id);
        });
}

declare(SCIMMY.Resources.User, (user) => user.userName?.toLowerCase());
declare(SCIMMY.Resources.Group, () => undefined);

const app = express();
app.use("/scim/v2", new SCIMMYRouters({
    type: "bearer",
    handler: (request) => {
        if (request.header("Authorization") !== `Bearer ${token}`) throw new Error("Authorization failed");
        return "bench";
    },
}));
const server = app.listen(Number(process.env.BENCH_PORT), process.env.BENCH_HOST, () => {
    console.log(`scimmy on http://${process.env.BENCH_HOST}:${process.env.BENCH_PORT}/scim/v2`);
});
// Node's default keep-alive timeout (5 s) races with clients that reuse a
// connection while a long request (a bulk of 1000) blocks the event loop:
// the timer fires before the waiting request is read and the connection is
// reset. Deployments behind a load balancer raise it the same way.
server.keepAliveTimeout = 65000;
server.headersTimeout = 66000;
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_are_pinned_exactly() {
        assert!(SCIM2_SERVER.contains("=="));
        assert!(SCIMMY.iter().all(|p| p.rsplit_once('@').is_some_and(
            |(n, v)| !n.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.')
        )));
        assert_eq!(
            Peer::Scimmy.pins(),
            "scimmy@1.3.5 scimmy-routers@1.3.2 express@4.21.2"
        );
    }

    #[test]
    fn the_glue_reads_its_settings_from_the_environment() {
        for name in ["BENCH_TOKEN", "BENCH_PORT", "BENCH_HOST"] {
            assert!(GLUE.contains(&format!("process.env.{name}")), "{name}");
        }
        assert!(GLUE.contains("app.use(\"/scim/v2\""));
        assert_eq!(Peer::Scimmy.base_path(), "/scim/v2");
    }

    #[test]
    fn stamps_decide_whether_to_reinstall() {
        let dir = std::env::temp_dir().join(format!("xtask-bench-stamp-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let stamp = dir.join("stamp");
        assert!(!up_to_date(&stamp, "a==1"));
        fs::write(&stamp, "a==1").unwrap();
        assert!(up_to_date(&stamp, "a==1"));
        assert!(!up_to_date(&stamp, "a==2"));
        fs::remove_dir_all(&dir).unwrap();
    }
}
