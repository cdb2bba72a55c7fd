//! The bytes of forwarded client requests and their responses between a backup and the
//! primary (inside encrypted `Forwarded` channel messages). Every field is length-prefixed and
//! bounded by the message it came in, so a malformed message from a peer is an error, never a
//! panic or an allocation larger than the message.

use bytes::Bytes;

/// A client request a backup forwards to the primary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardedRequest {
    /// Chosen by the backup to match the response.
    pub id: u64,
    /// The DER certificate the client presented, if any: the primary re-runs auth with it.
    pub caller_der: Option<Bytes>,
    pub method: String,
    /// Path and query.
    pub uri: String,
    pub headers: Vec<(String, Bytes)>,
    pub body: Bytes,
}

/// The primary's answer to a [`ForwardedRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardedResponse {
    pub id: u64,
    pub status: u16,
    /// `x-ms-ccf-transaction-id` the handler set, as (view, seqno).
    pub transaction_id: Option<(u64, u64)>,
    pub headers: Vec<(String, Bytes)>,
    pub body: Bytes,
}

/// One forwarded message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Forwarded {
    Request(ForwardedRequest),
    Response(ForwardedResponse),
}

const TAG_REQUEST: u8 = 1;
const TAG_RESPONSE: u8 = 2;

/// Why a forwarded message could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed forwarded message: {0}")]
pub struct MalformedForwarded(&'static str);

impl Forwarded {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Forwarded::Request(request) => {
                out.push(TAG_REQUEST);
                out.extend_from_slice(&request.id.to_be_bytes());
                match &request.caller_der {
                    Some(der) => {
                        out.push(1);
                        put_bytes(&mut out, der);
                    }
                    None => out.push(0),
                }
                put_bytes(&mut out, request.method.as_bytes());
                put_bytes(&mut out, request.uri.as_bytes());
                put_headers(&mut out, &request.headers);
                put_bytes(&mut out, &request.body);
            }
            Forwarded::Response(response) => {
                out.push(TAG_RESPONSE);
                out.extend_from_slice(&response.id.to_be_bytes());
                out.extend_from_slice(&response.status.to_be_bytes());
                match response.transaction_id {
                    Some((view, seqno)) => {
                        out.push(1);
                        out.extend_from_slice(&view.to_be_bytes());
                        out.extend_from_slice(&seqno.to_be_bytes());
                    }
                    None => out.push(0),
                }
                put_headers(&mut out, &response.headers);
                put_bytes(&mut out, &response.body);
            }
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, MalformedForwarded> {
        let mut reader = Reader { bytes, at: 0 };
        let message = match reader.u8()? {
            TAG_REQUEST => {
                let id = reader.u64()?;
                let caller_der = match reader.u8()? {
                    0 => None,
                    1 => Some(reader.bytes()?),
                    _ => return Err(MalformedForwarded("caller flag")),
                };
                Forwarded::Request(ForwardedRequest {
                    id,
                    caller_der,
                    method: reader.string()?,
                    uri: reader.string()?,
                    headers: reader.headers()?,
                    body: reader.bytes()?,
                })
            }
            TAG_RESPONSE => {
                let id = reader.u64()?;
                let status = u16::from_be_bytes(reader.array()?);
                let transaction_id = match reader.u8()? {
                    0 => None,
                    1 => Some((reader.u64()?, reader.u64()?)),
                    _ => return Err(MalformedForwarded("transaction id flag")),
                };
                Forwarded::Response(ForwardedResponse {
                    id,
                    status,
                    transaction_id,
                    headers: reader.headers()?,
                    body: reader.bytes()?,
                })
            }
            _ => return Err(MalformedForwarded("unknown message type")),
        };
        if reader.at != bytes.len() {
            return Err(MalformedForwarded("trailing bytes"));
        }
        Ok(message)
    }
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    let length = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(&bytes[..length as usize]);
}

fn put_headers(out: &mut Vec<u8>, headers: &[(String, Bytes)]) {
    let count = u32::try_from(headers.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&count.to_be_bytes());
    for (name, value) in headers.iter().take(count as usize) {
        put_bytes(out, name.as_bytes());
        put_bytes(out, value);
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, length: usize) -> Result<&[u8], MalformedForwarded> {
        let end = self
            .at
            .checked_add(length)
            .filter(|end| *end <= self.bytes.len())
            .ok_or(MalformedForwarded("truncated"))?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], MalformedForwarded> {
        let mut array = [0; N];
        array.copy_from_slice(self.take(N)?);
        Ok(array)
    }

    fn u8(&mut self) -> Result<u8, MalformedForwarded> {
        Ok(self.array::<1>()?[0])
    }

    fn u64(&mut self) -> Result<u64, MalformedForwarded> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    fn bytes(&mut self) -> Result<Bytes, MalformedForwarded> {
        let length = u32::from_be_bytes(self.array()?) as usize;
        Ok(Bytes::copy_from_slice(self.take(length)?))
    }

    fn string(&mut self) -> Result<String, MalformedForwarded> {
        String::from_utf8(self.bytes()?.to_vec()).map_err(|_| MalformedForwarded("not UTF-8"))
    }

    fn headers(&mut self) -> Result<Vec<(String, Bytes)>, MalformedForwarded> {
        let count = u32::from_be_bytes(self.array()?) as usize;
        // Each header takes at least 8 bytes, which bounds the count by the message size.
        if count > (self.bytes.len() - self.at) / 8 {
            return Err(MalformedForwarded("header count"));
        }
        (0..count)
            .map(|_| Ok((self.string()?, self.bytes()?)))
            .collect()
    }
}
