//! A transaction: reads from an immutable snapshot, buffers writes, and records what it read so
//! the store can check at commit that nothing it read has changed since (optimistic
//! concurrency). Nothing here takes a lock.

use std::cmp::Ordering;
use std::ops::Bound;
use std::sync::Arc;

use bytes::Bytes;

use crate::error::KvError;
use crate::state::{MapState, State, VersionedValue};
use crate::txid::TxId;
use crate::write_set::{MapName, MapWrites, WriteSet};
use quorate_crypto::Sha256Digest;

/// An application claims digest, bound into the ledger leaf; 32 zero bytes when unset.
pub type ClaimsDigest = Sha256Digest;

/// A key range over raw key bytes.
pub type KeyRange<'a> = (Bound<&'a [u8]>, Bound<&'a [u8]>);

/// A single-key read and the version it saw (`None`: the key was absent).
struct PointRead {
    map: MapName,
    key: Bytes,
    version: Option<u64>,
}

/// A scan; every key in the range counts as read, including keys that were absent.
struct RangeRead {
    map: MapName,
    lower: Bound<Bytes>,
    upper: Bound<Bytes>,
}

/// A transaction over the snapshot taken by [`crate::Store::begin`].
pub struct Tx {
    snapshot: State,
    read_version: TxId,
    rollback_epoch: u64,
    point_reads: Vec<PointRead>,
    range_reads: Vec<RangeRead>,
    writes: WriteSet,
    claims_digest: ClaimsDigest,
}

/// Shows sizes only: the snapshot and writes may hold private-map data.
impl std::fmt::Debug for Tx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tx")
            .field("read_version", &self.read_version)
            .field("point_reads", &self.point_reads.len())
            .field("range_reads", &self.range_reads.len())
            .field("changes", &self.writes.change_count())
            .finish_non_exhaustive()
    }
}

/// An empty transaction over an empty snapshot at 0.0, attached to no store: what a caller
/// leaves behind (`std::mem::take`) while it lends the real transaction to code that must own
/// it, such as a JS handler. Committing it to a store conflicts or writes nothing.
impl Default for Tx {
    fn default() -> Self {
        Self::new(State::default(), TxId::default(), 0)
    }
}

impl Tx {
    pub(crate) fn new(snapshot: State, read_version: TxId, rollback_epoch: u64) -> Self {
        Self {
            snapshot,
            read_version,
            rollback_epoch,
            point_reads: Vec::new(),
            range_reads: Vec::new(),
            writes: WriteSet::new(),
            claims_digest: [0u8; 32],
        }
    }

    /// The version this transaction reads from.
    pub fn read_version(&self) -> TxId {
        self.read_version
    }

    /// The value of `key` in `map`, including this transaction's own writes.
    pub fn get(&mut self, map: &str, key: &[u8]) -> Option<Bytes> {
        if let Some(change) = self.own_change(map, key) {
            return change.cloned();
        }
        self.read_snapshot(map, key).map(|v| v.value.clone())
    }

    /// Whether `key` is present in `map`, including this transaction's own writes.
    pub fn has(&mut self, map: &str, key: &[u8]) -> bool {
        if let Some(change) = self.own_change(map, key) {
            return change.is_some();
        }
        self.read_snapshot(map, key).is_some()
    }

    /// The seqno of the last committed write to `key` as of this snapshot (CCF's
    /// `get_version_of_previous_write`); `None` if absent. Ignores this transaction's own writes.
    pub fn get_version_of_previous_write(&mut self, map: &str, key: &[u8]) -> Option<u64> {
        self.read_snapshot(map, key).map(|v| v.version)
    }

    /// Writes `key → value`. Blind: never causes a conflict by itself.
    pub fn put(&mut self, map: &str, key: impl Into<Bytes>, value: impl Into<Bytes>) {
        let name = self.shared_name(map);
        self.writes
            .map_mut_named(&name)
            .put(key.into(), value.into());
    }

    /// Removes `key` (whether or not it exists, as CCF does). Blind, like [`Tx::put`].
    pub fn remove(&mut self, map: &str, key: impl Into<Bytes>) {
        let name = self.shared_name(map);
        self.writes.map_mut_named(&name).remove(key.into());
    }

