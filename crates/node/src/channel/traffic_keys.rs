//! One direction's key in use: the send side numbers frames, the receive side refuses any
//! counter it has already passed. The counter is the GCM IV, so it never repeats under a key.

use quorate_crypto::aead::{AesGcmKey, IV_SIZE_BYTES};

use super::frame::{DataFrame, KEY_ID_SIZE_BYTES, MessageKind, data_header};
use super::{ChannelError, NodeId};

/// The GCM IV for `counter`: four zero bytes, then the counter big-endian.
fn iv_of(counter: u64) -> [u8; IV_SIZE_BYTES] {
    let mut iv = [0u8; IV_SIZE_BYTES];
    iv[IV_SIZE_BYTES - 8..].copy_from_slice(&counter.to_be_bytes());
    iv
}

/// Seals this node's frames to the peer.
pub(crate) struct SendKey {
    pub(crate) key_id: [u8; KEY_ID_SIZE_BYTES],
    key: AesGcmKey,
    /// Frames sealed so far, which is also the next counter.
    pub(crate) sent_messages: u64,
}

impl SendKey {
    pub(crate) fn new(key_id: [u8; KEY_ID_SIZE_BYTES], key: AesGcmKey) -> Self {
        Self {
            key_id,
            key,
            sent_messages: 0,
        }
    }

    /// Seals `payload` as the next frame: consensus payloads stay in clear under the tag,
    /// forwarded payloads are encrypted.
    pub(crate) fn seal(
        &mut self,
        kind: MessageKind,
        sender: NodeId,
        payload: &[u8],
    ) -> Result<DataFrame, ChannelError> {
        let counter = self.sent_messages;
        let header = data_header(kind, sender, &self.key_id, counter);
        let iv = iv_of(counter);
        let (body, tag) = match kind {
            MessageKind::Consensus => {
                let mut aad = Vec::with_capacity(header.len() + payload.len());
                aad.extend_from_slice(&header);
                aad.extend_from_slice(payload);
                let tag = self.key.seal_in_place(&iv, &aad, &mut []);
                (payload.to_vec(), tag)
            }
            MessageKind::Forwarded => {
                let mut body = payload.to_vec();
                let tag = self.key.seal_in_place(&iv, &header, &mut body);
                (body, tag)
            }
        };
        let tag = tag.map_err(ChannelError::Crypto)?;
        self.sent_messages = counter.saturating_add(1);
        Ok(DataFrame {
            kind,
            sender,
            key_id: self.key_id,
            counter,
            body,
            tag,
        })
    }
}

/// Opens the peer's frames under one key set.
pub(crate) struct ReceiveKey {
    pub(crate) key_id: [u8; KEY_ID_SIZE_BYTES],
    key: AesGcmKey,
    /// Lowest counter still acceptable: one past the last frame opened.
    next_expected_counter: u64,
}

impl ReceiveKey {
    pub(crate) fn new(key_id: [u8; KEY_ID_SIZE_BYTES], key: AesGcmKey) -> Self {
        Self {
            key_id,
            key,
            next_expected_counter: 0,
        }
    }

    /// Authenticates `frame` and returns its payload. A counter below the expected one is a
    /// replay; a higher one is a forward jump (frames lost on a reconnect) and is accepted. The
    /// window only moves after the tag checks, so a forged counter cannot block real frames.
    pub(crate) fn open(&mut self, frame: &DataFrame) -> Result<Vec<u8>, ChannelError> {
        if frame.counter < self.next_expected_counter {
            return Err(ChannelError::Replayed {
                counter: frame.counter,
                next_expected: self.next_expected_counter,
            });
        }
        let header = frame.header();
        let iv = iv_of(frame.counter);
        let payload = match frame.kind {
            MessageKind::Consensus => {
                let mut aad = Vec::with_capacity(header.len() + frame.body.len());
                aad.extend_from_slice(&header);
                aad.extend_from_slice(&frame.body);
                self.key
                    .open(&iv, &aad, &[], &frame.tag)
                    .map_err(|_| ChannelError::AuthenticationFailed)?;
                frame.body.clone()
            }
            MessageKind::Forwarded => self
                .key
                .open(&iv, &header, &frame.body, &frame.tag)
                .map_err(|_| ChannelError::AuthenticationFailed)?,
        };
        self.next_expected_counter = frame.counter.saturating_add(1);
        Ok(payload)
    }
}
