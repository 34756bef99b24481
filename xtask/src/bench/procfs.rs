//! What Linux's `/proc` tells about a process (CPU time, resident memory)
//! and about the machine (processor, memory), read the same way for every
//! server so that their figures compare.

use std::fs;
use std::process::Command;
use std::time::Duration;

/// CPU time a process has used so far, in clock ticks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct CpuTicks {
    /// `utime`: in user mode.
    pub(crate) user: u64,
    /// `stime`: in the kernel on its behalf (system calls, page faults).
    pub(crate) system: u64,
}

impl CpuTicks {
    /// User plus system time.
    pub(crate) fn total(self) -> u64 {
        self.user + self.system
    }

    /// The time used since `earlier`.
    pub(crate) fn since(self, earlier: CpuTicks) -> CpuTicks {
        CpuTicks {
            user: self.user.saturating_sub(earlier.user),
            system: self.system.saturating_sub(earlier.system),
        }
    }
}

/// The CPU time `pid` has used so far (all its threads, live or ended).
pub(crate) fn cpu_ticks(pid: u32) -> Result<CpuTicks, String> {
    let path = format!("/proc/{pid}/stat");
    let text = fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    parse_stat_cpu(&text).ok_or_else(|| format!("{path} has no utime and stime"))
}

/// `utime` and `stime` of a `/proc/<pid>/stat` line. The command name
/// (field 2) is in parentheses and may itself hold spaces or parentheses,
/// so the fields are counted after the last `)`: the state is field 3,
/// `utime` field 14 and `stime` field 15.
pub(crate) fn parse_stat_cpu(stat: &str) -> Option<CpuTicks> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(CpuTicks {
        user: fields.get(14 - 3)?.parse().ok()?,
        system: fields.get(15 - 3)?.parse().ok()?,
    })
}

/// Clock ticks per second (`getconf CLK_TCK`), 100 when it cannot be read:
/// the value on every Linux platform in practice.
pub(crate) fn clock_ticks_per_second() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .filter(|&t: &u64| t > 0)
        .unwrap_or(100)
}

/// Converts clock ticks to time.
pub(crate) fn ticks_to_duration(ticks: u64, per_second: u64) -> Duration {
    Duration::from_secs_f64(ticks as f64 / per_second.max(1) as f64)
}

/// Resident memory of a process, in KiB.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Memory {
    /// `VmRSS`: resident now.
    pub(crate) rss_kib: u64,
    /// `VmHWM`: the peak resident size so far.
    pub(crate) peak_kib: u64,
}

/// The resident memory of `pid` from `/proc/<pid>/status`.
pub(crate) fn memory(pid: u32) -> Result<Memory, String> {
    let path = format!("/proc/{pid}/status");
    let text = fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    Ok(Memory {
        rss_kib: status_kib(&text, "VmRSS").ok_or_else(|| format!("{path} has no VmRSS"))?,
        peak_kib: status_kib(&text, "VmHWM").ok_or_else(|| format!("{path} has no VmHWM"))?,
    })
}

/// The file descriptors `pid` has open: the entries of `/proc/<pid>/fd`.
pub(crate) fn open_fds(pid: u32) -> Result<u64, String> {
    let path = format!("/proc/{pid}/fd");
    let entries = fs::read_dir(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    Ok(entries.count() as u64)
}

/// The threads of `pid` (`Threads:` of `/proc/<pid>/status`).
pub(crate) fn threads(pid: u32) -> Result<u64, String> {
    let path = format!("/proc/{pid}/status");
    let text = fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    status_kib(&text, "Threads").ok_or_else(|| format!("{path} has no Threads"))
}

/// The machine's load average over the last minute (`/proc/loadavg`):
/// runnable processes, the soak's own included.
pub(crate) fn load_average() -> Option<f64> {
    let text = fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// The value in KiB of a `Key:   1234 kB` line of a `/proc` status file
/// (or the plain number of a line without a unit, such as `Threads:`).
pub(crate) fn status_kib(status: &str, key: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        if name.trim() != key {
            return None;
        }
        value.split_whitespace().next()?.parse().ok()
    })
}