    /// Removes every key of `map` (CCF's `clear`): reads the whole map, then removes what it
    /// read.
    pub fn clear(&mut self, map: &str) {
        let mut keys = Vec::new();
        self.foreach(map, |key, _| {
            keys.push(Bytes::copy_from_slice(key));
            true
        });
        for key in keys {
            self.remove(map, key);
        }
    }

    /// Visits the entries of `map` within `range` in key order until `visit` returns false.
    /// The visited part of the range is recorded as read.
    pub fn foreach_in(
        &mut self,
        map: &str,
        range: KeyRange<'_>,
        mut visit: impl FnMut(&[u8], &[u8]) -> bool,
    ) {
        if range_is_empty(range) {
            return;
        }
        let mut stopped_at = None;
        for (key, value) in merged(self.snapshot.map(map), self.writes.map(map), range) {
            if !visit(key, value) {
                stopped_at = Some(Bytes::copy_from_slice(key));
                break;
            }
        }
        let upper = match stopped_at {
            Some(key) => Bound::Included(key),
            None => owned_bound(range.1),
        };
        let read = RangeRead {
            map: self.shared_name(map),
            lower: owned_bound(range.0),
            upper,
        };
        self.range_reads.push(read);
    }

    /// Visits every entry of `map` in key order until `visit` returns false.
    pub fn foreach(&mut self, map: &str, visit: impl FnMut(&[u8], &[u8]) -> bool) {
        self.foreach_in(map, (Bound::Unbounded, Bound::Unbounded), visit);
    }

    /// The entries of `map` within `range`, in key order.
    pub fn range(&mut self, map: &str, range: KeyRange<'_>) -> Vec<(Bytes, Bytes)> {
        let mut out = Vec::new();
        self.foreach_in(map, range, |k, v| {
            out.push((Bytes::copy_from_slice(k), Bytes::copy_from_slice(v)));
            true
        });
        out
    }

    /// Number of keys in `map`, including this transaction's own writes. Reads the whole map.
    pub fn size(&mut self, map: &str) -> usize {
        let snapshot = self.snapshot.map(map);
        let base = snapshot.map_or(0, MapState::len);
        let (added, removed) = self.writes.map(map).map_or((0, 0), |writes| {
            writes
                .changes()
                .fold((0, 0), |(added, removed), (key, change)| {
                    let existed = snapshot.is_some_and(|m| m.contains_key(key.as_ref()));
                    match (existed, change.is_some()) {
                        (false, true) => (added + 1, removed),
                        (true, false) => (added, removed + 1),
                        _ => (added, removed),
                    }
                })
        });
        let read = RangeRead {
            map: self.shared_name(map),
            lower: Bound::Unbounded,
            upper: Bound::Unbounded,
        };
        self.range_reads.push(read);
        base + added - removed
    }

    /// Sets the claims digest bound into this transaction's ledger entry.
    pub fn set_claims_digest(&mut self, digest: ClaimsDigest) {
        self.claims_digest = digest;
    }

    /// Drops every write and the claims digest, so committing records nothing: what CCF does
    /// with a handler that answered with an error.
    pub fn discard_writes(&mut self) {
        self.writes = WriteSet::new();
        self.claims_digest = [0u8; 32];
    }

    pub fn claims_digest(&self) -> &ClaimsDigest {
        &self.claims_digest
    }

    /// The changes buffered so far.
    pub fn write_set(&self) -> &WriteSet {
        &self.writes
    }

    /// True if the transaction has written nothing, so committing it makes no new version.
    pub fn is_read_only(&self) -> bool {
        self.writes.is_empty()
    }

    pub(crate) fn rollback_epoch(&self) -> u64 {
        self.rollback_epoch
    }

    /// Checks every recorded read against `current`: the transaction may commit only if each
    /// read would return the same result now, which makes commit order a valid serial order.
    pub(crate) fn validate(&self, current: &State) -> Result<(), KvError> {
        let conflict = |map: &MapName| KvError::Conflict {
            map: map.to_string(),
            read_version: self.read_version.seqno,
        };
        for read in &self.point_reads {
            if same_map(self.snapshot.map(&read.map), current.map(&read.map)) {
                continue;
            }
            let now = current.get(&read.map, &read.key).map(|v| v.version);
            if now != read.version {
                return Err(conflict(&read.map));
            }
        }
        for read in &self.range_reads {
            let before = self.snapshot.map(&read.map);
            let now = current.map(&read.map);
            if same_map(before, now) {
                continue;
            }
            let range = (bound_ref(&read.lower), bound_ref(&read.upper));
            if range_is_empty(range) {
                continue;
            }
            if !range_versions(before, range).eq(range_versions(now, range)) {
                return Err(conflict(&read.map));
            }
        }
        Ok(())
    }

