//! The per-peer channel: an IO-free state machine that runs the key exchange, seals and opens
//! frames, queues messages while no key can carry them, and renews keys after
//! [`ChannelConfig::message_limit`] messages.

use std::collections::VecDeque;
use std::sync::Arc;

use quorate_crypto::PublicKey;
use quorate_crypto::key_exchange::{ECDH_P384_SCALAR_SIZE_BYTES, EcdhP384Ephemeral, Zeroizing};

use super::frame::{DataFrame, Frame, KeyExchange, MessageKind, Share, ShareSignature};
use super::key_schedule::{KeySet, SignedStep, derive_keys};
use super::traffic_keys::{ReceiveKey, SendKey};
use super::{ChannelConfig, ChannelError, EntropySource, LocalIdentity, NodeId};

/// Scalars drawn before giving up on the entropy source; each is invalid with probability
/// about 2^-190, so a second failure means the source is broken.
const MAX_SCALAR_ATTEMPTS: u8 = 4;

/// Where the channel is, as CCF names it. During a renewal the state is that of the new
/// exchange, while the previous keys keep carrying traffic until the new ones are installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelState {
    /// No keys and no exchange under way.
    Inactive,
    /// We sent `init` and wait for the peer's `response`.
    Initiated,
    /// We answered the peer's `init` and wait for its `final`.
    WaitingForFinal,
    /// Keys installed and no exchange under way.
    Established,
}

/// What a received frame produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// An authenticated application message from the peer.
    Message { kind: MessageKind, payload: Vec<u8> },
    /// A key-exchange step was handled; `to_send` holds frames for the peer, in order (the next
    /// exchange step, then any queued messages the new keys released).
    KeyExchange { to_send: Vec<Vec<u8>> },
}

/// The exchange in progress, if any.
enum Handshake {
    Idle,
    Initiated {
        ephemeral: EcdhP384Ephemeral,
    },
    /// Boxed: it holds both shares and the derived keys, far more than the other states.
    WaitingForFinal(Box<PendingKeys>),
}

/// What the responder keeps between its `response` and the initiator's `final`.
struct PendingKeys {
    initiator_share: Share,
    responder_share: Share,
    peer_key: PublicKey,
    keys: KeySet,
}

/// The keys traffic currently flows under.
struct ActiveKeys {
    send: SendKey,
    receive: ReceiveKey,
}

/// An authenticated channel with one peer node.
pub struct Channel {
    identity: Arc<LocalIdentity>,
    peer: NodeId,
    config: ChannelConfig,
    entropy: Box<dyn EntropySource + Send>,
    handshake: Handshake,
    active: Option<ActiveKeys>,
    /// The receive key replaced by the last renewal, kept so frames the peer sealed before it
    /// switched keys are still delivered.
    previous_receive: Option<ReceiveKey>,
    queue: VecDeque<(MessageKind, Vec<u8>)>,
    /// When [`Channel::poll`] first saw the exchange under way; `None` until it has. Time is
    /// only ever observed by `poll`, so sealing and receiving stay clock-free.
    exchange_seen_at_ms: Option<u64>,
    /// When [`Channel::poll`] first saw the current keys; `None` until it has.
    keys_seen_at_ms: Option<u64>,
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channel")
            .field("own", &self.identity.node_id())
            .field("peer", &self.peer)
            .field("state", &self.state())
            .field("queued_messages", &self.queue.len())
            .finish_non_exhaustive()
    }
}

impl Channel {
    /// A channel from `identity`'s node to `peer`, inactive until either side initiates.
    pub fn new(
        identity: Arc<LocalIdentity>,
        peer: NodeId,
        config: ChannelConfig,
        entropy: Box<dyn EntropySource + Send>,
    ) -> Result<Self, ChannelError> {
        config.validate()?;
        if peer == identity.node_id() {
            return Err(ChannelError::InvalidIdentity(
                "a node has no channel to itself",
            ));
        }
        Ok(Self {
            identity,
            peer,
            config,
            entropy,
            handshake: Handshake::Idle,
            active: None,
            previous_receive: None,
            queue: VecDeque::new(),
            exchange_seen_at_ms: None,
            keys_seen_at_ms: None,
        })
    }

