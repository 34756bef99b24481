//! Cargo subcommands the tasks need (`cargo fuzz`, `cargo deny`), installed
//! from crates.io at a pinned version when missing or at another version.

use std::process::{Command, Stdio};
use std::time::Instant;

use crate::process::{cargo, run_checked};

/// A cargo subcommand installed by `cargo install --locked`.
pub(crate) struct Tool {
    /// The crate that provides it, e.g. `cargo-fuzz`.
    pub(crate) package: &'static str,
    /// The subcommand, e.g. `fuzz`.
    pub(crate) subcommand: &'static str,
    /// The version the project uses.
    pub(crate) version: &'static str,
}

impl Tool {
    /// What `cargo <subcommand> --version` prints, if it runs.
    fn installed_version(&self) -> Option<String> {
        let output = cargo()
            .args([self.subcommand, "--version"])
            .stdin(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())?;
        Some(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }

    /// Installs the pinned version unless it is the one installed.
    pub(crate) fn ensure(&self, task: &str) -> Result<(), String> {
        let installed = self.installed_version();
        if installed
            .as_deref()
            .is_some_and(|v| is_version(v, self.package, self.version))
        {
            return Ok(());
        }
        eprintln!(
            "xtask: {task}: installing {} {} ({}); the first build takes a few minutes",
            self.package,
            self.version,
            installed.map_or_else(|| "not installed".to_owned(), |v| format!("found {v}")),
        );
        let started = Instant::now();
        let mut install = cargo();
        install
            .args([
                "install",
                "--locked",
                self.package,
                "--version",
                self.version,
            ])
            // A temporary build folder that cargo removes afterwards, rather
            // than the workspace's target directory.
            .env_remove("CARGO_TARGET_DIR");
        run_checked(&mut install, &format!("install {}", self.package))?;
        eprintln!(
            "xtask: {task}: {} {} installed in {:.0} s",
            self.package,
            self.version,
            started.elapsed().as_secs_f64()
        );
        Ok(())
    }

    /// `cargo <subcommand>`, ready for arguments.
    pub(crate) fn command(&self) -> Command {
        let mut command = cargo();
        command.arg(self.subcommand);
        command
    }
}

/// Whether `printed` (e.g. `cargo-fuzz 0.13.2`) names `package` at `version`.
fn is_version(printed: &str, package: &str, version: &str) -> bool {
    let mut words = printed.split_whitespace();
    words.next() == Some(package) && words.next() == Some(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_compared_exactly() {
        assert!(is_version("cargo-fuzz 0.13.2", "cargo-fuzz", "0.13.2"));
        assert!(is_version("cargo-deny 0.20.2\n", "cargo-deny", "0.20.2"));
        assert!(!is_version("cargo-fuzz 0.13.20", "cargo-fuzz", "0.13.2"));
        assert!(!is_version("cargo-deny 0.20.2", "cargo-fuzz", "0.20.2"));
        assert!(!is_version("", "cargo-fuzz", "0.13.2"));
    }
}
