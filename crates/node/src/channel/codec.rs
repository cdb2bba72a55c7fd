//! The byte-level reader and writer under the frame format. The reader returns an error for
//! every short or oversized field, so decoding hostile bytes cannot panic or over-allocate.

use super::ChannelError;

/// Cursor over untrusted bytes.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    /// The next `len` bytes; `what` names the field in the error.
    pub(crate) fn take(
        &mut self,
        len: usize,
        what: &'static str,
    ) -> Result<&'a [u8], ChannelError> {
        let (head, tail) = self
            .rest
            .split_at_checked(len)
            .ok_or(ChannelError::MalformedFrame(what))?;
        self.rest = tail;
        Ok(head)
    }

    pub(crate) fn array<const N: usize>(
        &mut self,
        what: &'static str,
    ) -> Result<[u8; N], ChannelError> {
        let bytes = self.take(N, what)?;
        <[u8; N]>::try_from(bytes).map_err(|_| ChannelError::MalformedFrame(what))
    }

    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, ChannelError> {
        Ok(self.array::<1>(what)?[0])
    }

    pub(crate) fn u32(&mut self, what: &'static str) -> Result<u32, ChannelError> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn u64(&mut self, what: &'static str) -> Result<u64, ChannelError> {
        Ok(u64::from_be_bytes(self.array(what)?))
    }

    /// A `u32` big-endian length followed by that many bytes.
    pub(crate) fn length_prefixed(&mut self, what: &'static str) -> Result<&'a [u8], ChannelError> {
        let len =
            usize::try_from(self.u32(what)?).map_err(|_| ChannelError::MalformedFrame(what))?;
        self.take(len, what)
    }

    /// Everything left except the last `suffix_len` bytes, which stay for the next read.
    pub(crate) fn all_but(
        &mut self,
        suffix_len: usize,
        what: &'static str,
    ) -> Result<&'a [u8], ChannelError> {
        let len = self
            .rest
            .len()
            .checked_sub(suffix_len)
            .ok_or(ChannelError::MalformedFrame(what))?;
        self.take(len, what)
    }

    /// Succeeds only if every byte was consumed: trailing bytes are an error, not ignored.
    pub(crate) fn finish(self) -> Result<(), ChannelError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(ChannelError::MalformedFrame("trailing bytes"))
        }
    }
}

/// Appends big-endian fields to a buffer.
pub(crate) struct Writer {
    bytes: Vec<u8>,
}

impl Writer {
    pub(crate) fn with_capacity(capacity_bytes: usize) -> Self {
        Self {
            bytes: Vec::with_capacity(capacity_bytes),
        }
    }

    pub(crate) fn u8(&mut self, value: u8) -> &mut Self {
        self.bytes.push(value);
        self
    }

    pub(crate) fn bytes(&mut self, value: &[u8]) -> &mut Self {
        self.bytes.extend_from_slice(value);
        self
    }

    /// A `u32` length and the bytes; fails if `value` cannot be described by a `u32`.
    pub(crate) fn length_prefixed(&mut self, value: &[u8]) -> Result<&mut Self, ChannelError> {
        let len = u32::try_from(value.len())
            .map_err(|_| ChannelError::MalformedFrame("field longer than 4 GiB"))?;
        self.bytes.extend_from_slice(&len.to_be_bytes());
        self.bytes.extend_from_slice(value);
        Ok(self)
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}