    /// The peer's node id.
    pub fn peer(&self) -> NodeId {
        self.peer
    }

    /// The state of the exchange under way, or whether keys are installed when none is.
    pub fn state(&self) -> ChannelState {
        match (&self.handshake, &self.active) {
            (Handshake::Initiated { .. }, _) => ChannelState::Initiated,
            (Handshake::WaitingForFinal(_), _) => ChannelState::WaitingForFinal,
            (Handshake::Idle, Some(_)) => ChannelState::Established,
            (Handshake::Idle, None) => ChannelState::Inactive,
        }
    }

    /// Messages waiting for a usable send key.
    pub fn queued_messages(&self) -> usize {
        self.queue.len()
    }

    /// Starts a key exchange and returns the `init` frame. Any exchange under way is abandoned,
    /// which is also how the IO shell retries one that timed out; installed keys keep carrying
    /// traffic until the new exchange completes.
    pub fn initiate(&mut self) -> Result<Vec<u8>, ChannelError> {
        let ephemeral = self.fresh_ephemeral()?;
        let own = self.identity.node_id();
        let initiator_share = *ephemeral.share();
        let signature = self.sign(SignedStep::Init {
            initiator_share: &initiator_share,
        })?;
        self.set_handshake(Handshake::Initiated { ephemeral });
        Frame::KeyExchange {
            sender: own,
            step: Box::new(KeyExchange::Init {
                recipient: self.peer,
                initiator_share,
                certificate_der: self.identity.endorsed_certificate().der().to_vec(),
                signature,
            }),
        }
        .encode()
    }

    /// Seals `payload` for the peer and returns the frames to send now. With no usable send key
    /// (not yet established, or the message limit reached) the message is queued and, if no
    /// exchange is under way, one is started: the result is then the `init` frame. Reaching the
    /// message limit starts the renewal right away, so its `init` follows the sealed frame.
    /// Starting an exchange is best effort here, so an accepted message is never reported as
    /// failed: if it cannot start (the entropy source failed), [`Channel::poll`] retries and
    /// reports the error.
    pub fn seal(
        &mut self,
        kind: MessageKind,
        payload: &[u8],
    ) -> Result<Vec<Vec<u8>>, ChannelError> {
        let own = self.identity.node_id();
        if self.queue.is_empty()
            && let Some(active) = self.usable_keys()
        {
            let frame = active.send.seal(kind, own, payload)?;
            let mut out = vec![Frame::Data(frame).encode()?];
            out.extend(self.renew_if_due().ok().flatten());
            return Ok(out);
        }
        if self.queue.len() >= self.config.max_queued_messages {
            return Err(ChannelError::QueueFull {
                queued: self.queue.len(),
                limit: self.config.max_queued_messages,
            });
        }
        self.queue.push_back((kind, payload.to_vec()));
        self.flush()
    }

    /// Lets time act, with `now_ms` from any monotonic clock: starts an exchange that queued
    /// messages need but could not start earlier (say the entropy source failed), restarts one
    /// unfinished for [`ChannelConfig::key_exchange_timeout_ms`] and renews keys in use for
    /// [`ChannelConfig::key_lifetime_ms`]. Durations count from the first `poll` that saw the
    /// exchange or the keys, so the shell should poll at a fraction of those periods. Returns
    /// the `init` frame to send, if an exchange was started.
    pub fn poll(&mut self, now_ms: u64) -> Result<Vec<Vec<u8>>, ChannelError> {
        if let Some(init) = self.renew_if_due()? {
            return Ok(vec![init]);
        }
        let (seen_at_ms, period_ms) = match (&self.handshake, &self.active) {
            (Handshake::Idle, None) => return Ok(Vec::new()),
            (Handshake::Idle, Some(_)) => (
                *self.keys_seen_at_ms.get_or_insert(now_ms),
                self.config.key_lifetime_ms,
            ),
            (Handshake::Initiated { .. } | Handshake::WaitingForFinal(_), _) => (
                *self.exchange_seen_at_ms.get_or_insert(now_ms),
                self.config.key_exchange_timeout_ms,
            ),
        };
        if now_ms.saturating_sub(seen_at_ms) >= period_ms {
            return Ok(vec![self.initiate()?]);
        }
        Ok(Vec::new())
    }

