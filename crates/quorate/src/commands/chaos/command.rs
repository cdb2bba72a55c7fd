//! Running the system tools the harness drives (`ip`, `tc`, `mount`, `kill`). A failure is an
//! error naming the command line and what the tool printed on stderr: a half-built network has
//! to be reported precisely enough to be understood (and, at worst, removed by hand).
//!
//! Each tool runs under coreutils' `timeout`: the tools take milliseconds, and one that hangs
//! (a run once stalled inside the nemesis loop with every HTTP call bounded) must fail the
//! event it belongs to, not hold the whole run until the outer backstop kills it unreported.

use std::process::{Command, Stdio};

use anyhow::{Context as _, bail};

/// How long one tool may take before it is stopped (SIGTERM, then SIGKILL 5 s later).
const TOOL_TIMEOUT_S: u32 = 30;

/// The exit code `timeout` reports when it had to stop the tool.
const TIMED_OUT_EXIT_CODE: i32 = 124;

/// Runs `program args`; its stdout on success.
pub fn run(program: &str, args: &[&str]) -> anyhow::Result<String> {
    let output = Command::new("timeout")
        .args(["--kill-after=5", &TOOL_TIMEOUT_S.to_string(), program])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {program}"))?;
    if output.status.code() == Some(TIMED_OUT_EXIT_CODE) {
        bail!(
            "`{program} {}` did not finish within {TOOL_TIMEOUT_S} s",
            args.join(" ")
        );
    }
    if !output.status.success() {
        bail!(
            "`{program} {}` failed ({}): {}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// As [`run`], off the async runtime's worker threads (the tools take milliseconds, but a
/// nemesis must not stall the clients whose latency it is measuring).
pub async fn run_async(program: &'static str, args: Vec<String>) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(program, &args)
    })
    .await
    .context("a tool's thread failed")?
}

/// Sends `signal` (`KILL`, `TERM`, `STOP`, `CONT`) to `pid` with kill(1): the workspace forbids
/// `unsafe`, so no libc call.
pub fn signal(pid: u32, signal: &str) -> anyhow::Result<()> {
    run("kill", &[&format!("-{signal}"), &pid.to_string()]).map(|_| ())
}
