//! The wire format of one channel frame. Every frame starts with a version byte, the message
//! type (CCF's `NodeMsgType`: channel 0, consensus 1, forwarded 2) and the sender's node id, so
//! the IO shell can route raw bytes to the right [`Channel`](super::Channel) with
//! [`Frame::decode`] before any cryptography runs.
//!
//! ```text
//! frame      = version:u8 (=1) ‖ type:u8 ‖ sender:[32]
//!              ‖ (key-exchange | data)
//! key-exchange (type 0) = step:u8 ‖ recipient:[32] ‖ step body
//!   init     (step 1) = initiator_share:[97] ‖ cert_len:u32 ‖ cert_der ‖ signature:[96]
//!   response (step 2) = initiator_share:[97] ‖ responder_share:[97] ‖ cert_len:u32 ‖ cert_der
//!                       ‖ signature:[96]
//!   final    (step 3) = initiator_share:[97] ‖ responder_share:[97] ‖ signature:[96]
//! data (type 1, 2)    = key_id:[8] ‖ counter:u64 ‖ body ‖ tag:[16]
//! ```
//!
//! Integers are big-endian. A data frame's header (everything before `body`) is its AES-GCM
//! additional data; the body is the payload in clear for consensus (also in the additional data,
//! so it is integrity-protected) and the ciphertext for forwarded requests.

use quorate_crypto::aead::TAG_SIZE_BYTES;
use quorate_crypto::key_exchange::ECDH_P384_SHARE_SIZE_BYTES;
use quorate_crypto::keys::ES384_SIGNATURE_SIZE_BYTES;

use super::codec::{Reader, Writer};
use super::node_id::NODE_ID_SIZE_BYTES;
use super::{ChannelError, NodeId};

/// The only frame version this code speaks.
pub const FRAME_VERSION: u8 = 1;
/// Length of the key id that names the key set a data frame was sealed under, in bytes.
pub const KEY_ID_SIZE_BYTES: usize = 8;
/// Length of a data frame's header, the part before the body, in bytes.
pub const DATA_HEADER_SIZE_BYTES: usize = 2 + NODE_ID_SIZE_BYTES + KEY_ID_SIZE_BYTES + 8;

const TYPE_CHANNEL: u8 = 0;
const TYPE_CONSENSUS: u8 = 1;
const TYPE_FORWARDED: u8 = 2;
const STEP_INIT: u8 = 1;
const STEP_RESPONSE: u8 = 2;
const STEP_FINAL: u8 = 3;

/// An ECDH public share on the wire.
pub type Share = [u8; ECDH_P384_SHARE_SIZE_BYTES];
/// A raw `r‖s` ES384 signature on the wire.
pub type ShareSignature = [u8; ES384_SIGNATURE_SIZE_BYTES];

/// What an application message carries, which decides how it is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// Raft traffic: integrity only, since ledger entries are already encrypted with the
    /// ledger secret where they need to be.
    Consensus,
    /// Client requests forwarded to the primary (and their responses): encrypted.
    Forwarded,
}

impl MessageKind {
    fn wire_type(self) -> u8 {
        match self {
            MessageKind::Consensus => TYPE_CONSENSUS,
            MessageKind::Forwarded => TYPE_FORWARDED,
        }
    }
}

/// One step of the authenticated key exchange. Each names its recipient and repeats the shares
/// it answers, so a step can only be matched with the exchange it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyExchange {
    Init {
        recipient: NodeId,
        initiator_share: Share,
        certificate_der: Vec<u8>,
        signature: ShareSignature,
    },
    Response {
        recipient: NodeId,
        initiator_share: Share,
        responder_share: Share,
        certificate_der: Vec<u8>,
        signature: ShareSignature,
    },
    Final {
        recipient: NodeId,
        initiator_share: Share,
        responder_share: Share,
        signature: ShareSignature,
    },
}

/// An application message sealed under a channel key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFrame {
    pub kind: MessageKind,
    pub sender: NodeId,
    pub key_id: [u8; KEY_ID_SIZE_BYTES],
    /// Position in the sender's stream under `key_id`; also the GCM IV.
    pub counter: u64,
    pub body: Vec<u8>,
    pub tag: [u8; TAG_SIZE_BYTES],
}

impl DataFrame {
    /// The header bytes, which are the frame's AES-GCM additional data.
    pub fn header(&self) -> [u8; DATA_HEADER_SIZE_BYTES] {
        data_header(self.kind, self.sender, &self.key_id, self.counter)
    }
}

/// The header of a data frame, computed the same way when sealing and when opening.
pub(crate) fn data_header(
    kind: MessageKind,
    sender: NodeId,
    key_id: &[u8; KEY_ID_SIZE_BYTES],
    counter: u64,
) -> [u8; DATA_HEADER_SIZE_BYTES] {
    let mut header = [0u8; DATA_HEADER_SIZE_BYTES];
    header[0] = FRAME_VERSION;
    header[1] = kind.wire_type();
    header[2..2 + NODE_ID_SIZE_BYTES].copy_from_slice(sender.as_bytes());
    let key_id_end = 2 + NODE_ID_SIZE_BYTES + KEY_ID_SIZE_BYTES;
    header[2 + NODE_ID_SIZE_BYTES..key_id_end].copy_from_slice(key_id);
    header[key_id_end..].copy_from_slice(&counter.to_be_bytes());
    header
}

