//! A private Redis (`redis-server`) on 127.0.0.1: no snapshots, append-only file with
//! `appendfsync always`, so a SET is answered once it is on disk (durable, as Quorate's
//! writes). One single-threaded process, no replication, no TLS: the floor of a C event loop.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, bail};

use super::process::{Started, ensure_port_free, find_program};
use crate::commands::bench::resp::{Reply, RespConnection};
use crate::commands::bench::target::{Kind, Target};

const START_LIMIT: Duration = Duration::from_secs(30);
const STOP_GRACE: Duration = Duration::from_secs(15);

pub struct Redis {
    process: Started,
    dir: PathBuf,
    pub address: SocketAddr,
}

impl Redis {
    pub async fn start(dir: &Path, port: u16) -> anyhow::Result<Redis> {
        let program = find_program("redis-server").context("redis-server is not installed")?;
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        std::fs::create_dir_all(dir)?;
        ensure_port_free(port)?;
        let args: Vec<String> = [
            "--bind",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--protected-mode",
            "no",
            "--daemonize",
            "no",
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--dir",
            &dir.display().to_string(),
            "--maxclients",
            "10000",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect();
        let mut process = Started::spawn("redis", &program, &args, dir)?;
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let began = std::time::Instant::now();
        loop {
            if let Some(status) = process.exited() {
                bail!("redis-server exited ({status}); log in {}", dir.display());
            }
            if let Ok(mut connection) = RespConnection::connect(address).await
                && let Ok(Reply::Status(pong)) = connection.command(&[b"PING"]).await
                && pong == "PONG"
            {
                break;
            }
            if began.elapsed() > START_LIMIT {
                process.stop(STOP_GRACE).await;
                bail!(
                    "redis-server did not answer within {} s",
                    START_LIMIT.as_secs()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(Redis {
            process,
            dir: dir.to_owned(),
            address,
        })
    }

    pub fn pids(&self) -> Vec<u32> {
        self.process.pid().into_iter().collect()
    }

    pub fn target(&self) -> Target {
        Target::new(Kind::Redis, None, self.address, vec![self.address])
    }

    pub async fn stop(self) {
        self.process.stop(STOP_GRACE).await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