    /// Checks what must hold between calls: the queue stays within its bound, messages wait only
    /// while no key can carry them (so none is overtaken), and no key seals past its limit.
    pub fn check_invariants(&self) -> Result<(), ChannelError> {
        let limit = self.config.message_limit;
        if self.queue.len() > self.config.max_queued_messages {
            return Err(ChannelError::Invariant {
                name: "queue_bounded",
                detail: format!(
                    "{} queued, limit {}",
                    self.queue.len(),
                    self.config.max_queued_messages
                ),
            });
        }
        let sendable = self
            .active
            .as_ref()
            .is_some_and(|active| active.send.sent_messages < limit);
        if !self.queue.is_empty() && sendable {
            return Err(ChannelError::Invariant {
                name: "queue_only_without_usable_keys",
                detail: format!("{} queued while the send key is usable", self.queue.len()),
            });
        }
        if let Some(active) = &self.active
            && active.send.sent_messages > limit
        {
            return Err(ChannelError::Invariant {
                name: "message_limit",
                detail: format!(
                    "{} sealed under one key, limit {limit}",
                    active.send.sent_messages
                ),
            });
        }
        Ok(())
    }

    /// Handles one frame from the peer.
    pub fn receive(&mut self, bytes: &[u8]) -> Result<Received, ChannelError> {
        self.receive_frame(Frame::decode(bytes)?)
    }

    /// [`Channel::receive`] for a frame the caller already decoded (a transport decodes each
    /// frame once, to route it by sender).
    pub fn receive_frame(&mut self, frame: Frame) -> Result<Received, ChannelError> {
        if frame.sender() != self.peer {
            return Err(ChannelError::UnexpectedSender {
                expected: self.peer,
                found: frame.sender(),
            });
        }
        match frame {
            Frame::Data(data) => self.open(&data),
            Frame::KeyExchange { step, .. } => {
                let to_send = match *step {
                    KeyExchange::Init {
                        recipient,
                        initiator_share,
                        certificate_der,
                        signature,
                    } => {
                        self.check_recipient(recipient)?;
                        self.on_init(&initiator_share, &certificate_der, &signature)?
                    }
                    KeyExchange::Response {
                        recipient,
                        initiator_share,
                        responder_share,
                        certificate_der,
                        signature,
                    } => {
                        self.check_recipient(recipient)?;
                        self.on_response(
                            &initiator_share,
                            &responder_share,
                            &certificate_der,
                            &signature,
                        )?
                    }
                    KeyExchange::Final {
                        recipient,
                        initiator_share,
                        responder_share,
                        signature,
                    } => {
                        self.check_recipient(recipient)?;
                        self.on_final(&initiator_share, &responder_share, &signature)?
                    }
                };
                Ok(Received::KeyExchange { to_send })
            }
        }
    }

    fn open(&mut self, data: &DataFrame) -> Result<Received, ChannelError> {
        let key = match (&mut self.active, &mut self.previous_receive) {
            (Some(active), _) if active.receive.key_id == data.key_id => &mut active.receive,
            (_, Some(previous)) if previous.key_id == data.key_id => previous,
            _ => return Err(ChannelError::UnknownKey),
        };
        let payload = key.open(data)?;
        Ok(Received::Message {
            kind: data.kind,
            payload,
        })
    }

