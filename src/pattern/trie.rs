//! Subscriptions: topic prefixes and what holds each (a reference count on a
//! SUB, the set of subscribed pipes on a PUB).
//!
//! Matching a message looks up only the prefix lengths that some
//! subscription has, so its cost is one hash lookup per distinct subscription
//! length, whatever the number of subscriptions.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;

/// Prefixes mapped to a value, with fast "which prefixes of this data are
/// present" lookups.
#[derive(Debug, Clone)]
pub(crate) struct PrefixMap<V> {
    map: HashMap<Bytes, V>,
    /// How many keys have each length.
    lens: BTreeMap<usize, usize>,
}

impl<V> Default for PrefixMap<V> {
    fn default() -> Self {
        PrefixMap {
            map: HashMap::new(),
            lens: BTreeMap::new(),
        }
    }
}

impl<V> PrefixMap<V> {
    /// The value for `prefix`, created with `make` if absent.
    pub(crate) fn entry(&mut self, prefix: Bytes, make: impl FnOnce() -> V) -> &mut V {
        let len = prefix.len();
        let lens = &mut self.lens;
        self.map.entry(prefix).or_insert_with(|| {
            *lens.entry(len).or_insert(0) += 1;
            make()
        })
    }

    /// The value for `prefix`.
    pub(crate) fn get_mut(&mut self, prefix: &[u8]) -> Option<&mut V> {
        self.map.get_mut(prefix)
    }

    /// Remove `prefix`.
    pub(crate) fn remove(&mut self, prefix: &[u8]) -> Option<V> {
        let v = self.map.remove(prefix)?;
        if let Some(n) = self.lens.get_mut(&prefix.len()) {
            *n -= 1;
            if *n == 0 {
                self.lens.remove(&prefix.len());
            }
        }
        Some(v)
    }

    /// Every prefix of `data` that is a key, shortest first.
    pub(crate) fn matches<'a>(
        &'a self,
        data: &'a [u8],
    ) -> impl Iterator<Item = (&'a Bytes, &'a V)> + 'a {
        self.lens
            .keys()
            .take_while(move |&&len| len <= data.len())
            .filter_map(move |&len| self.map.get_key_value(data.get(..len)?))
    }

    /// Is some key a prefix of `data`?
    pub(crate) fn any_match(&self, data: &[u8]) -> bool {
        self.matches(data).next().is_some()
    }

    /// Every key and value.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&Bytes, &V)> {
        self.map.iter()
    }

    /// Keep only the entries for which `keep` returns true.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&Bytes, &mut V) -> bool) {
        let lens = &mut self.lens;
        self.map.retain(|k, v| {
            let kept = keep(k, v);
            if !kept {
                if let Some(n) = lens.get_mut(&k.len()) {
                    *n -= 1;
                    if *n == 0 {
                        lens.remove(&k.len());
                    }
                }
            }
            kept
        });
    }

    /// Number of keys.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// No keys.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickcheck::quickcheck;

    #[test]
    fn empty_prefix_matches_everything_and_lengths_are_tracked() {
        let mut m: PrefixMap<u32> = PrefixMap::default();
        *m.entry(Bytes::from_static(b"ab"), || 0) += 1;
        assert!(m.any_match(b"abc"));
        assert!(!m.any_match(b"a"));
        *m.entry(Bytes::new(), || 0) += 1;
        assert!(m.any_match(b""));
        assert!(m.any_match(b"zz"));
        let found: Vec<_> = m.matches(b"abz").map(|(k, _)| k.clone()).collect();
        assert_eq!(found, [Bytes::new(), Bytes::from_static(b"ab")]);
        m.remove(b"");
        m.remove(b"ab");
        assert!(m.is_empty());
        assert!(!m.any_match(b"abc"));
    }

    quickcheck! {
        fn matches_agree_with_a_linear_scan(keys: Vec<Vec<u8>>, data: Vec<u8>, drop: Vec<usize>) -> bool {
            let mut m: PrefixMap<()> = PrefixMap::default();
            let mut model: Vec<Vec<u8>> = Vec::new();
            for k in keys.iter().map(|k| k.iter().take(4).map(|b| b % 3).collect::<Vec<u8>>()) {
                m.entry(Bytes::from(k.clone()), || ());
                if !model.contains(&k) {
                    model.push(k);
                }
            }
            for i in drop {
                if model.is_empty() {
                    break;
                }
                let k = model.remove(i % model.len());
                m.remove(&k);
            }
            let data: Vec<u8> = data.iter().take(6).map(|b| b % 3).collect();
            let mut got: Vec<Vec<u8>> = m.matches(&data).map(|(k, _)| k.to_vec()).collect();
            let mut want: Vec<Vec<u8>> = model.into_iter().filter(|k| data.starts_with(k)).collect();
            got.sort();
            want.sort();
            got == want && m.len() == m.iter().count()
        }
    }
}
