//! The load generator: `connections` keep-alive connections, one request in flight on each,
//! for a fixed time.
//!
//! - **Closed loop**: each connection sends its next request as soon as the previous answer
//!   arrives; latency is send to answer.
//! - **Open loop** at a fixed total rate: connection `i` of `n` has its own schedule, request
//!   `k` intended at `start + (i / n + k) * n / rate`. A connection that falls behind sends at
//!   once, but its latency is still measured from the *intended* send time, so a stall is
//!   charged to every request it delayed (no coordinated omission, as in wrk2).
//!
//! Connections are opened before the clock starts; a connection that breaks is reopened (its
//! request counts as an error). Every phase is bounded in time: requests still running 30 s
//! after the deadline are abandoned and the phase fails.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use tokio::task::JoinSet;

use super::cpu::{CpuMeter, CpuUsage};
use super::latency::Latencies;
use super::target::{Client, Outcome, Target};
use super::workload::{Operation, Operations, SMALL_MESSAGE, Workload};

/// How long a phase may overrun its duration before it is abandoned.
const OVERRUN_LIMIT: Duration = Duration::from_secs(30);
/// Bound on opening all of a phase's connections.
const CONNECT_LIMIT: Duration = Duration::from_secs(60);

/// When requests are sent.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pacing {
    Closed,
    /// A fixed total rate in requests per second, spread evenly over the connections.
    Open {
        rate: f64,
    },
}

impl Pacing {
    pub fn name(self) -> String {
        match self {
            Pacing::Closed => "closed".into(),
            Pacing::Open { rate } => format!("open@{rate:.0}/s"),
        }
    }
}

/// One measurement: a workload at a connection count, for a duration.
#[derive(Clone, Copy, Debug)]
pub struct Phase {
    pub workload: Workload,
    pub connections: usize,
    pub duration: Duration,
    pub pacing: Pacing,
}

/// What a phase measured.
pub struct Measured {
    pub latencies: Latencies,
    pub successes: u64,
    pub failures: u64,
    pub elapsed: Duration,
    pub cpu: CpuUsage,
    /// The first transport error, to say why failures happened.
    pub first_error: Option<String>,
}

