//! The node's secrets on its own disk, so it restarts with the same identity and rejoins its
//! service from its ledger (CCF nodes cannot restart; Quorate nodes can). On the virtual
//! platform the file is plain JSON readable only by the node's user; on a TEE platform it is
//! where sealing to the platform's key belongs. Written to a temporary file, synced and
//! renamed, so a crash leaves the old or the new file, never a torn one.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::Path;

use quorate_crypto::{Certificate, KeyPair};
use quorate_kv::LedgerSecret;
use quorate_ledger::signature::CoseSignatureConfig;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::error::NodeError;
use crate::replication::{NodeIdentity, ServiceIdentity};

/// The file's name in the node's directory.
pub const SECRETS_FILE_NAME: &str = "node_secrets.json";

/// Everything a node of the service holds that is not in the ledger: its own key and
/// endorsed certificate, the service identity and the ledger secret.
pub struct NodeSecrets {
    pub node_key: KeyPair,
    pub node_certificate: Certificate,
    pub service_key: KeyPair,
    pub service_certificate: Certificate,
    pub ledger_secret: Zeroizing<[u8; 32]>,
    pub cose: CoseSignatureConfig,
}

/// The secrets other than the node key, as text.
pub struct SecretTexts<'a> {
    pub node_certificate: &'a str,
    pub service_private_key: &'a str,
    pub service_certificate: &'a str,
    pub ledger_secret_hex: &'a str,
    pub cose: CoseSignatureConfig,
}

#[derive(Serialize, Deserialize)]
struct SecretsFile {
    node_private_key: String,
    node_certificate: String,
    service_private_key: String,
    service_certificate: String,
    ledger_secret: String,
    cose_issuer: String,
    cose_subject: String,
}

impl NodeSecrets {
    /// Reads the secrets file at `path`; `None` when there is none (a new node).
    pub fn load(path: &Path) -> Result<Option<Self>, NodeError> {
        let text = match fs::read_to_string(path) {
            Ok(text) => Zeroizing::new(text),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(NodeError::file(path, error)),
        };
        let file: SecretsFile =
            serde_json::from_str(&text).map_err(|error| NodeError::file(path, error))?;
        let bad = |what: &str, detail: String| NodeError::file(path, format!("{what}: {detail}"));
        let node_key = KeyPair::from_pem(&file.node_private_key)
            .map_err(|e| bad("node_private_key", e.to_string()))?;
        let texts = SecretTexts {
            node_certificate: &file.node_certificate,
            service_private_key: &file.service_private_key,
            service_certificate: &file.service_certificate,
            ledger_secret_hex: &file.ledger_secret,
            cose: CoseSignatureConfig {
                issuer: file.cose_issuer.clone(),
                subject: file.cose_subject.clone(),
            },
        };
        Self::from_texts(node_key, &texts, bad).map(Some)
    }

    /// The secrets from their text forms (PEM, hex), as the secrets file and a join answer
    /// carry them; `bad` turns a field's name and what is wrong with it into the error.
    pub fn from_texts(
        node_key: KeyPair,
        texts: &SecretTexts<'_>,
        bad: impl Fn(&str, String) -> NodeError,
    ) -> Result<Self, NodeError> {
        let secret_bytes = Zeroizing::new(
            hex::decode(texts.ledger_secret_hex)
                .map_err(|e| bad("ledger_secret", e.to_string()))?,
        );
        let ledger_secret: [u8; 32] = secret_bytes
            .as_slice()
            .try_into()
            .map_err(|_| bad("ledger_secret", "not 32 bytes".into()))?;
        Ok(Self {
            node_key,
            node_certificate: Certificate::from_pem(texts.node_certificate)
                .map_err(|e| bad("node_certificate", e.to_string()))?,
            service_key: KeyPair::from_pem(texts.service_private_key)
                .map_err(|e| bad("service_private_key", e.to_string()))?,
            service_certificate: Certificate::from_pem(texts.service_certificate)
                .map_err(|e| bad("service_certificate", e.to_string()))?,
            ledger_secret: Zeroizing::new(ledger_secret),
            cose: texts.cose.clone(),
        })
    }

