//! One domain's map sections. Both domains use the same per-map layout: name, read version
//! (unused, 0), read count (0 in ledgers), writes, then removes; keys and values are u64
//! length-prefixed raw bytes. CCF writes maps in name order and keys in byte order, and so do we.

use std::sync::Arc;

use bytes::Bytes;

use crate::entry::reader::Reader;
use crate::error::KvError;
use crate::write_set::{MapName, MapWrites, WriteSet, is_public_map};

/// Which domain a section belongs to: public maps must be in the public domain and private
/// maps in the private one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Domain {
    Public,
    Private,
}

/// Bytes [`encode_maps`] will append for `maps`.
pub(crate) fn maps_size_bytes<'a>(
    maps: impl Iterator<Item = (&'a MapName, &'a MapWrites)>,
) -> usize {
    maps.map(|(name, writes)| {
        let changes: usize = writes
            .changes()
            .map(|(k, v)| 8 + k.len() + v.map_or(0, |v| 8 + v.len()))
            .sum();
        8 + name.len() + 8 * 4 + changes
    })
    .sum()
}

pub(crate) fn encode_maps<'a>(
    out: &mut Vec<u8>,
    maps: impl Iterator<Item = (&'a MapName, &'a MapWrites)>,
) {
    for (name, writes) in maps {
        put_sized(out, name.as_bytes());
        out.extend_from_slice(&0u64.to_le_bytes());
        out.extend_from_slice(&0u64.to_le_bytes());
        out.extend_from_slice(&(writes.write_count() as u64).to_le_bytes());
        for (key, value) in writes.writes() {
            put_sized(out, key);
            put_sized(out, value);
        }
        out.extend_from_slice(&(writes.remove_count() as u64).to_le_bytes());
        for key in writes.removes() {
            put_sized(out, key);
        }
    }
}

fn put_sized(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    out.extend_from_slice(bytes);
}

/// Reads map sections until the domain ends. A key both written and removed ends up removed
/// (as in CCF's Python reader); a map appearing twice or in the wrong domain, a non-UTF-8 name
/// and a non-zero read count are rejected as malformed.
pub(crate) fn decode_maps(reader: &mut Reader<'_>, domain: Domain) -> Result<WriteSet, KvError> {
    let mut write_set = WriteSet::new();
    while !reader.is_empty() {
        let raw_name = reader.sized("map name")?;
        let name = std::str::from_utf8(raw_name)
            .map_err(|_| KvError::Malformed("map name is not UTF-8".into()))?;
        if is_public_map(name) != (domain == Domain::Public) {
            return Err(KvError::Malformed(format!(
                "map {name:?} in the {domain:?} domain"
            )));
        }
        reader.u64("read version")?;
        let read_count = reader.u64("read count")?;
        if read_count != 0 {
            return Err(KvError::Malformed(format!(
                "map {name:?} has {read_count} reads"
            )));
        }
        let mut writes = MapWrites::default();
        let write_count = reader.u64("write count")?;
        for _ in 0..write_count {
            let key = Bytes::copy_from_slice(reader.sized("written key")?);
            let value = Bytes::copy_from_slice(reader.sized("written value")?);
            writes.put(key, value);
        }
        let remove_count = reader.u64("remove count")?;
        for _ in 0..remove_count {
            writes.remove(Bytes::copy_from_slice(reader.sized("removed key")?));
        }
        if write_set.insert_map(Arc::from(name), writes).is_some() {
            return Err(KvError::Malformed(format!("map {name:?} appears twice")));
        }
    }
    Ok(write_set)
}
