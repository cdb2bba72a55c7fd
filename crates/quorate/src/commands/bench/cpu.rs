//! CPU accounting from `/proc`: the servers' processes, the load generator itself, the whole
//! machine (busy share and load average), so every figure says how busy the box was while it
//! was measured. Other engineers' builds share the machine; `other_cores` is what neither the
//! servers nor the generator used.

use std::time::Instant;

/// Clock ticks per second of `/proc` CPU times (`getconf CLK_TCK`; 100 on every Linux we run).
fn ticks_per_second() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .and_then(|text| text.trim().parse::<f64>().ok())
            .filter(|ticks| *ticks > 0.0)
            .unwrap_or(100.0)
    })
}

/// Logical CPUs of the machine.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// The fields of `/proc/<pid>/stat` after the command name (which may hold spaces).
fn stat_fields(pid: &str) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = text.rsplit_once(')')?;
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

/// User + system ticks of a process (all its threads), `None` once it has gone.
fn process_ticks(pid: &str) -> Option<u64> {
    let fields = stat_fields(pid)?;
    // After the name: state(0) ppid(1) ... utime(11) stime(12).
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some(user + system)
}

/// (all ticks, idle ticks) of the machine since boot; iowait counts as idle.
fn machine_ticks() -> (u64, u64) {
    let text = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let line = text.lines().next().unwrap_or_default();
    let values: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|value| value.parse().ok())
        .collect();
    let total = values.iter().sum();
    let idle = values.get(3).copied().unwrap_or(0) + values.get(4).copied().unwrap_or(0);
    (total, idle)
}

/// The 1-minute load average.
pub fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

/// Every process whose parent chain leads to `root` (not `root` itself).
pub fn descendants(root: u32) -> Vec<u32> {
    let mut parents = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(pid) = name.to_str().and_then(|text| text.parse::<u32>().ok()) else {
                continue;
            };
            let parent =
                stat_fields(&pid.to_string()).and_then(|fields| fields.get(1)?.parse::<u32>().ok());
            if let Some(parent) = parent {
                parents.push((pid, parent));
            }
        }
    }
    let mut found = vec![root];
    let mut index = 0;
    while index < found.len() {
        let current = found[index];
        found.extend(
            parents
                .iter()
                .filter(|(_, parent)| *parent == current)
                .map(|(pid, _)| *pid),
        );
        index += 1;
    }
    found.remove(0);
    found
}

/// A reading taken before a measurement, compared with one taken after.
pub struct CpuMeter {
    at: Instant,
    pids: Vec<u32>,
    server: Vec<Option<u64>>,
    generator: u64,
    machine: (u64, u64),
}

/// What a measurement used, in cores (1.0 = one CPU busy for the whole interval).
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuUsage {
    pub server_cores: f64,
    pub generator_cores: f64,
    pub machine_busy_pct: f64,
    /// Busy cores used by neither the servers nor the generator (other work on the box).
    pub other_cores: f64,
    pub load_average: f64,
}

impl CpuMeter {
    pub fn start(pids: &[u32]) -> CpuMeter {
        CpuMeter {
            at: Instant::now(),
            pids: pids.to_vec(),
            server: pids
                .iter()
                .map(|pid| process_ticks(&pid.to_string()))
                .collect(),
            generator: process_ticks("self").unwrap_or(0),
            machine: machine_ticks(),
        }
    }

    pub fn finish(&self) -> CpuUsage {
        let seconds = self.at.elapsed().as_secs_f64().max(1e-3);
        let ticks = ticks_per_second();
        let server: u64 = self
            .pids
            .iter()
            .zip(&self.server)
            .map(|(pid, before)| {
                let after = process_ticks(&pid.to_string());
                match (before, after) {
                    (Some(before), Some(after)) => after.saturating_sub(*before),
                    _ => 0,
                }
            })
            .sum();
        let generator = process_ticks("self")
            .unwrap_or(0)
            .saturating_sub(self.generator);
        let (total, idle) = machine_ticks();
        let total = total.saturating_sub(self.machine.0);
        let idle = idle.saturating_sub(self.machine.1);
        let busy_pct = if total == 0 {
            0.0
        } else {
            100.0 * total.saturating_sub(idle) as f64 / total as f64
        };
        let server_cores = server as f64 / ticks / seconds;
        let generator_cores = generator as f64 / ticks / seconds;
        let busy_cores = busy_pct / 100.0 * cores() as f64;
        CpuUsage {
            server_cores,
            generator_cores,
            machine_busy_pct: busy_pct,
            other_cores: (busy_cores - server_cores - generator_cores).max(0.0),
            load_average: load_average(),
        }
    }
}