    /// Writes the secrets to `path` (mode 0600), replacing any previous file atomically.
    pub fn save(&self, path: &Path) -> Result<(), NodeError> {
        let file = SecretsFile {
            node_private_key: self.node_key.to_pem().to_string(),
            node_certificate: self.node_certificate.pem().to_owned(),
            service_private_key: self.service_key.to_pem().to_string(),
            service_certificate: self.service_certificate.pem().to_owned(),
            ledger_secret: hex::encode(*self.ledger_secret),
            cose_issuer: self.cose.issuer.clone(),
            cose_subject: self.cose.subject.clone(),
        };
        let text = Zeroizing::new(
            serde_json::to_string_pretty(&file).map_err(|e| NodeError::file(path, e))?,
        );
        let temporary = path.with_extension("json.tmp");
        write_private(&temporary, text.as_bytes()).map_err(|e| NodeError::file(&temporary, e))?;
        fs::rename(&temporary, path).map_err(|e| NodeError::file(path, e))?;
        if let Some(dir) = path.parent() {
            File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| NodeError::file(dir, e))?;
        }
        Ok(())
    }

    pub fn ledger_secret(&self) -> LedgerSecret {
        LedgerSecret::from_bytes(*self.ledger_secret)
    }

    /// The node identity for replication (a copy of the key).
    pub fn node_identity(&self) -> Result<NodeIdentity, NodeError> {
        Ok(NodeIdentity::new(
            copy_key(&self.node_key)?,
            self.node_certificate.clone(),
        ))
    }

    /// The service identity for replication (a copy of the key).
    pub fn service_identity(&self) -> Result<ServiceIdentity, NodeError> {
        Ok(ServiceIdentity {
            key: copy_key(&self.service_key)?,
            cert: self.service_certificate.clone(),
            cose: self.cose.clone(),
        })
    }
}

/// A second handle on the same private key (keys are deliberately not `Clone`).
pub fn copy_key(key: &KeyPair) -> Result<KeyPair, NodeError> {
    KeyPair::from_pem(&key.to_pem()).map_err(|e| NodeError::Identity(e.to_string()))
}

/// Writes `bytes` to `path` readable by its owner only (0600), synced: for private keys and
/// secrets.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use quorate_crypto::{Validity, create_service_certificate};

    fn secrets() -> NodeSecrets {
        let validity = Validity {
            not_before_unix_s: 0,
            not_after_unix_s: 4_000_000_000,
        };
        let service_key = KeyPair::from_seed(&[1; 32]).unwrap();
        let service_certificate =
            create_service_certificate(&service_key, "CCF Service", &validity, 1).unwrap();
        let node_key = KeyPair::from_seed(&[2; 32]).unwrap();
        let node_certificate = quorate_crypto::create_endorsed_certificate(
            &node_key.public_key(),
            "CCF Node",
            &[],
            &validity,
            2,
            &service_key,
            &service_certificate,
        )
        .unwrap();
        NodeSecrets {
            node_key,
            node_certificate,
            service_key,
            service_certificate,
            ledger_secret: Zeroizing::new([7; 32]),
            cose: CoseSignatureConfig {
                issuer: "issuer".into(),
                subject: "subject".into(),
            },
        }
    }

    #[test]
    fn secrets_round_trip_through_a_private_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SECRETS_FILE_NAME);
        assert!(NodeSecrets::load(&path).unwrap().is_none());
        let saved = secrets();
        saved.save(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let loaded = NodeSecrets::load(&path).unwrap().unwrap();
        assert_eq!(loaded.node_key.public_key(), saved.node_key.public_key());
        assert_eq!(
            loaded.service_key.public_key(),
            saved.service_key.public_key()
        );
        assert_eq!(loaded.node_certificate, saved.node_certificate);
        assert_eq!(loaded.service_certificate, saved.service_certificate);
        assert_eq!(*loaded.ledger_secret, [7; 32]);
        assert_eq!(loaded.cose, saved.cose);
    }

    #[test]
    fn a_damaged_secrets_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SECRETS_FILE_NAME);
        fs::write(&path, "{\"node_private_key\": 1}").unwrap();
        let error = NodeSecrets::load(&path).err().unwrap().to_string();
        assert!(error.contains(SECRETS_FILE_NAME), "{error}");
        secrets().save(&path).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
        value["ledger_secret"] = "abcd".into();
        fs::write(&path, value.to_string()).unwrap();
        let error = NodeSecrets::load(&path).err().unwrap().to_string();
        assert!(error.contains("ledger_secret"), "{error}");
    }
}