    /// Gives up the snapshot so the store's maps are unshared again (commits then update them
    /// in place) and hands over the changes.
    pub(crate) fn into_parts(self) -> (WriteSet, ClaimsDigest) {
        (self.writes, self.claims_digest)
    }

    fn own_change(&self, map: &str, key: &[u8]) -> Option<Option<&Bytes>> {
        self.writes.map(map).and_then(|m| m.get(key))
    }

    fn read_snapshot(&mut self, map: &str, key: &[u8]) -> Option<&VersionedValue> {
        let name = self.shared_name(map);
        let found = self.snapshot.map(map).and_then(|m| m.get_key_value(key));
        let read = match found {
            Some((k, v)) => PointRead {
                map: name,
                key: k.clone(),
                version: Some(v.version),
            },
            None => PointRead {
                map: name,
                key: Bytes::copy_from_slice(key),
                version: None,
            },
        };
        self.point_reads.push(read);
        found.map(|(_, v)| v)
    }

    /// The map's name as already shared by the snapshot or this transaction's writes, so a
    /// name is allocated at most once per new map.
    fn shared_name(&self, map: &str) -> MapName {
        match self
            .snapshot
            .map_name(map)
            .or_else(|| self.writes.map_name(map))
        {
            Some(name) => Arc::clone(name),
            None => Arc::from(map),
        }
    }
}

fn same_map(a: Option<&MapState>, b: Option<&MapState>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.ptr_eq(b),
        (None, None) => true,
        _ => false,
    }
}

/// True for ranges that contain no key; ordered-map range scans reject (panic on) some of them.
pub(crate) fn range_is_empty(range: KeyRange<'_>) -> bool {
    match range {
        (Bound::Included(lo), Bound::Included(hi)) => lo > hi,
        (Bound::Included(lo) | Bound::Excluded(lo), Bound::Excluded(hi))
        | (Bound::Excluded(lo), Bound::Included(hi)) => lo >= hi,
        _ => false,
    }
}

/// The (key, version) pairs of `map` within `range`: equal sequences mean an unchanged range.
fn range_versions<'a>(
    map: Option<&'a MapState>,
    range: KeyRange<'a>,
) -> impl Iterator<Item = (&'a [u8], u64)> {
    map.into_iter()
        .flat_map(move |m| m.range::<_, [u8]>(range))
        .map(|(k, v)| (k.as_ref(), v.version))
}

fn owned_bound(bound: Bound<&[u8]>) -> Bound<Bytes> {
    bound.map(Bytes::copy_from_slice)
}

fn bound_ref(bound: &Bound<Bytes>) -> Bound<&[u8]> {
    bound.as_ref().map(|b| b.as_ref())
}

/// The snapshot's entries overlaid with the transaction's own changes, in key order.
fn merged<'a>(
    snapshot: Option<&'a MapState>,
    own: Option<&'a MapWrites>,
    range: KeyRange<'a>,
) -> impl Iterator<Item = (&'a [u8], &'a [u8])> {
    let mut base = snapshot
        .into_iter()
        .flat_map(move |m| m.range::<_, [u8]>(range))
        .map(|(k, v)| (k.as_ref(), v.value.as_ref()))
        .peekable();
    let mut overlay = own
        .into_iter()
        .flat_map(move |m| m.changes_in(range))
        .map(|(k, v)| (k.as_ref(), v.map(|v| v.as_ref())))
        .peekable();
    std::iter::from_fn(move || {
        loop {
            let order = match (base.peek(), overlay.peek()) {
                (None, None) => return None,
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some((b, _)), Some((o, _))) => b.cmp(o),
            };
            match order {
                Ordering::Less => return base.next(),
                Ordering::Equal => {
                    base.next();
                }
                Ordering::Greater => {}
            }
            if let Some((key, Some(value))) = overlay.next() {
                return Some((key, value));
            }
        }
    })
}
