//! Throwaway TLS material for the comparison servers (etcd's client and peer TLS, nginx): one
//! CA, one server certificate for 127.0.0.1 and localhost, one client certificate, all P-384
//! as Quorate's own, written as PEM files the servers read.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use quorate_crypto::{
    Certificate, KeyPair, SubjectAltName, Validity, create_endorsed_certificate,
    create_self_signed_certificate, create_service_certificate, random_serial,
};

const VALIDITY_DAYS: u64 = 30;

/// Files and the values a client needs.
pub struct Certs {
    pub ca: Certificate,
    pub ca_file: PathBuf,
    pub server_cert_file: PathBuf,
    pub server_key_file: PathBuf,
    pub client_cert: Certificate,
    pub client_key: KeyPair,
}

impl Certs {
    pub fn create(dir: &Path) -> anyhow::Result<Certs> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .context("the clock is before 1970")?
            .as_secs();
        let validity = Validity::from_days(i64::try_from(now)? - 86_400, VALIDITY_DAYS)?;
        let ca_key = KeyPair::generate()?;
        let ca =
            create_service_certificate(&ca_key, "quorate bench CA", &validity, random_serial()?)?;
        let server_key = KeyPair::generate()?;
        let sans = [
            SubjectAltName::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            SubjectAltName::Dns("localhost".into()),
        ];
        let server = create_endorsed_certificate(
            &server_key.public_key(),
            "127.0.0.1",
            &sans,
            &validity,
            random_serial()?,
            &ca_key,
            &ca,
        )?;
        let client_key = KeyPair::generate()?;
        let client_cert = create_self_signed_certificate(
            &client_key,
            "quorate bench client",
            &[],
            &validity,
            random_serial()?,
        )?;
        let write = |name: &str, text: &str| -> anyhow::Result<PathBuf> {
            let file = dir.join(name);
            std::fs::write(&file, text).with_context(|| format!("writing {}", file.display()))?;
            Ok(file)
        };
        Ok(Certs {
            ca_file: write("ca.pem", ca.pem())?,
            server_cert_file: write("server.pem", server.pem())?,
            server_key_file: write("server-key.pem", &server_key.to_pem())?,
            ca,
            client_cert,
            client_key,
        })
    }
}
