//! How client operations travel inside log entries. Each payload names its client and that
//! client's sequence number, so an applied entry can be matched to the operation it carries.

use bytes::Bytes;

use crate::linearizability::KvInput;

/// A client operation as carried in an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientOp {
    pub client: u64,
    pub sequence: u64,
    pub input: KvInput,
}

const TAG_SIGNATURE: u8 = 0;
const TAG_GET: u8 = 1;
const TAG_PUT: u8 = 2;
const TAG_CAS: u8 = 3;
const TAG_CAS_ABSENT: u8 = 4;
const TAG_DELETE: u8 = 5;

/// A signature's payload: only its position matters to the simulation.
pub fn signature_payload() -> Bytes {
    Bytes::from_static(&[TAG_SIGNATURE])
}

pub fn encode(op: &ClientOp) -> Bytes {
    let (tag, key, a, b) = match op.input {
        KvInput::Get { key } => (TAG_GET, key, 0, 0),
        KvInput::Put { key, value } => (TAG_PUT, key, value, 0),
        KvInput::CompareAndSet {
            key,
            expected: Some(expected),
            new,
        } => (TAG_CAS, key, expected, new),
        KvInput::CompareAndSet {
            key,
            expected: None,
            new,
        } => (TAG_CAS_ABSENT, key, 0, new),
        KvInput::Delete { key } => (TAG_DELETE, key, 0, 0),
    };
    let mut bytes = Vec::with_capacity(41);
    bytes.push(tag);
    for word in [op.client, op.sequence, key, a, b] {
        bytes.extend_from_slice(&word.to_le_bytes());
    }
    Bytes::from(bytes)
}

/// The client operation in `payload`, or `None` for anything else (signatures,
/// configuration entries, garbage).
pub fn decode(payload: &[u8]) -> Option<ClientOp> {
    let (&tag, rest) = payload.split_first()?;
    let mut words = rest
        .chunks_exact(8)
        .map(|chunk| chunk.try_into().map(u64::from_le_bytes));
    let mut next = || words.next()?.ok();
    let (client, sequence, key, a, b) = (next()?, next()?, next()?, next()?, next()?);
    let input = match tag {
        TAG_GET => KvInput::Get { key },
        TAG_PUT => KvInput::Put { key, value: a },
        TAG_CAS => KvInput::CompareAndSet {
            key,
            expected: Some(a),
            new: b,
        },
        TAG_CAS_ABSENT => KvInput::CompareAndSet {
            key,
            expected: None,
            new: b,
        },
        TAG_DELETE => KvInput::Delete { key },
        _ => return None,
    };
    Some(ClientOp {
        client,
        sequence,
        input,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_round_trips_and_signatures_are_not_operations() {
        let inputs = [
            KvInput::Get { key: 1 },
            KvInput::Put { key: 2, value: 3 },
            KvInput::CompareAndSet {
                key: 4,
                expected: Some(5),
                new: 6,
            },
            KvInput::CompareAndSet {
                key: 7,
                expected: None,
                new: 8,
            },
            KvInput::Delete { key: 9 },
        ];
        for input in inputs {
            let op = ClientOp {
                client: 10,
                sequence: 11,
                input,
            };
            assert_eq!(decode(&encode(&op)), Some(op));
        }
        assert_eq!(decode(&signature_payload()), None);
        assert_eq!(decode(&[]), None);
        assert_eq!(decode(&[TAG_GET, 1, 2]), None);
    }
}