impl Measured {
    pub fn throughput(&self) -> f64 {
        self.successes as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// What one connection measured.
#[derive(Default)]
struct Tally {
    latencies: Latencies,
    successes: u64,
    failures: u64,
    first_error: Option<String>,
}

/// Runs `phase` against `target`, metering the CPU of `server_pids`.
pub async fn run(target: &Target, phase: &Phase, server_pids: &[u32]) -> anyhow::Result<Measured> {
    if phase.connections == 0 {
        bail!("a phase needs at least one connection");
    }
    if let Pacing::Open { rate } = phase.pacing
        && !(rate.is_finite() && rate > 0.0)
    {
        bail!("an open-loop rate must be above zero");
    }
    let clients = open_all(target, phase.workload, phase.connections).await?;
    let operations = Arc::new(Operations::default());
    let meter = CpuMeter::start(server_pids);
    let start = Instant::now();
    let deadline = start + phase.duration;
    let mut tasks = JoinSet::new();
    for (index, (address, client)) in clients.into_iter().enumerate() {
        let worker = Worker {
            target: target.clone(),
            address,
            workload: phase.workload,
            operations: Arc::clone(&operations),
            deadline,
            schedule: match phase.pacing {
                Pacing::Closed => None,
                Pacing::Open { rate } => {
                    let interval = phase.connections as f64 / rate;
                    Some(Schedule {
                        first: start
                            + Duration::from_secs_f64(
                                interval * index as f64 / phase.connections as f64,
                            ),
                        interval,
                    })
                }
            },
        };
        tasks.spawn(worker.run(client));
    }
    let mut total = Tally::default();
    let joined = tokio::time::timeout(phase.duration + OVERRUN_LIMIT, async {
        while let Some(joined) = tasks.join_next().await {
            let tally = joined.context("a load task failed")?;
            total.latencies.merge(&tally.latencies);
            total.successes += tally.successes;
            total.failures += tally.failures;
            if total.first_error.is_none() {
                total.first_error = tally.first_error;
            }
        }
        anyhow::Ok(())
    })
    .await;
    let elapsed = start.elapsed();
    let cpu = meter.finish();
    match joined {
        Ok(result) => result?,
        Err(_) => {
            tasks.abort_all();
            bail!(
                "requests were still running {} s after the phase's end",
                OVERRUN_LIMIT.as_secs()
            );
        }
    }
    Ok(Measured {
        latencies: total.latencies,
        successes: total.successes,
        failures: total.failures,
        elapsed,
        cpu,
        first_error: total.first_error,
    })
}

/// Opens every connection of a phase at once, within [`CONNECT_LIMIT`].
async fn open_all(
    target: &Target,
    workload: Workload,
    connections: usize,
) -> anyhow::Result<Vec<(std::net::SocketAddr, Client)>> {
    let mut opening = JoinSet::new();
    for index in 0..connections {
        let target = target.clone();
        let address = target.address(workload, index);
        opening.spawn(async move {
            let client = target.connect(address).await?;
            anyhow::Ok((index, address, client))
        });
    }
    let mut clients = Vec::with_capacity(connections);
    tokio::time::timeout(CONNECT_LIMIT, async {
        while let Some(opened) = opening.join_next().await {
            clients.push(opened.context("a connect task failed")??);
        }
        anyhow::Ok(())
    })
    .await
    .context("opening the connections took too long")??;
    clients.sort_by_key(|(index, _, _)| *index);
    Ok(clients
        .into_iter()
        .map(|(_, address, client)| (address, client))
        .collect())
}

/// Intended send times of one open-loop connection.
#[derive(Clone, Copy)]
struct Schedule {
    first: Instant,
    interval: f64,
}

impl Schedule {
    fn intended(&self, request: u64) -> Instant {
        self.first + Duration::from_secs_f64(self.interval * request as f64)
    }
}

struct Worker {
    target: Target,
    address: std::net::SocketAddr,
    workload: Workload,
    operations: Arc<Operations>,
    deadline: Instant,
    schedule: Option<Schedule>,
}

impl Worker {
    async fn run(self, client: Client) -> Tally {
        let mut client = Some(client);
        let mut tally = Tally::default();
        let mut request = 0u64;
        loop {
            let intended = match &self.schedule {
                Some(schedule) => schedule.intended(request),
                None => Instant::now(),
            };
            if intended >= self.deadline {
                break;
            }
            request += 1;
            if intended > Instant::now() {
                tokio::time::sleep_until(intended.into()).await;
            }
            let Some(connection) = client.as_mut() else {
                client = self.reconnect(&mut tally).await;
                continue;
            };
            let operation = self.operations.next(self.workload);
            match connection.perform(&self.target, operation).await {
                Ok(Outcome::Success) => {
                    tally.successes += 1;
                    tally.latencies.record(intended.elapsed());
                }
                Ok(Outcome::Failure) => tally.failures += 1,
                Err(error) => {
                    tally.failures += 1;
                    tally
                        .first_error
                        .get_or_insert_with(|| format!("{error:#}"));
                    client = None;
                    continue;
                }
            }
            if connection.is_closed() {
                client = None;
            }
        }
        tally
    }

    /// A new connection, or `None` after a pause if it cannot be opened yet.
    async fn reconnect(&self, tally: &mut Tally) -> Option<Client> {
        match self.target.connect(self.address).await {
            Ok(client) => Some(client),
            Err(error) => {
                tally
                    .first_error
                    .get_or_insert_with(|| format!("{error:#}"));
                tokio::time::sleep(Duration::from_millis(50)).await;
                None
            }
        }
    }
}

/// Writes keys `0..keys` once each (20-byte messages) over `connections` connections to the
/// primary, so read phases find every key they ask for.
pub async fn preload(target: &Target, keys: u64, connections: usize) -> anyhow::Result<()> {
    let connections = connections.max(1);
    let workload = Workload::Write {
        bytes: SMALL_MESSAGE,
    };
    let clients = open_all(target, workload, connections).await?;
    let mut tasks = JoinSet::new();
    for (index, (_, mut client)) in clients.into_iter().enumerate() {
        let target = target.clone();
        let step = connections as u64;
        tasks.spawn(async move {
            let mut key = index as u64;
            while key < keys {
                let operation = Operation::Write {
                    key,
                    bytes: SMALL_MESSAGE,
                };
                match client.perform(&target, operation).await? {
                    Outcome::Success => key += step,
                    Outcome::Failure => bail!("preloading key {key} failed"),
                }
            }
            anyhow::Ok(())
        });
    }
    tokio::time::timeout(CONNECT_LIMIT, async {
        while let Some(done) = tasks.join_next().await {
            done.context("a preload task failed")??;
        }
        anyhow::Ok(())
    })
    .await
    .context("the preload took too long")?
}
