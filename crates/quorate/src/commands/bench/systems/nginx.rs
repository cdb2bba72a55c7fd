//! nginx (`nginx-light`) answering every request with a constant 200 JSON body over HTTPS
//! (TLS 1.3, the same P-384 certificates, client certificates requested as Quorate does, HTTP/1.1
//! and HTTP/2): no storage, no replication, the box's HTTPS ceiling for this load generator.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, bail};
use quorate_node::client::{ClientOptions, ClientTls, HttpProtocol, request_once};

use super::certs::Certs;
use super::process::{Started, ensure_port_free, find_program};
use crate::commands::bench::cpu::descendants;
use crate::commands::bench::target::{Kind, Target};

const START_LIMIT: Duration = Duration::from_secs(30);
const STOP_GRACE: Duration = Duration::from_secs(15);
/// As many workers as the box has cores, as nginx's `auto` would pick.
const WORKERS: &str = "auto";

pub struct Nginx {
    process: Started,
    dir: PathBuf,
    tls: ClientTls,
    pub address: SocketAddr,
    pids: Vec<u32>,
}

impl Nginx {
    pub async fn start(dir: &Path, port: u16, certs: &Certs) -> anyhow::Result<Nginx> {
        let program = find_program("nginx").context("nginx is not installed (nginx-light)")?;
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        std::fs::create_dir_all(dir)?;
        ensure_port_free(port)?;
        let d = dir.display();
        let config = format!(
            r#"worker_processes {WORKERS};
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fcgi;
  uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  server {{
    listen 127.0.0.1:{port} ssl http2;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    ssl_protocols TLSv1.3;
    ssl_verify_client optional_no_ca;
    location / {{ default_type application/json; return 200 '{{"ok":true}}'; }}
  }}
}}
"#,
            cert = certs.server_cert_file.display(),
            key = certs.server_key_file.display(),
        );
        let config_file = dir.join("nginx.conf");
        std::fs::write(&config_file, config)?;
        let args: Vec<String> = vec![
            "-p".into(),
            d.to_string(),
            "-c".into(),
            config_file.display().to_string(),
            "-e".into(),
            format!("{d}/error.log"),
            "-g".into(),
            "daemon off;".into(),
        ];
        let mut process = Started::spawn("nginx", &program, &args, dir)?;
        let options = ClientOptions {
            protocol: HttpProtocol::Http1,
            timeout: Duration::from_secs(5),
            ..ClientOptions::default()
        };
        let tls = ClientTls::new(&certs.ca, Some((&certs.client_cert, &certs.client_key)))?
            .with_options(options);
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let began = std::time::Instant::now();
        loop {
            if let Some(status) = process.exited() {
                bail!("nginx exited ({status}); see {d}/error.log");
            }
            if let Ok(response) =
                request_once(&tls, address, http::Method::GET, "/", bytes::Bytes::new()).await
                && response.status.is_success()
            {
                break;
            }
            if began.elapsed() > START_LIMIT {
                process.stop(STOP_GRACE).await;
                bail!("nginx did not answer within {} s", START_LIMIT.as_secs());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let master = process.pid().context("nginx's pid")?;
        let mut pids = vec![master];
        pids.extend(descendants(master));
        Ok(Nginx {
            process,
            dir: dir.to_owned(),
            tls,
            address,
            pids,
        })
    }

    pub fn pids(&self) -> Vec<u32> {
        self.pids.clone()
    }

    pub fn target(&self, protocol: HttpProtocol) -> Target {
        let options = ClientOptions {
            protocol,
            ..*self.tls.options()
        };
        Target::new(
            Kind::Nginx,
            Some(self.tls.clone().with_options(options)),
            self.address,
            vec![self.address],
        )
    }

    pub async fn stop(self) {
        self.process.stop(STOP_GRACE).await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
