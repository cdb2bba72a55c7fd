//! Loss and delay on a node's interface. `tc netem` is the tool for it, but some kernels are
//! built without it (this project's CI kernel among them: `CONFIG_NET_SCH_NETEM` is unset), so
//! when netem is refused the same two faults are made from what such kernels do have:
//!
//! - **loss**: a classic-BPF classifier reads the kernel's per-packet random number
//!   (`SKF_AD_RANDOM`) and sends the chosen fraction of packets to an HTB class whose queue
//!   holds nothing (`pfifo limit 0`), which drops them: independent random loss, as netem's;
//! - **delay**: the rest goes through an HTB class limited to a low rate with a queue sized to
//!   the delay wanted, so packets wait up to that long when the node sends more than the rate
//!   allows (and are dropped beyond it): congestion delay, which grows with load, rather than
//!   netem's fixed one.

use super::command::run_async;
use super::network::{NODE_DEVICE, Network};

/// What to do to a node's outgoing packets.
#[derive(Clone, Copy, Debug)]
pub struct Impairment {
    pub loss_percent: u32,
    pub delay_ms: u32,
    /// Only for the fallback: the rate whose queue makes the delay.
    pub rate_kbit: u32,
}

/// How an impairment was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mechanism {
    Netem,
    /// HTB + classic BPF, when the kernel has no netem.
    Shaping,
}

impl Impairment {
    pub fn describe(&self, mechanism: Mechanism) -> String {
        match mechanism {
            Mechanism::Netem => format!(
                "netem: delay {} ms ± {} ms, loss {}%",
                self.delay_ms,
                self.delay_ms / 4,
                self.loss_percent
            ),
            Mechanism::Shaping => format!(
                "random loss {}% (BPF), {} kbit/s with a queue of up to {} ms (no netem in this kernel)",
                self.loss_percent, self.rate_kbit, self.delay_ms
            ),
        }
    }
}

fn tc(network: &Network, node: usize, args: &[&str]) -> Vec<String> {
    let mut all = vec!["-n".to_owned(), network.names().namespace(node)];
    all.extend(args.iter().map(|a| (*a).to_owned()));
    all
}

/// Impairs `node`'s outgoing traffic; says which mechanism it used.
pub async fn impair(
    network: &Network,
    node: usize,
    impairment: Impairment,
) -> anyhow::Result<Mechanism> {
    let delay = format!("{}ms", impairment.delay_ms);
    let jitter = format!("{}ms", impairment.delay_ms / 4);
    let loss = format!("{}%", impairment.loss_percent);
    let netem = run_async(
        "tc",
        tc(
            network,
            node,
            &[
                "qdisc",
                "replace",
                "dev",
                NODE_DEVICE,
                "root",
                "netem",
                "delay",
                &delay,
                &jitter,
                "loss",
                &loss,
            ],
        ),
    )
    .await;
    match netem {
        Ok(_) => Ok(Mechanism::Netem),
        Err(error) if error.to_string().contains("unknown") => {
            shape(network, node, impairment).await?;
            Ok(Mechanism::Shaping)
        }
        Err(error) => Err(error),
    }
}

async fn shape(network: &Network, node: usize, impairment: Impairment) -> anyhow::Result<()> {
    let rate = format!("{}kbit", impairment.rate_kbit.max(8));
    // Bytes the rate sends in the delay: the queue that makes at most that delay.
    let queue_bytes = (u64::from(impairment.rate_kbit) * 1000 / 8 * u64::from(impairment.delay_ms)
        / 1000)
        .max(3000)
        .to_string();
    // Classic BPF: A = random u32; A >= keep-threshold -> class 1:2 (dropped), else no match.
    let keep = (u64::from(100 - impairment.loss_percent.min(100)) << 32) / 100;
    let keep = u32::try_from(keep).unwrap_or(u32::MAX);
    let program = format!("4,32 0 0 4294963256,53 0 1 {keep},6 0 0 4294967295,6 0 0 0");
    let steps: [&[&str]; 6] = [
        &[
            "qdisc",
            "replace",
            "dev",
            NODE_DEVICE,
            "root",
            "handle",
            "1:",
            "htb",
            "default",
            "1",
        ],
        &[
            "class",
            "add",
            "dev",
            NODE_DEVICE,
            "parent",
            "1:",
            "classid",
            "1:1",
            "htb",
            "rate",
            &rate,
            "ceil",
            &rate,
        ],
        &[
            "qdisc",
            "add",
            "dev",
            NODE_DEVICE,
            "parent",
            "1:1",
            "handle",
            "10:",
            "bfifo",
            "limit",
            &queue_bytes,
        ],
        &[
            "class",
            "add",
            "dev",
            NODE_DEVICE,
            "parent",
            "1:",
            "classid",
            "1:2",
            "htb",
            "rate",
            "8bit",
        ],
        &[
            "qdisc",
            "add",
            "dev",
            NODE_DEVICE,
            "parent",
            "1:2",
            "handle",
            "20:",
            "pfifo",
            "limit",
            "0",
        ],
        &[
            "filter",
            "add",
            "dev",
            NODE_DEVICE,
            "parent",
            "1:",
            "protocol",
            "ip",
            "prio",
            "1",
            "bpf",
            "bytecode",
            &program,
            "classid",
            "1:2",
        ],
    ];
    for step in steps {
        run_async("tc", tc(network, node, step)).await?;
    }
    Ok(())
}

/// Removes whatever [`impair`] put on `node`.
pub async fn clear(network: &Network, node: usize) -> anyhow::Result<()> {
    run_async(
        "tc",
        tc(network, node, &["qdisc", "del", "dev", NODE_DEVICE, "root"]),
    )
    .await
    .map(|_| ())
}