    /// The peer's `init`. When both nodes initiated at once, the lower node id's exchange
    /// wins: the lower node ignores the other `init`, the higher one abandons its own and
    /// answers.
    fn on_init(
        &mut self,
        initiator_share: &Share,
        certificate_der: &[u8],
        signature: &ShareSignature,
    ) -> Result<Vec<Vec<u8>>, ChannelError> {
        let own = self.identity.node_id();
        if matches!(self.handshake, Handshake::Initiated { .. }) && own < self.peer {
            return Ok(Vec::new());
        }
        let peer_key = self
            .identity
            .authenticate_peer(self.peer, certificate_der)?;
        self.verify(&peer_key, SignedStep::Init { initiator_share }, signature)?;
        let ephemeral = self.fresh_ephemeral()?;
        let secret = ephemeral
            .agree(initiator_share)
            .map_err(|_| ChannelError::InvalidShare)?;
        let responder_share = *ephemeral.share();
        let keys = derive_keys(
            secret.as_slice(),
            self.peer,
            own,
            initiator_share,
            &responder_share,
        )?;
        let signature = self.sign(SignedStep::Response {
            initiator_share,
            responder_share: &responder_share,
        })?;
        self.set_handshake(Handshake::WaitingForFinal(Box::new(PendingKeys {
            initiator_share: *initiator_share,
            responder_share,
            peer_key,
            keys,
        })));
        let response = Frame::KeyExchange {
            sender: own,
            step: Box::new(KeyExchange::Response {
                recipient: self.peer,
                initiator_share: *initiator_share,
                responder_share,
                certificate_der: self.identity.endorsed_certificate().der().to_vec(),
                signature,
            }),
        };
        Ok(vec![response.encode()?])
    }

    /// The peer's `response` to our `init`: installs the keys, answers `final` and releases
    /// queued messages.
    fn on_response(
        &mut self,
        initiator_share: &Share,
        responder_share: &Share,
        certificate_der: &[u8],
        signature: &ShareSignature,
    ) -> Result<Vec<Vec<u8>>, ChannelError> {
        let Handshake::Initiated { ephemeral } = &self.handshake else {
            return Err(ChannelError::UnexpectedKeyExchange { step: "response" });
        };
        if ephemeral.share() != initiator_share {
            return Err(ChannelError::UnexpectedKeyExchange { step: "response" });
        }
        let peer_key = self
            .identity
            .authenticate_peer(self.peer, certificate_der)?;
        let signed = SignedStep::Response {
            initiator_share,
            responder_share,
        };
        self.verify(&peer_key, signed, signature)?;
        let secret = ephemeral
            .agree(responder_share)
            .map_err(|_| ChannelError::InvalidShare)?;
        let own = self.identity.node_id();
        let keys = derive_keys(
            secret.as_slice(),
            own,
            self.peer,
            initiator_share,
            responder_share,
        )?;
        let signature = self.sign(SignedStep::Final {
            initiator_share,
            responder_share,
        })?;
        let final_frame = Frame::KeyExchange {
            sender: own,
            step: Box::new(KeyExchange::Final {
                recipient: self.peer,
                initiator_share: *initiator_share,
                responder_share: *responder_share,
                signature,
            }),
        }
        .encode()?;
        self.set_handshake(Handshake::Idle);
        self.install(
            SendKey::new(keys.key_id, keys.initiator_to_responder),
            ReceiveKey::new(keys.key_id, keys.responder_to_initiator),
        );
        let mut out = vec![final_frame];
        out.extend(self.flush()?);
        Ok(out)
    }

    /// The peer's `final` for the exchange we answered: installs the keys and releases queued
    /// messages.
    fn on_final(
        &mut self,
        initiator_share: &Share,
        responder_share: &Share,
        signature: &ShareSignature,
    ) -> Result<Vec<Vec<u8>>, ChannelError> {
        let Handshake::WaitingForFinal(pending) = &self.handshake else {
            return Err(ChannelError::UnexpectedKeyExchange { step: "final" });
        };
        if &pending.initiator_share != initiator_share
            || &pending.responder_share != responder_share
        {
            return Err(ChannelError::UnexpectedKeyExchange { step: "final" });
        }
        let signed = SignedStep::Final {
            initiator_share,
            responder_share,
        };
        self.verify(&pending.peer_key, signed, signature)?;
        let Handshake::WaitingForFinal(pending) = self.set_handshake(Handshake::Idle) else {
            return Err(ChannelError::UnexpectedKeyExchange { step: "final" });
        };
        let keys = pending.keys;
        self.install(
            SendKey::new(keys.key_id, keys.responder_to_initiator),
            ReceiveKey::new(keys.key_id, keys.initiator_to_responder),
        );
        self.flush()
    }

