//! A member's client for CCF's governance API: it signs each request as CCF's `ccf_cose_sign1`
//! does (COSE Sign1, the member's key, `ccf.gov.msg.*` headers) and sends it to a node, which
//! forwards it to the primary. Used by `quorate gov` and by the sandbox, which governs its own
//! service as member0.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::{Context as _, bail};
use bytes::Bytes;
use http::Method;
use quorate_crypto::cose::{GovMsgType, sign_governance_request};
use quorate_crypto::{Certificate, KeyPair};
use quorate_node::client::{ClientResponse, ClientTls, Connection};
use serde_json::{Value, json};

/// The governance API version spoken.
pub const API_VERSION: &str = "2024-07-01";

/// CCF's ballot that always votes for.
pub const BALLOT_ACCEPT: &str = "export function vote (proposal, proposerId) { return true }";
/// CCF's ballot that always votes against.
pub const BALLOT_REJECT: &str = "export function vote (proposal, proposerId) { return false }";

/// A member's signing identity.
pub struct Member {
    key: KeyPair,
    cert: Certificate,
}

impl Member {
    /// Reads the member's certificate and private key (PEM files, as CCF's
    /// `keygenerator.sh` writes them).
    pub fn load(cert_file: &Path, key_file: &Path) -> anyhow::Result<Member> {
        let cert_pem = std::fs::read_to_string(cert_file)
            .with_context(|| format!("reading {}", cert_file.display()))?;
        let key_pem = std::fs::read_to_string(key_file)
            .with_context(|| format!("reading {}", key_file.display()))?;
        let cert = Certificate::from_pem(&cert_pem)
            .with_context(|| format!("{} is not a certificate", cert_file.display()))?;
        let key = KeyPair::from_pem(&key_pem)
            .with_context(|| format!("{} is not a private key", key_file.display()))?;
        if cert.public_key()? != key.public_key() {
            bail!(
                "{} is not the key of {}",
                key_file.display(),
                cert_file.display()
            );
        }
        Ok(Member { key, cert })
    }

    /// The member id: hex SHA-256 of the certificate DER.
    pub fn id(&self) -> String {
        self.cert.fingerprint_sha256_hex()
    }

    /// A COSE Sign1 envelope over `payload`, created at `created_at_s`.
    pub fn sign(
        &self,
        msg_type: GovMsgType,
        created_at_s: u64,
        proposal_id: Option<&str>,
        payload: &[u8],
    ) -> anyhow::Result<Vec<u8>> {
        Ok(sign_governance_request(
            &self.key,
            &self.cert,
            msg_type,
            created_at_s,
            proposal_id,
            payload,
        )?)
    }
}

/// Seconds since the epoch, for `ccf.gov.msg.created_at`.
pub fn now_s() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// A member talking to one node.
pub struct GovClient {
    tls: ClientTls,
    address: SocketAddr,
    member: Member,
}

impl GovClient {
    pub fn new(
        service_cert: &Certificate,
        address: SocketAddr,
        member: Member,
    ) -> anyhow::Result<GovClient> {
        let tls = ClientTls::new(service_cert, None).context("client TLS")?;
        Ok(GovClient {
            tls,
            address,
            member,
        })
    }

    pub fn member_id(&self) -> String {
        self.member.id()
    }

    fn url(path: &str) -> String {
        format!("{path}?api-version={API_VERSION}")
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> anyhow::Result<ClientResponse> {
        let mut connection = Connection::connect(&self.tls, self.address)
            .await
            .with_context(|| format!("connecting to {}", self.address))?;
        connection
            .request(method, &Self::url(path), headers, body)
            .await
            .with_context(|| format!("{path} on {}", self.address))
    }

    /// GETs a governance view; an error answer is an error naming CCF's code and message.
    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        let response = self.send(Method::GET, path, &[], Bytes::new()).await?;
        answer(path, &response)
    }

    /// POSTs `payload` signed as `msg_type`.
    pub async fn post_signed(
        &self,
        path: &str,
        msg_type: GovMsgType,
        proposal_id: Option<&str>,
        payload: &[u8],
    ) -> anyhow::Result<Value> {
        let envelope = self.member.sign(msg_type, now_s(), proposal_id, payload)?;
        let response = self
            .send(
                Method::POST,
                path,
                &[("content-type", "application/cose")],
                Bytes::from(envelope),
            )
            .await?;
        answer(path, &response)
    }

    /// Makes the member Active: refreshes its state digest and signs it back.
    pub async fn activate(&self) -> anyhow::Result<()> {
        let id = self.member_id();
        let digest = self
            .post_signed(
                &format!("/gov/members/state-digests/{id}:update"),
                GovMsgType::StateDigest,
                None,
                b"",
            )
            .await?;
        let body = json!({ "stateDigest": digest["stateDigest"] }).to_string();
        self.post_signed(
            &format!("/gov/members/state-digests/{id}:ack"),
            GovMsgType::Ack,
            None,
            body.as_bytes(),
        )
        .await?;
        Ok(())
    }

    /// Submits `proposal` (`{"actions": [...]}`); returns the proposal's view.
    pub async fn propose(&self, proposal: &[u8]) -> anyhow::Result<Value> {
        self.post_signed(
            "/gov/members/proposals:create",
            GovMsgType::Proposal,
            None,
            proposal,
        )
        .await
    }

    /// Submits this member's `ballot` (JS source exporting `vote`) on `proposal_id`.
    pub async fn vote(&self, proposal_id: &str, ballot: &str) -> anyhow::Result<Value> {
        let body = json!({ "ballot": ballot }).to_string();
        self.post_signed(
            &format!(
                "/gov/members/proposals/{proposal_id}/ballots/{}:submit",
                self.member_id()
            ),
            GovMsgType::Ballot,
            Some(proposal_id),
            body.as_bytes(),
        )
        .await
    }

    /// Withdraws this member's proposal.
    pub async fn withdraw(&self, proposal_id: &str) -> anyhow::Result<Value> {
        self.post_signed(
            &format!("/gov/members/proposals/{proposal_id}:withdraw"),
            GovMsgType::Withdrawal,
            Some(proposal_id),
            b"",
        )
        .await
    }

    /// Proposes `actions` and votes for them: what a one-member consortium does.
    pub async fn propose_and_accept(&self, actions: &Value) -> anyhow::Result<Value> {
        let proposal = json!({ "actions": actions }).to_string();
        let created = self.propose(proposal.as_bytes()).await?;
        if created["proposalState"] != "Open" {
            return Ok(created);
        }
        let id = created["proposalId"]
            .as_str()
            .context("the proposal has no id")?
            .to_owned();
        self.vote(&id, BALLOT_ACCEPT).await
    }
}

/// A successful answer's JSON (`null` for 204), or an error with CCF's code and message.
fn answer(path: &str, response: &ClientResponse) -> anyhow::Result<Value> {
    if response.status.is_success() {
        if response.body.is_empty() {
            return Ok(Value::Null);
        }
        return Ok(response.json().unwrap_or_else(|_| {
            Value::String(String::from_utf8_lossy(&response.body).into_owned())
        }));
    }
    bail!(
        "{path}: {} {}: {}",
        response.status,
        response.error_code().unwrap_or_default(),
        response
            .error_message()
            .unwrap_or_else(|| String::from_utf8_lossy(&response.body).into_owned())
    )
}
