//! The tidy check: the workspace's architecture rules, read from
//! `cargo metadata`, plus a few source hygiene rules.
//!
//! Dependency direction (normal dependencies):
//! schema <- filter <- patch <- core <- {adapter-seaorm, http} <- server.
//! The core and everything below it must not reach SeaORM, sqlx, axum or
//! the `http` crate even transitively; adapters never depend on each other;
//! only the server reads configuration; every crate takes the workspace's
//! lints, so that `unsafe_code = "forbid"` holds everywhere.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// Internal crates each crate may depend on (normal and build dependencies).
const ALLOWED_INTERNAL: &[(&str, &[&str])] = &[
    ("scim-schema", &[]),
    ("scim-filter", &["scim-schema"]),
    ("scim-patch", &["scim-schema", "scim-filter"]),
    ("scim-core", &["scim-schema", "scim-filter", "scim-patch"]),
    (
        "scim-adapter-seaorm",
        &["scim-schema", "scim-filter", "scim-patch", "scim-core"],
    ),
    (
        "scim-http",
        &["scim-schema", "scim-filter", "scim-patch", "scim-core"],
    ),
    (
        "scim-server",
        &[
            "scim-schema",
            "scim-filter",
            "scim-patch",
            "scim-core",
            "scim-adapter-seaorm",
            "scim-http",
        ],
    ),
    ("xtask", &[]),
];

/// Packages that must not appear anywhere in a crate's dependency tree.
const STORAGE_AND_HTTP: &[&str] = &[
    "sea-orm",
    "sea-query",
    "sea-orm-migration",
    "sqlx",
    "sqlx-core",
    "axum",
    "axum-core",
    "http",
    "hyper",
    "tower",
];
const FORBIDDEN_TRANSITIVE: &[(&str, &[&str])] = &[
    ("scim-schema", STORAGE_AND_HTTP),
    ("scim-filter", STORAGE_AND_HTTP),
    ("scim-patch", STORAGE_AND_HTTP),
    ("scim-core", STORAGE_AND_HTTP),
    (
        "scim-adapter-seaorm",
        &["axum", "axum-core", "hyper", "scim-http"],
    ),
    (
        "scim-http",
        &[
            "sea-orm",
            "sea-query",
            "sqlx",
            "sqlx-core",
            "scim-adapter-seaorm",
        ],
    ),
];

/// Crates that read configuration; only the server may use them directly.
const CONFIG_READERS: &[&str] = &["clap", "figment", "config", "dotenvy", "envy"];
const MAY_READ_CONFIG: &[&str] = &["scim-server"];

/// Runs every check on the workspace at `root`.
pub(crate) fn check_workspace(root: &Path) -> Result<Vec<String>, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
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
    let mut problems = check_dependencies(&metadata)?;
    problems.extend(check_lints(&metadata));
    problems.extend(check_sources(root));
    Ok(problems)
}