/// The machine a run happened on, for the report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Machine {
    /// The processor's model name (`/proc/cpuinfo`).
    pub(crate) cpu: String,
    /// Processors this process may run on.
    pub(crate) cores: usize,
    /// Total memory in MiB (`/proc/meminfo`).
    pub(crate) memory_mib: u64,
    /// `uname -sr`, if it answers.
    pub(crate) kernel: String,
}

/// Reads what the report says about the machine.
pub(crate) fn machine() -> Machine {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let kernel = Command::new("uname")
        .arg("-sr")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    Machine {
        cpu: cpu_model(&cpuinfo).unwrap_or_else(|| "unknown".to_owned()),
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        memory_mib: status_kib(&meminfo, "MemTotal").unwrap_or(0) / 1024,
        kernel,
    }
}

/// The first `model name` of `/proc/cpuinfo`.
pub(crate) fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        (name.trim() == "model name").then(|| value.trim().to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_cpu_counts_fields_after_the_command_name() {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt
        // majflt cmajflt utime stime cutime cstime ...
        let line = "4242 (scim server) S 1 4242 4242 0 -1 4194560 900 0 0 0 \
                    123 45 6 7 20 0 3 0 100 2000000 500";
        let ticks = parse_stat_cpu(line).unwrap();
        assert_eq!((ticks.user, ticks.system, ticks.total()), (123, 45, 168));
        let tricky = "7 (a) b) R 1 7 7 0 -1 0 0 0 0 0 10 5 0 0";
        assert_eq!(parse_stat_cpu(tricky).map(CpuTicks::total), Some(15));
        let later = CpuTicks {
            user: 130,
            system: 50,
        };
        assert_eq!(later.since(ticks), CpuTicks { user: 7, system: 5 });
        assert_eq!(ticks.since(later), CpuTicks::default(), "never negative");
        assert_eq!(parse_stat_cpu("7 (short) R 1"), None);
        assert_eq!(parse_stat_cpu("garbage"), None);
    }

    #[test]
    fn this_process_has_a_cpu_time_and_memory() {
        let pid = std::process::id();
        assert!(cpu_ticks(pid).is_ok());
        let memory = memory(pid).unwrap();
        assert!(memory.peak_kib >= memory.rss_kib && memory.rss_kib > 0);
        // Standard input, output and error at least.
        assert!(open_fds(pid).unwrap() >= 3);
        assert!(threads(pid).unwrap() >= 1);
        assert!(open_fds(u32::MAX).is_err());
        assert!(load_average().is_some_and(|l| l >= 0.0));
    }

    #[test]
    fn status_lines_are_read_by_key() {
        let status = "Name:\tnode\nVmHWM:\t  81234 kB\nVmRSS:\t  61000 kB\n";
        assert_eq!(status_kib(status, "VmHWM"), Some(81_234));
        assert_eq!(status_kib(status, "VmRSS"), Some(61_000));
        assert_eq!(status_kib(status, "VmSwap"), None);
        assert_eq!(status_kib("Threads:\t7\n", "Threads"), Some(7));
        assert_eq!(
            status_kib("MemTotal:       24683640 kB\n", "MemTotal"),
            Some(24_683_640)
        );
    }

    #[test]
    fn ticks_become_time() {
        assert_eq!(ticks_to_duration(250, 100), Duration::from_millis(2500));
        assert_eq!(ticks_to_duration(1, 0), Duration::from_secs(1));
    }

    #[test]
    fn the_cpu_model_is_the_first_one() {
        let info =
            "processor\t: 0\nmodel name\t: AMD EPYC\nprocessor\t: 1\nmodel name\t: AMD EPYC\n";
        assert_eq!(cpu_model(info).as_deref(), Some("AMD EPYC"));
        assert_eq!(cpu_model("processor : 0\n"), None);
    }
}