/// A decoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// Boxed: key-exchange steps are rare and much larger than data frame headers.
    KeyExchange {
        sender: NodeId,
        step: Box<KeyExchange>,
    },
    Data(DataFrame),
}

impl Frame {
    /// The node that says it sent this frame (checked cryptographically only by the channel).
    pub fn sender(&self) -> NodeId {
        match self {
            Frame::KeyExchange { sender, .. } => *sender,
            Frame::Data(data) => data.sender,
        }
    }

    /// Parses one frame; any malformation, including trailing bytes, is an error.
    pub fn decode(bytes: &[u8]) -> Result<Frame, ChannelError> {
        let mut reader = Reader::new(bytes);
        if reader.u8("version")? != FRAME_VERSION {
            return Err(ChannelError::MalformedFrame("unsupported frame version"));
        }
        let wire_type = reader.u8("message type")?;
        let sender = NodeId::from_bytes(reader.array("sender")?);
        let frame = match wire_type {
            TYPE_CHANNEL => Frame::KeyExchange {
                sender,
                step: Box::new(decode_key_exchange(&mut reader)?),
            },
            TYPE_CONSENSUS | TYPE_FORWARDED => {
                let kind = if wire_type == TYPE_CONSENSUS {
                    MessageKind::Consensus
                } else {
                    MessageKind::Forwarded
                };
                let key_id = reader.array("key id")?;
                let counter = reader.u64("counter")?;
                let body = reader.all_but(TAG_SIZE_BYTES, "tag")?.to_vec();
                let tag = reader.array("tag")?;
                Frame::Data(DataFrame {
                    kind,
                    sender,
                    key_id,
                    counter,
                    body,
                    tag,
                })
            }
            _ => return Err(ChannelError::MalformedFrame("unknown message type")),
        };
        reader.finish()?;
        Ok(frame)
    }

    /// The frame's bytes.
    pub fn encode(&self) -> Result<Vec<u8>, ChannelError> {
        match self {
            Frame::Data(data) => {
                let mut writer = Writer::with_capacity(
                    DATA_HEADER_SIZE_BYTES + data.body.len() + TAG_SIZE_BYTES,
                );
                writer
                    .bytes(&data.header())
                    .bytes(&data.body)
                    .bytes(&data.tag);
                Ok(writer.into_bytes())
            }
            Frame::KeyExchange { sender, step } => {
                let mut writer = Writer::with_capacity(1024);
                writer
                    .u8(FRAME_VERSION)
                    .u8(TYPE_CHANNEL)
                    .bytes(sender.as_bytes());
                encode_key_exchange(&mut writer, step)?;
                Ok(writer.into_bytes())
            }
        }
    }
}

fn decode_key_exchange(reader: &mut Reader<'_>) -> Result<KeyExchange, ChannelError> {
    let step = reader.u8("key exchange step")?;
    let recipient = NodeId::from_bytes(reader.array("recipient")?);
    let initiator_share = reader.array("initiator share")?;
    Ok(match step {
        STEP_INIT => KeyExchange::Init {
            recipient,
            initiator_share,
            certificate_der: reader.length_prefixed("certificate")?.to_vec(),
            signature: reader.array("signature")?,
        },
        STEP_RESPONSE => KeyExchange::Response {
            recipient,
            initiator_share,
            responder_share: reader.array("responder share")?,
            certificate_der: reader.length_prefixed("certificate")?.to_vec(),
            signature: reader.array("signature")?,
        },
        STEP_FINAL => KeyExchange::Final {
            recipient,
            initiator_share,
            responder_share: reader.array("responder share")?,
            signature: reader.array("signature")?,
        },
        _ => return Err(ChannelError::MalformedFrame("unknown key exchange step")),
    })
}

fn encode_key_exchange(writer: &mut Writer, step: &KeyExchange) -> Result<(), ChannelError> {
    match step {
        KeyExchange::Init {
            recipient,
            initiator_share,
            certificate_der,
            signature,
        } => {
            writer
                .u8(STEP_INIT)
                .bytes(recipient.as_bytes())
                .bytes(initiator_share)
                .length_prefixed(certificate_der)?
                .bytes(signature);
        }
        KeyExchange::Response {
            recipient,
            initiator_share,
            responder_share,
            certificate_der,
            signature,
        } => {
            writer
                .u8(STEP_RESPONSE)
                .bytes(recipient.as_bytes())
                .bytes(initiator_share)
                .bytes(responder_share)
                .length_prefixed(certificate_der)?
                .bytes(signature);
        }
        KeyExchange::Final {
            recipient,
            initiator_share,
            responder_share,
            signature,
        } => {
            writer
                .u8(STEP_FINAL)
                .bytes(recipient.as_bytes())
                .bytes(initiator_share)
                .bytes(responder_share)
                .bytes(signature);
        }
    }
    Ok(())
}
