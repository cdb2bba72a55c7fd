//! The stop signal every task of a transport watches: raised by
//! [`TransportHandle::shutdown`](super::TransportHandle::shutdown), and implied when the last
//! handle is dropped, so a forgotten transport does not keep sockets open.

use tokio::sync::watch;

/// A task's view of the stop signal.
#[derive(Debug, Clone)]
pub(crate) struct StopSignal(watch::Receiver<bool>);

impl StopSignal {
    /// The signal and the sender that raises it (or drops, which counts as raising it).
    pub fn new() -> (watch::Sender<bool>, Self) {
        let (sender, receiver) = watch::channel(false);
        (sender, Self(receiver))
    }

    /// Resolves once stopping was requested or every handle is gone.
    pub async fn stopped(&mut self) {
        // An error means the sender is gone, which is a stop as well.
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}