    fn check_recipient(&self, recipient: NodeId) -> Result<(), ChannelError> {
        if recipient == self.identity.node_id() {
            Ok(())
        } else {
            Err(ChannelError::WrongRecipient { found: recipient })
        }
    }

    /// Makes the new keys current; the old receive key stays for frames still in flight.
    fn install(&mut self, send: SendKey, receive: ReceiveKey) {
        self.previous_receive = self.active.take().map(|old| old.receive);
        self.active = Some(ActiveKeys { send, receive });
        self.keys_seen_at_ms = None;
    }

    /// Moves to another exchange state, restarting its timeout; returns the state left.
    fn set_handshake(&mut self, next: Handshake) -> Handshake {
        self.exchange_seen_at_ms = None;
        std::mem::replace(&mut self.handshake, next)
    }

    /// The active keys if they may seal another message.
    fn usable_keys(&mut self) -> Option<&mut ActiveKeys> {
        let limit = self.config.message_limit;
        self.active
            .as_mut()
            .filter(|active| active.send.sent_messages < limit)
    }

    /// Seals queued messages in order while the send key allows, then starts a renewal if one
    /// is due (best effort, as in [`Channel::seal`]).
    fn flush(&mut self) -> Result<Vec<Vec<u8>>, ChannelError> {
        let own = self.identity.node_id();
        let mut out = Vec::new();
        let limit = self.config.message_limit;
        while let Some(active) = self
            .active
            .as_mut()
            .filter(|active| active.send.sent_messages < limit)
            && let Some((kind, payload)) = self.queue.pop_front()
        {
            out.push(Frame::Data(active.send.seal(kind, own, &payload)?).encode()?);
        }
        out.extend(self.renew_if_due().ok().flatten());
        Ok(out)
    }

    /// Starts an exchange when none is under way and the channel cannot seal what it has to
    /// (messages queued with no keys yet, or the message limit reached); returns its `init`
    /// frame if so. An inactive channel with nothing to send stays inactive.
    fn renew_if_due(&mut self) -> Result<Option<Vec<u8>>, ChannelError> {
        let needs_keys = self.active.is_some() || !self.queue.is_empty();
        if matches!(self.handshake, Handshake::Idle) && needs_keys && self.usable_keys().is_none() {
            return self.initiate().map(Some);
        }
        Ok(None)
    }

    fn fresh_ephemeral(&mut self) -> Result<EcdhP384Ephemeral, ChannelError> {
        let mut last_error = ChannelError::EntropyFailed;
        for _ in 0..MAX_SCALAR_ATTEMPTS {
            let mut scalar = Zeroizing::new([0u8; ECDH_P384_SCALAR_SIZE_BYTES]);
            self.entropy.fill(scalar.as_mut_slice())?;
            match EcdhP384Ephemeral::from_scalar(&scalar) {
                Ok(ephemeral) => return Ok(ephemeral),
                Err(error) => last_error = ChannelError::Crypto(error),
            }
        }
        Err(last_error)
    }

    fn sign(&self, step: SignedStep<'_>) -> Result<ShareSignature, ChannelError> {
        let content = step.content(self.identity.node_id(), self.peer);
        let signature = self
            .identity
            .key_pair()
            .sign_es384(&content)
            .map_err(ChannelError::Crypto)?;
        ShareSignature::try_from(signature.as_slice())
            .map_err(|_| ChannelError::Crypto(quorate_crypto::CryptoError::SigningFailed))
    }

    fn verify(
        &self,
        peer_key: &PublicKey,
        step: SignedStep<'_>,
        signature: &ShareSignature,
    ) -> Result<(), ChannelError> {
        let content = step.content(self.peer, self.identity.node_id());
        peer_key
            .verify_es384(&content, signature)
            .map_err(|_| ChannelError::BadShareSignature)
    }
}