/// Every workspace member's manifest says `[lints] workspace = true`: the
/// workspace's lints (`unsafe_code = "forbid"` among them) reach a crate
/// only that way.
fn check_lints(metadata: &Value) -> Vec<String> {
    let members: HashSet<&str> = metadata["workspace_members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut problems = Vec::new();
    for package in metadata["packages"].as_array().into_iter().flatten() {
        if !package["id"]
            .as_str()
            .is_some_and(|id| members.contains(id))
        {
            continue;
        }
        let name = package["name"].as_str().unwrap_or("?");
        let Some(manifest) = package["manifest_path"].as_str() else {
            problems.push(format!("{name}: cargo metadata names no manifest"));
            continue;
        };
        match std::fs::read_to_string(manifest) {
            Ok(text) if inherits_workspace_lints(&text) => {}
            Ok(_) => problems.push(format!(
                "{name}: its Cargo.toml must say `[lints] workspace = true` \
                 (the workspace forbids unsafe code)"
            )),
            Err(e) => problems.push(format!("{manifest}: unreadable: {e}")),
        }
    }
    problems
}

/// Whether a manifest takes the workspace's lints, in any of TOML's
/// spellings: a `[lints]` table with `workspace = true`, or
/// `lints.workspace = true` or `lints = { workspace = true }` at the top.
fn inherits_workspace_lints(manifest: &str) -> bool {
    let mut section: Option<String> = None;
    for line in manifest.lines() {
        let compact: String = line
            .split('#')
            .next()
            .unwrap_or("")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if compact.starts_with('[') {
            section = Some(compact);
            continue;
        }
        let inherits = match section.as_deref() {
            Some("[lints]") => compact == "workspace=true",
            None => compact == "lints.workspace=true" || compact == "lints={workspace=true}",
            Some(_) => false,
        };
        if inherits {
            return true;
        }
    }
    false
}

/// The dependency graph of `cargo metadata`, by package name.
struct Graph {
    /// Package id -> name.
    names: HashMap<String, String>,
    /// Package id -> ids of its normal and build dependencies.
    deps: HashMap<String, Vec<String>>,
}

impl Graph {
    fn from_metadata(metadata: &Value) -> Result<Graph, String> {
        let mut names = HashMap::new();
        for package in metadata["packages"]
            .as_array()
            .ok_or("metadata has no packages")?
        {
            let id = package["id"].as_str().ok_or("package without id")?;
            let name = package["name"].as_str().ok_or("package without name")?;
            names.insert(id.to_owned(), name.to_owned());
        }
        let mut deps = HashMap::new();
        let nodes = metadata["resolve"]["nodes"]
            .as_array()
            .ok_or("metadata has no resolve graph")?;
        for node in nodes {
            let id = node["id"].as_str().ok_or("node without id")?;
            let mut out = Vec::new();
            for dep in node["deps"].as_array().into_iter().flatten() {
                // Dev-dependencies are free: tests may use anything.
                let runtime = dep["dep_kinds"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|k| matches!(k["kind"].as_str(), None | Some("build")));
                if runtime && let Some(pkg) = dep["pkg"].as_str() {
                    out.push(pkg.to_owned());
                }
            }
            deps.insert(id.to_owned(), out);
        }
        Ok(Graph { names, deps })
    }

    fn id_of(&self, name: &str, members: &HashSet<String>) -> Option<&String> {
        self.names
            .iter()
            .find(|(id, n)| n.as_str() == name && members.contains(*id))
            .map(|(id, _)| id)
    }

    fn name<'a>(&'a self, id: &'a str) -> &'a str {
        self.names.get(id).map(String::as_str).unwrap_or(id)
    }

    fn direct(&self, id: &str) -> impl Iterator<Item = &str> {
        self.deps
            .get(id)
            .into_iter()
            .flatten()
            .map(|d| self.name(d))
    }

    /// Every package reachable from `id`, each with one path leading to it.
    fn reachable(&self, id: &str) -> HashMap<String, Vec<String>> {
        let mut seen: HashMap<String, Vec<String>> = HashMap::new();
        let mut stack = vec![(id.to_owned(), vec![self.name(id).to_owned()])];
        while let Some((current, path)) = stack.pop() {
            for dep in self.deps.get(&current).into_iter().flatten() {
                if seen.contains_key(dep) {
                    continue;
                }
                let mut dep_path = path.clone();
                dep_path.push(self.name(dep).to_owned());
                seen.insert(dep.clone(), dep_path.clone());
                stack.push((dep.clone(), dep_path));
            }
        }
        seen
    }
}

/// The dependency rules, on parsed `cargo metadata` output.
pub(crate) fn check_dependencies(metadata: &Value) -> Result<Vec<String>, String> {
    let graph = Graph::from_metadata(metadata)?;
    let members: HashSet<String> = metadata["workspace_members"]
        .as_array()
        .ok_or("metadata has no workspace_members")?
        .iter()
        .filter_map(|m| m.as_str().map(str::to_owned))
        .collect();
    let internal: BTreeSet<&str> = members.iter().map(|id| graph.name(id)).collect();
    let mut problems = Vec::new();

    for (krate, allowed) in ALLOWED_INTERNAL {
        let Some(id) = graph.id_of(krate, &members) else {
            problems.push(format!("workspace crate {krate} is missing"));
            continue;
        };
        for dep in graph.direct(id) {
            if internal.contains(dep) && !allowed.contains(&dep) {
                problems.push(format!("{krate} must not depend on {dep}"));
            }
            if CONFIG_READERS.contains(&dep) && !MAY_READ_CONFIG.contains(krate) {
                problems.push(format!(
                    "{krate} must not depend on {dep}: only the server reads configuration"
                ));
            }
        }
    }
    for (krate, forbidden) in FORBIDDEN_TRANSITIVE {
        let Some(id) = graph.id_of(krate, &members) else {
            continue;
        };
        let mut found: Vec<String> = graph
            .reachable(id)
            .into_iter()
            .filter(|(dep, _)| forbidden.contains(&graph.name(dep)))
            .map(|(_, path)| {
                format!(
                    "{krate} must not depend on {} (via {})",
                    path.last().map(String::as_str).unwrap_or(""),
                    path.join(" -> ")
                )
            })
            .collect();
        found.sort();
        problems.extend(found);
    }
    Ok(problems)
}

/// Markers that must not be committed: built with `concat!` so that this
/// file does not trip over itself.
const BANNED: &[(&str, &str)] = &[
    (concat!("#[should", "_panic"), "assert the error instead"),
    (
        concat!("#[ig", "nore"),
        "gate slow tests on an environment variable instead",
    ),
    (concat!("db", "g!("), "remove debugging output"),
    (concat!("to", "do!("), "finish the work or file an issue"),
    (
        concat!("unimpl", "emented!("),
        "finish the work or file an issue",
    ),
];

/// Source hygiene: every Rust file opens with a `//!` doc comment, carries
/// no banned marker, and only the server and tests read the environment.
fn check_sources(root: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let mut files = Vec::new();
    for dir in ["crates", "xtask", "tests", "fuzz"] {
        collect_rs(&root.join(dir), &mut files);
    }
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            problems.push(format!("{}: unreadable", file.display()));
            continue;
        };
        let rel = file.strip_prefix(root).unwrap_or(&file);
        let rel_str = rel.to_string_lossy().replace('\\', "/");
        if !text.trim_start().starts_with("//!") {
            problems.push(format!("{rel_str}: must start with a `//!` module comment"));
        }
        for (marker, advice) in BANNED {
            if text.contains(marker) {
                problems.push(format!("{rel_str}: contains {marker}: {advice}"));
            }
        }
        let library_source = rel_str.starts_with("crates/")
            && rel_str.contains("/src/")
            && !rel_str.starts_with("crates/scim-server/")
            && !rel_str.ends_with("/tests.rs")
            && !rel_str.contains("/testing/");
        if library_source && (text.contains("env::var(") || text.contains("env::vars(")) {
            problems.push(format!(
                "{rel_str}: reads the environment; only scim-server reads configuration"
            ));
        }
    }
    problems
}

