//! Write sets: what one transaction changed, per map. Ordered exactly as CCF's serialiser walks
//! them (maps by name in byte order, keys in byte order) so that encoding is a straight walk and
//! every node produces identical entry bytes for identical transactions.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;

/// Prefix that makes a map public (plaintext in the ledger); every other map is private.
pub const PUBLIC_MAP_PREFIX: &str = "public:";

/// A map name; shared so that transactions and the store do not copy names per write.
pub type MapName = Arc<str>;

/// Whether a map with this name is stored in the public (plaintext) domain.
pub fn is_public_map(name: &str) -> bool {
    name.starts_with(PUBLIC_MAP_PREFIX)
}

/// The changes to one map: each key is either written (`Some(value)`) or removed (`None`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MapWrites {
    changes: BTreeMap<Bytes, Option<Bytes>>,
}

impl MapWrites {
    /// Records a write, replacing any earlier change to the key.
    pub fn put(&mut self, key: Bytes, value: Bytes) {
        self.changes.insert(key, Some(value));
    }

    /// Records a removal, replacing any earlier change to the key.
    pub fn remove(&mut self, key: Bytes) {
        self.changes.insert(key, None);
    }

    /// The change to `key`: `Some(Some(v))` written, `Some(None)` removed, `None` untouched.
    pub fn get(&self, key: &[u8]) -> Option<Option<&Bytes>> {
        self.changes.get(key).map(Option::as_ref)
    }

    /// Every change in key order (`None` = removal).
    pub fn changes(&self) -> impl DoubleEndedIterator<Item = (&Bytes, Option<&Bytes>)> {
        self.changes.iter().map(|(k, v)| (k, v.as_ref()))
    }

    /// Changes whose keys fall in `range`, in key order.
    pub fn changes_in<'a>(
        &'a self,
        range: (std::ops::Bound<&'a [u8]>, std::ops::Bound<&'a [u8]>),
    ) -> impl Iterator<Item = (&'a Bytes, Option<&'a Bytes>)> {
        self.changes
            .range::<[u8], _>(range)
            .map(|(k, v)| (k, v.as_ref()))
    }

    /// Written keys and values in key order.
    pub fn writes(&self) -> impl Iterator<Item = (&Bytes, &Bytes)> {
        self.changes
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
    }

    /// Removed keys in key order.
    pub fn removes(&self) -> impl Iterator<Item = &Bytes> {
        self.changes
            .iter()
            .filter_map(|(k, v)| v.is_none().then_some(k))
    }

    /// Number of written keys.
    pub fn write_count(&self) -> usize {
        self.changes.values().filter(|v| v.is_some()).count()
    }

    /// Number of removed keys.
    pub fn remove_count(&self) -> usize {
        self.changes.len() - self.write_count()
    }

    /// Number of changed keys (writes and removes).
    pub fn len(&self) -> usize {
        self.changes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// All changes of one transaction, per map, maps in name (byte) order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteSet {
    maps: BTreeMap<MapName, MapWrites>,
}

impl WriteSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `key → value` in `map`.
    pub fn put(&mut self, map: &str, key: impl Into<Bytes>, value: impl Into<Bytes>) {
        self.map_mut(map).put(key.into(), value.into());
    }

    /// Records the removal of `key` from `map`.
    pub fn remove(&mut self, map: &str, key: impl Into<Bytes>) {
        self.map_mut(map).remove(key.into());
    }

    /// The changes to `map`, created empty if absent. An empty map is still encoded, as a map
    /// with no writes and no removes.
    pub fn map_mut(&mut self, map: &str) -> &mut MapWrites {
        self.maps.entry(Arc::from(map)).or_default()
    }

    /// Like [`WriteSet::map_mut`] but reuses an existing shared name.
    pub(crate) fn map_mut_named(&mut self, map: &MapName) -> &mut MapWrites {
        self.maps.entry(Arc::clone(map)).or_default()
    }

    /// Adds a whole map; returns the map it replaced, if any.
    pub(crate) fn insert_map(&mut self, name: MapName, writes: MapWrites) -> Option<MapWrites> {
        self.maps.insert(name, writes)
    }

    /// The shared name of `map`, if present.
    pub(crate) fn map_name(&self, map: &str) -> Option<&MapName> {
        self.maps.get_key_value(map).map(|(name, _)| name)
    }

    /// The changes to `map`, if any.
    pub fn map(&self, map: &str) -> Option<&MapWrites> {
        self.maps.get(map)
    }

    /// Every map in name order.
    pub fn maps(&self) -> impl Iterator<Item = (&MapName, &MapWrites)> {
        self.maps.iter()
    }

    /// Public maps in name order: the public domain of an entry.
    pub fn public_maps(&self) -> impl Iterator<Item = (&MapName, &MapWrites)> {
        self.maps.iter().filter(|(name, _)| is_public_map(name))
    }

    /// Private maps in name order: the (encrypted) private domain of an entry.
    pub fn private_maps(&self) -> impl Iterator<Item = (&MapName, &MapWrites)> {
        self.maps.iter().filter(|(name, _)| !is_public_map(name))
    }

    /// Merges `other` into `self`; `other`'s changes win. Used to join the public and private
    /// halves of a decoded entry.
    pub fn extend(&mut self, other: WriteSet) {
        for (name, writes) in other.maps {
            let target = self.maps.entry(name).or_default();
            target.changes.extend(writes.changes);
        }
    }

    /// True when no map is present (an empty map still counts as present).
    pub fn is_empty(&self) -> bool {
        self.maps.is_empty()
    }

    /// Total number of changed keys over all maps.
    pub fn change_count(&self) -> usize {
        self.maps.values().map(MapWrites::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_split_by_prefix_and_sort_by_name() {
        let mut ws = WriteSet::new();
        ws.put("zeta", &b"k"[..], &b"v"[..]);
        ws.put("public:b", &b"k"[..], &b"v"[..]);
        ws.remove("public:a", &b"gone"[..]);
        ws.put("alpha", &b"k"[..], &b"v"[..]);
        let public: Vec<&str> = ws.public_maps().map(|(n, _)| &**n).collect();
        let private: Vec<&str> = ws.private_maps().map(|(n, _)| &**n).collect();
        assert_eq!(public, ["public:a", "public:b"]);
        assert_eq!(private, ["alpha", "zeta"]);
    }

    #[test]
    fn last_change_to_a_key_wins() {
        let mut ws = WriteSet::new();
        ws.put("m", &b"k"[..], &b"1"[..]);
        ws.remove("m", &b"k"[..]);
        ws.put("m", &b"j"[..], &b"2"[..]);
        let m = ws.map("m").unwrap();
        assert_eq!(m.get(b"k"), Some(None));
        assert_eq!(m.write_count(), 1);
        assert_eq!(m.remove_count(), 1);
        assert_eq!(ws.change_count(), 2);
    }
}
