//! Removing what a run created: its node processes, network namespaces, bridge, veth pairs and
//! tmpfs. The same sweep serves three moments: the normal end of a run, a guard dropped while
//! unwinding from a panic or an interrupted run, and the start of a later run, which clears
//! what crashed runs (killed with SIGKILL, or a lost machine session) left behind. The sweep
//! finds things by name, not by a record kept in memory, so it works for all three.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::command::{run, signal};
use super::names::{RunNames, owner_pid, run_is_alive};

/// How long killed node processes may take to disappear before their namespaces go.
const KILL_WAIT: Duration = Duration::from_secs(5);

/// Sweeps the run's names when dropped (or when [`Teardown::run`] is called first).
pub struct Teardown {
    names: RunNames,
    done: AtomicBool,
}

impl Teardown {
    pub fn new(names: RunNames) -> Teardown {
        Teardown {
            names,
            done: AtomicBool::new(false),
        }
    }

    /// Removes everything the run created; what could not be removed, as sentences. Runs once.
    pub fn run(&self) -> Vec<String> {
        if self.done.swap(true, Ordering::SeqCst) {
            return Vec::new();
        }
        sweep(self.names.pid())
    }
}

impl Drop for Teardown {
    fn drop(&mut self) {
        for problem in self.run() {
            eprintln!("chaos teardown: {problem}");
        }
    }
}

/// Sweeps every earlier run whose process is gone; one line per run swept (and per problem).
pub fn sweep_leftovers(own_pid: u32) -> Vec<String> {
    let mut owners: Vec<u32> = namespaces()
        .into_iter()
        .chain(links())
        .filter_map(|name| owner_pid(&name))
        .chain(
            mounts()
                .into_iter()
                .filter_map(|(source, _)| owner_pid(&source)),
        )
        .filter(|&pid| pid != own_pid && !run_is_alive(pid))
        .collect();
    owners.sort_unstable();
    owners.dedup();
    let mut lines = Vec::new();
    for pid in owners {
        lines.push(format!(
            "removing the leftovers of an earlier chaos run (pid {pid})"
        ));
        lines.extend(sweep(pid));
    }
    lines
}

/// Removes everything named for the run `pid`: processes in its namespaces (SIGKILL), the
/// namespaces, its links, its tmpfs. Carries on past failures and returns them.
fn sweep(pid: u32) -> Vec<String> {
    let names = RunNames::new(pid);
    let ours = |name: &String| owner_pid(name) == Some(pid);
    let mut problems = Vec::new();
    let spaces: Vec<String> = namespaces().into_iter().filter(ours).collect();
    let mut processes = Vec::new();
    for space in &spaces {
        if let Ok(out) = run("ip", &["netns", "pids", space]) {
            processes.extend(out.split_whitespace().filter_map(|p| p.parse::<u32>().ok()));
        }
    }
    for process in &processes {
        let _ = signal(*process, "KILL");
    }
    let deadline = Instant::now() + KILL_WAIT;
    while processes.iter().any(|p| is_running(*p)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    for process in processes.iter().filter(|p| is_running(**p)) {
        problems.push(format!("process {process} survived SIGKILL"));
    }
    for space in &spaces {
        if let Err(error) = run("ip", &["netns", "del", space]) {
            problems.push(error.to_string());
        }
    }
    // Deleting a namespace destroys the veth ends inside it and so their bridge-side peers;
    // what is left is the bridge and any half-made pair.
    for link in links().into_iter().filter(ours) {
        if let Err(error) = run("ip", &["link", "del", &link])
            && links().contains(&link)
        {
            problems.push(error.to_string());
        }
    }
    for (source, target) in mounts() {
        if source != names.disk_source() {
            continue;
        }
        if run("umount", &[&target]).is_err()
            && let Err(error) = run("umount", &["-l", &target])
        {
            problems.push(error.to_string());
        }
    }
    problems
}

/// Named network namespaces (`ip netns list` prints `name (id: N)`).
fn namespaces() -> Vec<String> {
    run("ip", &["netns", "list"])
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
        .collect()
}

/// Link names in the root namespace (`ip -o link` prints `N: name@peer: <...>`).
fn links() -> Vec<String> {
    run("ip", &["-o", "link", "show"])
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let name = line.split(": ").nth(1)?;
            Some(name.split('@').next()?.trim().to_owned())
        })
        .collect()
}

/// (source, mount point) of every mount, from `/proc/mounts` (spaces are escaped as `\040`).
fn mounts() -> Vec<(String, String)> {
    std::fs::read_to_string("/proc/mounts")
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let mut fields = line.split(' ');
            let source = fields.next()?.to_owned();
            let target = fields.next()?.replace("\\040", " ");
            Some((source, target))
        })
        .collect()
}

/// Whether `pid` is a process that has not exited (a zombie has).
fn is_running(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next());
    state != Some("Z")
}
