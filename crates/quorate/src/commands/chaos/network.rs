//! The run's network: a bridge in the root namespace (the harness's clients talk from its
//! address), and per node a network namespace joined to the bridge by a veth pair, so each node
//! has its own address and its own routing table. Partitions are blackhole routes in the
//! sender's namespace: packets from A to B are silently dropped, like a cut cable, so a
//! one-way cut is one route and a full cut two. The clients' traffic is never cut: a node on
//! the minority side still answers clients, which is how a deposed primary gets to serve stale
//! reads, the case the checkers must tell apart.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::sync::Mutex;

use anyhow::Context as _;

use super::command::{run, run_async};
use super::names::RunNames;

/// The node's interface inside its namespace.
pub const NODE_DEVICE: &str = "eth0";

/// The namespaces, bridge and cuts of one run. Removal is the [`super::guard`]'s job.
pub struct Network {
    names: RunNames,
    nodes: usize,
    /// (from, to): packets from `from` to `to` are dropped.
    cuts: Mutex<BTreeSet<(usize, usize)>>,
}

impl Network {
    /// Builds the bridge and one namespace per node.
    pub fn create(names: &RunNames, nodes: usize) -> anyhow::Result<Network> {
        let network = Network {
            names: names.clone(),
            nodes,
            cuts: Mutex::new(BTreeSet::new()),
        };
        network.build().context("building the chaos network")?;
        Ok(network)
    }

    fn build(&self) -> anyhow::Result<()> {
        let bridge = self.names.bridge();
        let cidr = |ip: Ipv4Addr| format!("{ip}/24");
        run("ip", &["link", "add", &bridge, "type", "bridge"])?;
        run(
            "ip",
            &["addr", "add", &cidr(self.names.bridge_ip()), "dev", &bridge],
        )?;
        run("ip", &["link", "set", &bridge, "up"])?;
        for node in 0..self.nodes {
            let space = self.names.namespace(node);
            let host = self.names.host_veth(node);
            let inner = self.names.node_veth(node);
            run("ip", &["netns", "add", &space])?;
            run(
                "ip",
                &["link", "add", &host, "type", "veth", "peer", "name", &inner],
            )?;
            run("ip", &["link", "set", &host, "master", &bridge])?;
            run("ip", &["link", "set", &host, "up"])?;
            run("ip", &["link", "set", &inner, "netns", &space])?;
            run(
                "ip",
                &["-n", &space, "link", "set", &inner, "name", NODE_DEVICE],
            )?;
            run(
                "ip",
                &[
                    "-n",
                    &space,
                    "addr",
                    "add",
                    &cidr(self.names.node_ip(node)),
                    "dev",
                    NODE_DEVICE,
                ],
            )?;
            run("ip", &["-n", &space, "link", "set", NODE_DEVICE, "up"])?;
            run("ip", &["-n", &space, "link", "set", "lo", "up"])?;
        }
        Ok(())
    }

    pub fn nodes(&self) -> usize {
        self.nodes
    }

    pub fn names(&self) -> &RunNames {
        &self.names
    }

    pub fn node_ip(&self, node: usize) -> Ipv4Addr {
        self.names.node_ip(node)
    }

    /// The node with this address, if any.
    pub fn node_with_ip(&self, ip: Ipv4Addr) -> Option<usize> {
        (0..self.nodes).find(|&node| self.node_ip(node) == ip)
    }

    /// Drops every packet from `from` to `to` (already cut: nothing to do).
    pub async fn cut(&self, from: usize, to: usize) -> anyhow::Result<()> {
        let new = self
            .cuts
            .lock()
            .map_err(|_| anyhow::anyhow!("the cut list is poisoned"))?
            .insert((from, to));
        if !new {
            return Ok(());
        }
        run_async(
            "ip",
            vec![
                "-n".into(),
                self.names.namespace(from),
                "route".into(),
                "add".into(),
                "blackhole".into(),
                format!("{}/32", self.node_ip(to)),
            ],
        )
        .await
        .map(|_| ())
    }

    /// Cuts both directions between every node of `side` and every node outside it.
    pub async fn split(&self, side: &[usize]) -> anyhow::Result<()> {
        for a in side {
            for b in (0..self.nodes).filter(|b| !side.contains(b)) {
                self.cut(*a, b).await?;
                self.cut(b, *a).await?;
            }
        }
        Ok(())
    }

    /// Removes every cut; the first failure is returned after trying them all.
    pub async fn heal(&self) -> anyhow::Result<()> {
        let cuts: Vec<(usize, usize)> = match self.cuts.lock() {
            Ok(mut cuts) => std::mem::take(&mut *cuts).into_iter().collect(),
            Err(_) => anyhow::bail!("the cut list is poisoned"),
        };
        let mut first_error = None;
        for (from, to) in cuts {
            let outcome = run_async(
                "ip",
                vec![
                    "-n".into(),
                    self.names.namespace(from),
                    "route".into(),
                    "del".into(),
                    "blackhole".into(),
                    format!("{}/32", self.node_ip(to)),
                ],
            )
            .await;
            if let Err(error) = outcome {
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}
