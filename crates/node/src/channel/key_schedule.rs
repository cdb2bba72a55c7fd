//! What each key-exchange signature covers, and how the two directional keys are derived.
//!
//! Signatures cover a step label, both node ids and every share exchanged so far, so a signed
//! share cannot be replayed into another step, another pair of nodes or another exchange: the
//! response signs the initiator's fresh share (proving liveness to the initiator) and the final
//! signs the responder's fresh share (proving liveness to the responder).
//!
//! Keys come from HKDF-SHA256 over the ECDH secret with the SHA-256 of the transcript (both
//! ids, both shares) as info: 32 bytes for initiator → responder, 32 for responder →
//! initiator, and 8 for the key id that data frames carry to name the key set.

use quorate_crypto::aead::{AesGcmKey, KEY_SIZE_BYTES};
use quorate_crypto::kdf::hkdf_sha256;
use quorate_crypto::key_exchange::Zeroizing;
use quorate_crypto::sha256;

use super::frame::{KEY_ID_SIZE_BYTES, Share};
use super::{ChannelError, NodeId};

const INIT_LABEL: &[u8] = b"quorate/node-channel/v1/init";
const RESPONSE_LABEL: &[u8] = b"quorate/node-channel/v1/response";
const FINAL_LABEL: &[u8] = b"quorate/node-channel/v1/final";
const TRANSCRIPT_LABEL: &[u8] = b"quorate/node-channel/v1/transcript";
const HKDF_SALT: &[u8] = b"quorate/node-channel/v1/keys";

/// The bytes a key-exchange step's signature covers.
pub(crate) enum SignedStep<'a> {
    Init {
        initiator_share: &'a Share,
    },
    Response {
        initiator_share: &'a Share,
        responder_share: &'a Share,
    },
    Final {
        initiator_share: &'a Share,
        responder_share: &'a Share,
    },
}

impl SignedStep<'_> {
    pub(crate) fn content(&self, sender: NodeId, recipient: NodeId) -> Vec<u8> {
        let (label, shares): (&[u8], &[&Share]) = match self {
            SignedStep::Init { initiator_share } => (INIT_LABEL, &[*initiator_share]),
            SignedStep::Response {
                initiator_share,
                responder_share,
            } => (RESPONSE_LABEL, &[*initiator_share, *responder_share]),
            SignedStep::Final {
                initiator_share,
                responder_share,
            } => (FINAL_LABEL, &[*initiator_share, *responder_share]),
        };
        let mut content = Vec::with_capacity(label.len() + 64 + 2 * shares.len() * 97);
        content.extend_from_slice(label);
        content.extend_from_slice(sender.as_bytes());
        content.extend_from_slice(recipient.as_bytes());
        for share in shares {
            content.extend_from_slice(share.as_slice());
        }
        content
    }
}

/// The keys one exchange produces, named by direction.
pub(crate) struct KeySet {
    pub(crate) key_id: [u8; KEY_ID_SIZE_BYTES],
    pub(crate) initiator_to_responder: AesGcmKey,
    pub(crate) responder_to_initiator: AesGcmKey,
}

/// Derives the key set of the exchange between `initiator` and `responder`.
pub(crate) fn derive_keys(
    shared_secret: &[u8],
    initiator: NodeId,
    responder: NodeId,
    initiator_share: &Share,
    responder_share: &Share,
) -> Result<KeySet, ChannelError> {
    let mut transcript = Vec::with_capacity(TRANSCRIPT_LABEL.len() + 64 + 2 * 97);
    transcript.extend_from_slice(TRANSCRIPT_LABEL);
    transcript.extend_from_slice(initiator.as_bytes());
    transcript.extend_from_slice(responder.as_bytes());
    transcript.extend_from_slice(initiator_share);
    transcript.extend_from_slice(responder_share);
    let mut okm = Zeroizing::new([0u8; 2 * KEY_SIZE_BYTES + KEY_ID_SIZE_BYTES]);
    hkdf_sha256(
        HKDF_SALT,
        shared_secret,
        &sha256(&transcript),
        okm.as_mut_slice(),
    )
    .map_err(ChannelError::Crypto)?;
    let mut first = Zeroizing::new([0u8; KEY_SIZE_BYTES]);
    let mut second = Zeroizing::new([0u8; KEY_SIZE_BYTES]);
    let mut key_id = [0u8; KEY_ID_SIZE_BYTES];
    first.copy_from_slice(&okm[..KEY_SIZE_BYTES]);
    second.copy_from_slice(&okm[KEY_SIZE_BYTES..2 * KEY_SIZE_BYTES]);
    key_id.copy_from_slice(&okm[2 * KEY_SIZE_BYTES..]);
    Ok(KeySet {
        key_id,
        initiator_to_responder: AesGcmKey::from_bytes(*first),
        responder_to_initiator: AesGcmKey::from_bytes(*second),
    })
}
