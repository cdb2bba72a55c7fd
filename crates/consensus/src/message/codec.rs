//! A hand-written, little-endian binary encoding of `Message`. The decoder checks every length
//! against the bytes actually present, so garbage yields an error, never a panic or a huge
//! allocation.

use std::collections::BTreeSet;

use bytes::Bytes;

use super::{
    AppendEntries, AppendEntriesResponse, ElectionType, Message, ProposeRequestVote, RequestVote,
    RequestVoteResponse,
};
use crate::entry::{Entry, EntryKind};
use crate::error::ConsensusError;
use crate::ids::NodeId;

// Message tags follow CCF's RaftMsgType numbering.
const TAG_APPEND_ENTRIES: u8 = 0;
const TAG_APPEND_ENTRIES_RESPONSE: u8 = 1;
const TAG_REQUEST_VOTE: u8 = 3;
const TAG_REQUEST_VOTE_RESPONSE: u8 = 4;
const TAG_PROPOSE_REQUEST_VOTE: u8 = 5;

const KIND_RAW: u8 = 0;
const KIND_RECONFIGURATION: u8 = 1;
const KIND_RETIRED_COMMITTED: u8 = 2;

/// Smallest encoded entry: term, flag, kind, payload length.
const MIN_ENTRY_BYTES: usize = 8 + 1 + 1 + 4;

/// Encodes a message for the node-to-node channel.
pub fn encode(message: &Message) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    match message {
        Message::AppendEntries(m) => {
            out.push(TAG_APPEND_ENTRIES);
            for v in [m.term, m.prev_index, m.prev_term, m.leader_commit] {
                put_u64(&mut out, v);
            }
            put_len(&mut out, m.entries.len());
            for entry in &m.entries {
                put_entry(&mut out, entry);
            }
        }
        Message::AppendEntriesResponse(m) => {
            out.push(TAG_APPEND_ENTRIES_RESPONSE);
            put_u64(&mut out, m.term);
            put_u64(&mut out, m.last_index);
            out.push(u8::from(m.success));
        }
        Message::RequestVote(m) => {
            out.push(TAG_REQUEST_VOTE);
            put_u64(&mut out, m.term);
            put_u64(&mut out, m.last_committable_index);
            put_u64(&mut out, m.last_committable_term);
            out.push(election_type_byte(m.election_type));
        }
        Message::RequestVoteResponse(m) => {
            out.push(TAG_REQUEST_VOTE_RESPONSE);
            put_u64(&mut out, m.term);
            out.push(u8::from(m.granted));
            out.push(election_type_byte(m.election_type));
        }
        Message::ProposeRequestVote(m) => {
            out.push(TAG_PROPOSE_REQUEST_VOTE);
            put_u64(&mut out, m.term);
        }
    }
    out
}

/// Decodes one message; trailing bytes are an error.
pub fn decode(bytes: &[u8]) -> Result<Message, ConsensusError> {
    let mut r = Reader { bytes, pos: 0 };
    let message = match r.u8()? {
        TAG_APPEND_ENTRIES => {
            let term = r.u64()?;
            let prev_index = r.u64()?;
            let prev_term = r.u64()?;
            let leader_commit = r.u64()?;
            let count = r.len(MIN_ENTRY_BYTES)?;
            // The entries sit at prev_index + 1 ..= prev_index + count, and receivers compute
            // the index after them: all of it must be a u64, or a hostile prev_index overflows
            // the receiver's index arithmetic (a panic in debug builds, a wrap in release).
            if u64::try_from(count)
                .ok()
                .and_then(|count| prev_index.checked_add(count)?.checked_add(1))
                .is_none()
            {
                return Err(ConsensusError::Malformed("entry index out of range"));
            }
            let mut entries = Vec::with_capacity(count);
            for _ in 0..count {
                entries.push(r.entry()?);
            }
            Message::AppendEntries(AppendEntries {
                term,
                prev_index,
                prev_term,
                leader_commit,
                entries,
            })
        }
        TAG_APPEND_ENTRIES_RESPONSE => Message::AppendEntriesResponse(AppendEntriesResponse {
            term: r.u64()?,
            last_index: r.u64()?,
            success: r.bool()?,
        }),
        TAG_REQUEST_VOTE => Message::RequestVote(RequestVote {
            term: r.u64()?,
            last_committable_index: r.u64()?,
            last_committable_term: r.u64()?,
            election_type: r.election_type()?,
        }),
        TAG_REQUEST_VOTE_RESPONSE => Message::RequestVoteResponse(RequestVoteResponse {
            term: r.u64()?,
            granted: r.bool()?,
            election_type: r.election_type()?,
        }),
        TAG_PROPOSE_REQUEST_VOTE => {
            Message::ProposeRequestVote(ProposeRequestVote { term: r.u64()? })
        }
        _ => return Err(ConsensusError::Malformed("unknown message type")),
    };
    if r.pos != bytes.len() {
        return Err(ConsensusError::Malformed("trailing bytes"));
    }
    Ok(message)
}

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_len(out: &mut Vec<u8>, len: usize) {
    // Lengths above u32::MAX cannot occur: messages are bounded far below that.
    out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_le_bytes());
}

