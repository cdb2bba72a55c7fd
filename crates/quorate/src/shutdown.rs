//! Ctrl-C (SIGINT) and SIGTERM, listened for from the moment [`ShutdownSignal::listen`] is
//! called until the process ends.
//!
//! A signal that arrives before anything waits for it is kept, never left to the default
//! action: that ends the process at once, without stopping what it started. (A sandbox
//! interrupted while it printed its banner died that way and left its three nodes serving; the
//! next sandbox on the same workspace then talked to those.) Between waits, such as between a
//! benchmark's phases, a signal is kept as well.

use anyhow::Context as _;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

/// Cheap to clone; every clone sees the same signal.
#[derive(Clone)]
pub struct ShutdownSignal(watch::Receiver<bool>);

impl ShutdownSignal {
    /// Starts listening; must be called inside the tokio runtime.
    pub fn listen() -> anyhow::Result<ShutdownSignal> {
        let mut interrupt = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
        let mut terminate = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
        let (raise, raised) = watch::channel(false);
        tokio::spawn(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            let _ = raise.send(true);
        });
        Ok(ShutdownSignal(raised))
    }

    /// Resolves once SIGINT or SIGTERM has arrived (at once if one already has).
    pub async fn received(&self) {
        let mut raised = self.0.clone();
        if raised.wait_for(|raised| *raised).await.is_err() {
            // The listener went with its runtime: nothing will arrive any more.
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_signal_sent_before_anyone_waits_is_kept_for_every_clone() {
        let shutdown = ShutdownSignal::listen().unwrap();
        let clone = shutdown.clone();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &std::process::id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        tokio::time::timeout(std::time::Duration::from_secs(10), shutdown.received())
            .await
            .expect("SIGTERM seen");
        tokio::time::timeout(std::time::Duration::from_secs(1), clone.received())
            .await
            .expect("seen by a clone too");
    }
}
