//! Frames on a TCP stream: each channel frame is preceded by its length as a big-endian `u32`.
//! The length is checked against the configured maximum before any buffer is sized from it, so
//! a peer announcing a huge frame costs nothing but its connection.

use bytes::{BufMut, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};

/// Length of the prefix before each frame, in bytes.
pub const LENGTH_PREFIX_SIZE_BYTES: usize = 4;

/// Frames up to this size get their whole buffer at once (the common, fast case); larger
/// ones start with this much and grow as their bytes arrive.
const UPFRONT_BUFFER_LIMIT_BYTES: usize = 64 * 1024;

/// Why a stream stopped yielding frames.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StreamError {
    #[error("frame of {length_bytes} bytes announced, limit {limit_bytes}")]
    Oversized {
        length_bytes: usize,
        limit_bytes: usize,
    },
    #[error("empty frame announced")]
    Empty,
    #[error("connection closed in the middle of a frame")]
    Truncated,
    #[error("read failed: {0}")]
    Io(std::io::Error),
    #[error("malformed frame: {0}")]
    Malformed(crate::channel::ChannelError),
}

/// Appends `frame` with its length prefix; the caller has checked the frame against the limit,
/// which fits a `u32` (see [`TransportConfig::validate`](super::TransportConfig::validate)).
pub(crate) fn append_frame(buffer: &mut BytesMut, frame: &[u8]) {
    buffer.reserve(LENGTH_PREFIX_SIZE_BYTES + frame.len());
    buffer.put_u32(u32::try_from(frame.len()).unwrap_or(u32::MAX));
    buffer.put_slice(frame);
}

/// Reads the next frame's length; `Ok(None)` when the peer closed the stream between frames.
/// A zero length or one over `limit_bytes` is an error, before anything is read or reserved.
pub(crate) async fn read_length<R: AsyncRead + Unpin>(
    reader: &mut R,
    limit_bytes: usize,
) -> Result<Option<u32>, StreamError> {
    let mut prefix = [0u8; LENGTH_PREFIX_SIZE_BYTES];
    let mut filled = 0;
    while filled < prefix.len() {
        let read = reader
            .read(&mut prefix[filled..])
            .await
            .map_err(StreamError::Io)?;
        if read == 0 {
            return if filled == 0 {
                Ok(None)
            } else {
                Err(StreamError::Truncated)
            };
        }
        filled += read;
    }
    let length = u32::from_be_bytes(prefix);
    let length_bytes = usize::try_from(length).unwrap_or(usize::MAX);
    if length_bytes == 0 {
        return Err(StreamError::Empty);
    }
    if length_bytes > limit_bytes {
        return Err(StreamError::Oversized {
            length_bytes,
            limit_bytes,
        });
    }
    Ok(Some(length))
}

/// Reads a frame body of `length` bytes (as returned by [`read_length`]).
pub(crate) async fn read_body<R: AsyncRead + Unpin>(
    reader: &mut R,
    length: u32,
) -> Result<Vec<u8>, StreamError> {
    let length_bytes = usize::try_from(length).unwrap_or(usize::MAX);
    if length_bytes <= UPFRONT_BUFFER_LIMIT_BYTES {
        let mut frame = vec![0u8; length_bytes];
        reader.read_exact(&mut frame).await.map_err(|error| {
            if error.kind() == std::io::ErrorKind::UnexpectedEof {
                StreamError::Truncated
            } else {
                StreamError::Io(error)
            }
        })?;
        return Ok(frame);
    }
    // A larger buffer grows with the bytes that actually arrive, so a peer announcing a
    // large frame and sending little of it holds little memory.
    let mut frame = Vec::with_capacity(UPFRONT_BUFFER_LIMIT_BYTES);
    let read = reader
        .take(u64::from(length))
        .read_to_end(&mut frame)
        .await
        .map_err(StreamError::Io)?;
    if read < length_bytes {
        return Err(StreamError::Truncated);
    }
    Ok(frame)
}