fn put_nodes(out: &mut Vec<u8>, nodes: &BTreeSet<NodeId>) {
    put_len(out, nodes.len());
    for node in nodes {
        put_u64(out, node.0);
    }
}

fn put_entry(out: &mut Vec<u8>, entry: &Entry) {
    put_u64(out, entry.term);
    out.push(u8::from(entry.committable));
    match &entry.kind {
        EntryKind::Raw => out.push(KIND_RAW),
        EntryKind::Reconfiguration(nodes) => {
            out.push(KIND_RECONFIGURATION);
            put_nodes(out, nodes);
        }
        EntryKind::RetiredCommitted(nodes) => {
            out.push(KIND_RETIRED_COMMITTED);
            put_nodes(out, nodes);
        }
    }
    put_len(out, entry.payload.len());
    out.extend_from_slice(&entry.payload);
}

fn election_type_byte(t: ElectionType) -> u8 {
    match t {
        ElectionType::PreVote => 0,
        ElectionType::RegularVote => 1,
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], ConsensusError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len())
            .ok_or(ConsensusError::Malformed("truncated"))?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn u8(&mut self) -> Result<u8, ConsensusError> {
        Ok(self.take(1)?[0])
    }

    fn u64(&mut self) -> Result<u64, ConsensusError> {
        let mut buf = [0u8; 8];
        buf.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(buf))
    }

    /// A count of items each at least `min_item_bytes` long; rejects counts the remaining
    /// bytes cannot hold, so a hostile count cannot force a large allocation.
    fn len(&mut self, min_item_bytes: usize) -> Result<usize, ConsensusError> {
        let mut buf = [0u8; 4];
        buf.copy_from_slice(self.take(4)?);
        let count = usize::try_from(u32::from_le_bytes(buf))
            .map_err(|_| ConsensusError::Malformed("length too large"))?;
        let remaining = self.bytes.len() - self.pos;
        if count.saturating_mul(min_item_bytes) > remaining {
            return Err(ConsensusError::Malformed("length exceeds message"));
        }
        Ok(count)
    }

    fn bool(&mut self) -> Result<bool, ConsensusError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(ConsensusError::Malformed("invalid boolean")),
        }
    }

    fn election_type(&mut self) -> Result<ElectionType, ConsensusError> {
        match self.u8()? {
            0 => Ok(ElectionType::PreVote),
            1 => Ok(ElectionType::RegularVote),
            _ => Err(ConsensusError::Malformed("invalid election type")),
        }
    }

    fn nodes(&mut self) -> Result<BTreeSet<NodeId>, ConsensusError> {
        let count = self.len(8)?;
        (0..count).map(|_| Ok(NodeId(self.u64()?))).collect()
    }

    fn entry(&mut self) -> Result<Entry, ConsensusError> {
        let term = self.u64()?;
        let committable = self.bool()?;
        let kind = match self.u8()? {
            KIND_RAW => EntryKind::Raw,
            KIND_RECONFIGURATION => EntryKind::Reconfiguration(self.nodes()?),
            KIND_RETIRED_COMMITTED => EntryKind::RetiredCommitted(self.nodes()?),
            _ => return Err(ConsensusError::Malformed("unknown entry kind")),
        };
        let len = self.len(1)?;
        let payload = Bytes::copy_from_slice(self.take(len)?);
        Ok(Entry {
            term,
            committable,
            kind,
            payload,
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn arb_nodes() -> impl Strategy<Value = BTreeSet<NodeId>> {
        proptest::collection::btree_set(any::<u64>().prop_map(NodeId), 0..5)
    }

    fn arb_entry() -> impl Strategy<Value = Entry> {
        let kind = prop_oneof![
            Just(EntryKind::Raw),
            arb_nodes().prop_map(EntryKind::Reconfiguration),
            arb_nodes().prop_map(EntryKind::RetiredCommitted),
        ];
        (
            any::<u64>(),
            any::<bool>(),
            kind,
            proptest::collection::vec(any::<u8>(), 0..40),
        )
            .prop_map(|(term, committable, kind, payload)| Entry {
                term,
                committable,
                kind,
                payload: Bytes::from(payload),
            })
    }

    fn arb_election_type() -> impl Strategy<Value = ElectionType> {
        prop_oneof![Just(ElectionType::PreVote), Just(ElectionType::RegularVote)]
    }

    fn arb_message() -> impl Strategy<Value = Message> {
        prop_oneof![
            (
                any::<[u64; 4]>(),
                proptest::collection::vec(arb_entry(), 0..4)
            )
                .prop_map(|(h, entries)| Message::AppendEntries(AppendEntries {
                    term: h[0],
                    // Any index the entries' own indexes fit after (see decode).
                    prev_index: h[1] >> 1,
                    prev_term: h[2],
                    leader_commit: h[3],
                    entries,
                })),
            (any::<u64>(), any::<u64>(), any::<bool>()).prop_map(|(term, last_index, success)| {
                Message::AppendEntriesResponse(AppendEntriesResponse {
                    term,
                    last_index,
                    success,
                })
            }),
            (any::<[u64; 3]>(), arb_election_type()).prop_map(|(v, election_type)| {
                Message::RequestVote(RequestVote {
                    term: v[0],
                    last_committable_index: v[1],
                    last_committable_term: v[2],
                    election_type,
                })
            }),
            (any::<u64>(), any::<bool>(), arb_election_type()).prop_map(
                |(term, granted, election_type)| {
                    Message::RequestVoteResponse(RequestVoteResponse {
                        term,
                        granted,
                        election_type,
                    })
                }
            ),
            any::<u64>().prop_map(|term| Message::ProposeRequestVote(ProposeRequestVote { term })),
        ]
    }

    proptest! {
        #[test]
        fn every_message_round_trips(message in arb_message()) {
            prop_assert_eq!(decode(&encode(&message)), Ok(message));
        }

        #[test]
        fn garbage_is_rejected_or_decodes_to_a_valid_message(
            bytes in proptest::collection::vec(any::<u8>(), 0..200)
        ) {
            if let Ok(message) = decode(&bytes) {
                prop_assert_eq!(decode(&encode(&message)), Ok(message));
            }
        }

        #[test]
        fn every_strict_prefix_is_rejected(message in arb_message(), cut in any::<prop::sample::Index>()) {
            let bytes = encode(&message);
            let cut = cut.index(bytes.len());
            prop_assert!(decode(&bytes[..cut]).is_err());
        }
    }

    #[test]
    fn entry_indexes_past_u64_are_rejected() {
        let append = |prev_index: u64, entries: usize| {
            encode(&Message::AppendEntries(AppendEntries {
                term: 2,
                prev_index,
                prev_term: 2,
                leader_commit: 0,
                entries: vec![
                    Entry {
                        term: 2,
                        committable: false,
                        kind: EntryKind::Raw,
                        payload: Bytes::new(),
                    };
                    entries
                ],
            }))
        };
        let out_of_range = Err(ConsensusError::Malformed("entry index out of range"));
        assert_eq!(decode(&append(u64::MAX, 0)), out_of_range);
        assert_eq!(decode(&append(u64::MAX - 2, 2)), out_of_range);
        assert!(decode(&append(u64::MAX - 3, 2)).is_ok());
    }

    #[test]
    fn a_huge_entry_count_is_rejected_without_allocating() {
        let mut bytes = vec![TAG_APPEND_ENTRIES];
        bytes.extend_from_slice(&[0u8; 32]);
        bytes.extend_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            decode(&bytes),
            Err(ConsensusError::Malformed("length exceeds message"))
        );
    }
}
