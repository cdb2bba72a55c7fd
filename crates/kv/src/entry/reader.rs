//! A bounds-checked little-endian cursor: every read either succeeds or names the field that
//! ran past the end, so decoding untrusted entries cannot panic.

use crate::error::KvError;

pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    pub(crate) fn remaining_bytes(&self) -> u64 {
        self.bytes.len() as u64
    }

    pub(crate) fn take(
        &mut self,
        size_bytes: u64,
        field: &'static str,
    ) -> Result<&'a [u8], KvError> {
        let truncated = || KvError::Truncated {
            field,
            needed_bytes: size_bytes,
            available_bytes: self.remaining_bytes(),
        };
        let n = usize::try_from(size_bytes).map_err(|_| truncated())?;
        if n > self.bytes.len() {
            return Err(truncated());
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    pub(crate) fn array<const N: usize>(
        &mut self,
        field: &'static str,
    ) -> Result<[u8; N], KvError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N as u64, field)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, KvError> {
        Ok(self.array::<1>(field)?[0])
    }

    pub(crate) fn u64(&mut self, field: &'static str) -> Result<u64, KvError> {
        Ok(u64::from_le_bytes(self.array(field)?))
    }

    /// A u64 length prefix followed by that many bytes.
    pub(crate) fn sized(&mut self, field: &'static str) -> Result<&'a [u8], KvError> {
        let size_bytes = self.u64(field)?;
        self.take(size_bytes, field)
    }
}
