//! The sandbox's node processes: started as `quorate node start --config`, logs in their
//! directories, stopped with SIGTERM (then SIGKILL after a bound) so each closes its ledger
//! cleanly.

use std::fs::OpenOptions;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context as _;
use tokio::process::{Child, Command};

/// How long a node may take to stop after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// One running node.
pub struct NodeProcess {
    pub index: usize,
    child: Child,
}

impl NodeProcess {
    /// Starts node `index` from its directory's configuration; output goes to `out` and `err`
    /// there.
    pub fn spawn(index: usize, node_dir: &Path, config_file: &Path) -> anyhow::Result<Self> {
        let log = |name: &str| {
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(node_dir.join(name))
                .with_context(|| format!("opening {}/{name}", node_dir.display()))
        };
        let executable = std::env::current_exe().context("finding the quorate executable")?;
        let child = Command::new(executable)
            .args(["node", "start", "--config"])
            .arg(config_file)
            .current_dir(node_dir)
            .stdin(Stdio::null())
            .stdout(log("out")?)
            .stderr(log("err")?)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting node {index}"))?;
        Ok(Self { index, child })
    }

    /// Resolves when the process exits, with its status.
    pub async fn exited(&mut self) -> std::io::Result<std::process::ExitStatus> {
        self.child.wait().await
    }

    /// The exit status, if the process has exited.
    pub fn has_exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            Ok(None) => None,
            Err(error) => Some(error.to_string()),
        }
    }

    /// SIGTERM, then SIGKILL if it has not exited within the bound.
    pub async fn stop(mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        if let Some(pid) = self.child.id() {
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .await;
        }
        if tokio::time::timeout(STOP_TIMEOUT, self.child.wait())
            .await
            .is_err()
        {
            eprintln!("node {} did not stop in time; killing it", self.index);
            let _ = self.child.kill().await;
        }
    }
}
