//! Who is primary, in which view, and how far each node has committed, as the nodes say: one
//! task per node polls its `/node/consensus` a few times a second. The clients use it to find
//! the primary after an error, the nemesis to aim at the primary or a backup, and the settling
//! checks to see every node catch up. A node that does not answer within the poll timeout (down,
//! paused, cut off from the harness) is marked unreachable.

use std::net::SocketAddr;
use std::time::Duration;

use quorate_node::client::{ClientTls, Connection};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Between two polls of one node.
const POLL_INTERVAL: Duration = Duration::from_millis(150);

/// One node as last seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeView {
    pub reachable: bool,
    pub leader: bool,
    pub view: u64,
    /// The node's commit seqno (kept from its last answer while it is unreachable).
    pub commit: u64,
}

/// A handle on the latest views.
#[derive(Clone)]
pub struct Observer {
    views: watch::Receiver<Vec<NodeView>>,
}

impl Observer {
    /// Starts one poller per address (`tls`' timeout bounds each poll); they stop with `stop`.
    pub fn spawn(
        tls: &ClientTls,
        addresses: &[SocketAddr],
        stop: &watch::Receiver<bool>,
    ) -> (Observer, Vec<JoinHandle<()>>) {
        let (sender, views) = watch::channel(vec![NodeView::default(); addresses.len()]);
        let tasks = addresses
            .iter()
            .enumerate()
            .map(|(node, address)| {
                tokio::spawn(poll(
                    node,
                    *address,
                    tls.clone(),
                    sender.clone(),
                    stop.clone(),
                ))
            })
            .collect();
        (Observer { views }, tasks)
    }

    pub fn views(&self) -> Vec<NodeView> {
        self.views.borrow().clone()
    }

    /// The reachable node that says it leads the highest view.
    pub fn primary(&self) -> Option<usize> {
        self.views
            .borrow()
            .iter()
            .enumerate()
            .filter(|(_, v)| v.reachable && v.leader)
            .max_by_key(|(_, v)| v.view)
            .map(|(node, _)| node)
    }

    /// The highest commit seqno any node has reported.
    pub fn max_commit(&self) -> u64 {
        self.views
            .borrow()
            .iter()
            .map(|v| v.commit)
            .max()
            .unwrap_or(0)
    }

    /// A reachable node that has committed at least `seqno`, preferring the primary.
    pub fn node_committed(&self, seqno: u64) -> Option<usize> {
        let views = self.views.borrow();
        let primary = self.primary();
        if let Some(p) = primary
            && views.get(p).is_some_and(|v| v.commit >= seqno)
        {
            return Some(p);
        }
        views
            .iter()
            .enumerate()
            .filter(|(_, v)| v.reachable && v.commit >= seqno)
            .max_by_key(|(_, v)| v.commit)
            .map(|(node, _)| node)
    }

    /// Waits for the next poll of any node.
    pub async fn changed(&mut self) {
        let _ = self.views.changed().await;
    }
}

async fn poll(
    node: usize,
    address: SocketAddr,
    tls: ClientTls,
    views: watch::Sender<Vec<NodeView>>,
    stop: watch::Receiver<bool>,
) {
    let mut connection: Option<Connection> = None;
    while !*stop.borrow() {
        let seen = ask(&tls, address, &mut connection).await;
        views.send_modify(|all| {
            if let Some(slot) = all.get_mut(node) {
                *slot = match seen {
                    Some(view) => view,
                    None => NodeView {
                        reachable: false,
                        leader: false,
                        ..*slot
                    },
                };
            }
        });
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// One `/node/consensus`, on a kept connection (opened again after any failure).
async fn ask(
    tls: &ClientTls,
    address: SocketAddr,
    connection: &mut Option<Connection>,
) -> Option<NodeView> {
    if connection.as_ref().is_none_or(Connection::is_closed) {
        *connection = Connection::connect(tls, address).await.ok();
    }
    let open = connection.as_mut()?;
    let Ok(response) = open.get("/node/consensus").await else {
        *connection = None;
        return None;
    };
    let body = response.json().ok()?;
    let details = &body["details"];
    Some(NodeView {
        reachable: true,
        leader: details["leadership_state"] == "Leader",
        view: details["current_view"].as_u64()?,
        commit: details["configs"][0]["idx"].as_u64()?,
    })
}
