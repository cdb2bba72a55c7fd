//! The committed state at one version: persistent (structurally shared) maps, so a snapshot is
//! an O(1) clone and a commit copies only the tree paths it touches, and nothing at all when no
//! snapshot shares them.

use bytes::Bytes;
use imbl::OrdMap;

use crate::write_set::MapName;

/// A committed value and the seqno of the transaction that wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionedValue {
    pub version: u64,
    pub value: Bytes,
}

/// One map's contents, in key byte order.
pub type MapState = OrdMap<Bytes, VersionedValue>;

/// Every non-empty map, by name. Empty maps are dropped so that two states with the same
/// contents compare equal whatever their history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    maps: OrdMap<MapName, MapState>,
}

impl State {
    pub fn map(&self, name: &str) -> Option<&MapState> {
        self.maps.get(name)
    }

    /// The shared name of `name` if the map exists, so writers need not allocate one.
    pub fn map_name(&self, name: &str) -> Option<&MapName> {
        self.maps.get_key_value(name).map(|(k, _)| k)
    }

    pub fn get(&self, map: &str, key: &[u8]) -> Option<&VersionedValue> {
        self.maps.get(map).and_then(|m| m.get(key))
    }

    /// Every map in name order.
    pub fn maps(&self) -> impl Iterator<Item = (&MapName, &MapState)> {
        self.maps.iter()
    }

    /// Sets `key` in `map` and returns what it replaced.
    pub(crate) fn insert(
        &mut self,
        map: &MapName,
        key: Bytes,
        value: VersionedValue,
    ) -> Option<VersionedValue> {
        match self.maps.get_mut(&**map) {
            Some(m) => m.insert(key, value),
            None => {
                let mut m = MapState::new();
                m.insert(key, value);
                self.maps.insert(MapName::clone(map), m);
                None
            }
        }
    }

    /// Removes `key` from `map` and returns what was there.
    pub(crate) fn remove(&mut self, map: &str, key: &[u8]) -> Option<VersionedValue> {
        let m = self.maps.get_mut(map)?;
        let old = m.remove(key);
        if m.is_empty() {
            self.maps.remove(map);
        }
        old
    }

    /// Puts back what a change replaced (`None` = the key was absent).
    pub(crate) fn restore(&mut self, map: &MapName, key: Bytes, previous: Option<VersionedValue>) {
        match previous {
            Some(v) => {
                self.insert(map, key, v);
            }
            None => {
                self.remove(map, &key);
            }
        }
    }
}