fn collect_rs(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if name != "target" && name != "snapshots" {
                collect_rs(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A minimal `cargo metadata` document: `edges` are (from, to, kind).
    fn metadata(
        members: &[&str],
        externals: &[&str],
        edges: &[(&str, &str, Option<&str>)],
    ) -> Value {
        let id = |name: &str| format!("path+file:///ws/{name}#0.1.0");
        let packages: Vec<Value> = members
            .iter()
            .chain(externals)
            .map(|n| json!({"id": id(n), "name": n}))
            .collect();
        let nodes: Vec<Value> = members
            .iter()
            .chain(externals)
            .map(|n| {
                let deps: Vec<Value> = edges
                    .iter()
                    .filter(|(from, _, _)| from == n)
                    .map(|(_, to, kind)| json!({"pkg": id(to), "dep_kinds": [{"kind": kind}]}))
                    .collect();
                json!({"id": id(n), "deps": deps})
            })
            .collect();
        json!({
            "packages": packages,
            "workspace_members": members.iter().map(|n| id(n)).collect::<Vec<_>>(),
            "resolve": {"nodes": nodes}
        })
    }

    const MEMBERS: &[&str] = &[
        "scim-schema",
        "scim-filter",
        "scim-patch",
        "scim-core",
        "scim-adapter-seaorm",
        "scim-http",
        "scim-server",
        "xtask",
    ];

    fn layered_edges() -> Vec<(&'static str, &'static str, Option<&'static str>)> {
        vec![
            ("scim-filter", "scim-schema", None),
            ("scim-patch", "scim-filter", None),
            ("scim-core", "scim-patch", None),
            ("scim-adapter-seaorm", "scim-core", None),
            ("scim-adapter-seaorm", "sea-orm", None),
            ("sea-orm", "sqlx", None),
            ("scim-http", "scim-core", None),
            ("scim-http", "axum", None),
            ("axum", "http", None),
            ("scim-server", "scim-http", None),
            ("scim-server", "scim-adapter-seaorm", None),
            ("scim-server", "clap", None),
        ]
    }

    const EXTERNALS: &[&str] = &[
        "sea-orm", "sqlx", "axum", "http", "clap", "mockall", "wrapper",
    ];

    #[test]
    fn manifests_must_take_the_workspace_lints() {
        assert!(inherits_workspace_lints(
            "[package]\nname = \"a\"\n\n[lints]\nworkspace = true\n"
        ));
        assert!(inherits_workspace_lints(
            "lints.workspace = true\n[package]\n"
        ));
        assert!(inherits_workspace_lints("lints = { workspace = true }\n"));
        assert!(inherits_workspace_lints(
            "[lints]\nworkspace=true # all of them\n"
        ));
        assert!(!inherits_workspace_lints("[package]\nname = \"a\"\n"));
        assert!(!inherits_workspace_lints("[lints]\nworkspace = false\n"));
        assert!(!inherits_workspace_lints(
            "[package]\nworkspace = true\n[lints.rust]\nunsafe_code = \"allow\"\n"
        ));
    }

    #[test]
    fn the_layered_graph_passes() {
        let m = metadata(MEMBERS, EXTERNALS, &layered_edges());
        assert_eq!(check_dependencies(&m).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn core_depending_on_sea_orm_fails() {
        let mut edges = layered_edges();
        edges.push(("scim-core", "sea-orm", None));
        let problems = check_dependencies(&metadata(MEMBERS, EXTERNALS, &edges)).unwrap();
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("scim-core must not depend on sea-orm")),
            "{problems:?}"
        );
        // The transitive sqlx is reported too, with the path that leads to it.
        assert!(
            problems
                .iter()
                .any(|p| p.contains("sqlx (via scim-core -> sea-orm -> sqlx)")),
            "{problems:?}"
        );
    }

    #[test]
    fn core_reaching_http_transitively_fails() {
        let mut edges = layered_edges();
        edges.push(("scim-core", "wrapper", None));
        edges.push(("wrapper", "axum", None));
        let problems = check_dependencies(&metadata(MEMBERS, EXTERNALS, &edges)).unwrap();
        assert!(
            problems.iter().any(|p| p.contains(
                "scim-core must not depend on http (via scim-core -> wrapper -> axum -> http)"
            )),
            "{problems:?}"
        );
    }

    #[test]
    fn adapters_must_not_depend_on_each_other() {
        let mut edges = layered_edges();
        edges.push(("scim-http", "scim-adapter-seaorm", None));
        let problems = check_dependencies(&metadata(MEMBERS, EXTERNALS, &edges)).unwrap();
        assert!(
            problems.contains(&"scim-http must not depend on scim-adapter-seaorm".to_owned()),
            "{problems:?}"
        );
    }

    #[test]
    fn lower_layers_must_not_depend_upwards() {
        let mut edges = layered_edges();
        edges.push(("scim-schema", "scim-core", None));
        let problems = check_dependencies(&metadata(MEMBERS, EXTERNALS, &edges)).unwrap();
        assert!(
            problems.contains(&"scim-schema must not depend on scim-core".to_owned()),
            "{problems:?}"
        );
    }

    #[test]
    fn only_the_server_reads_configuration() {
        let mut edges = layered_edges();
        edges.push(("scim-http", "clap", None));
        let problems = check_dependencies(&metadata(MEMBERS, EXTERNALS, &edges)).unwrap();
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("scim-http must not depend on clap")),
            "{problems:?}"
        );
    }

    #[test]
    fn dev_dependencies_are_allowed() {
        let mut edges = layered_edges();
        edges.push(("scim-core", "mockall", Some("dev")));
        edges.push(("scim-core", "sea-orm", Some("dev")));
        let problems = check_dependencies(&metadata(MEMBERS, EXTERNALS, &edges)).unwrap();
        assert_eq!(problems, Vec::<String>::new());
    }

    #[test]
    fn the_real_workspace_is_tidy() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("xtask lives in the workspace");
        let problems = check_workspace(root).unwrap();
        assert_eq!(problems, Vec::<String>::new());
    }
}
