//! Subscriptions: topic prefixes and what holds each (a reference count on a
//! SUB, the set of subscribed pipes on a PUB), in a radix tree.
//!
//! Matching a message walks the tree once along its first frame, comparing
//! each byte at most once: the cost is bounded by the topic's length,
//! whatever the number or the lengths of the subscriptions (a flat map of
//! prefixes costs a hash per distinct subscription length, which a peer can
//! make quadratic).

use bytes::Bytes;

/// One node: the bytes on the edge that leads to it, the value of the
/// prefix ending here (if subscribed), and children by their first byte.
#[derive(Debug, Clone)]
struct Node<V> {
    edge: Bytes,
    value: Option<V>,
    /// Sorted by the first byte of their edge (never empty for a child).
    children: Vec<Node<V>>,
}

impl<V> Node<V> {
    fn branch(edge: Bytes) -> Node<V> {
        Node {
            edge,
            value: None,
            children: Vec::new(),
        }
    }

    fn child_pos(&self, first: u8) -> Result<usize, usize> {
        self.children
            .binary_search_by_key(&first, |c| c.edge.first().copied().unwrap_or(0))
    }
}

/// Prefixes mapped to a value, with "which prefixes of this data are
/// present" lookups in one walk.
#[derive(Debug, Clone)]
pub(crate) struct PrefixMap<V> {
    root: Node<V>,
    len: usize,
}

impl<V> Default for PrefixMap<V> {
    fn default() -> Self {
        PrefixMap {
            root: Node::branch(Bytes::new()),
            len: 0,
        }
    }
}

/// Length of the common prefix of `a` and `b`.
fn common(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

impl<V> PrefixMap<V> {
    /// The value for `prefix`, created with `make` if absent. The key is
    /// copied into the tree's own storage (never a slice of a larger
    /// buffer the peer sent).
    pub(crate) fn entry(&mut self, prefix: &[u8], make: impl FnOnce() -> V) -> &mut V {
        let mut node = &mut self.root;
        let mut rest = prefix;
        loop {
            if rest.is_empty() {
                if node.value.is_none() {
                    self.len += 1;
                }
                return node.value.get_or_insert_with(make);
            }
            let first = rest[0];
            match node.child_pos(first) {
                Err(pos) => {
                    node.children
                        .insert(pos, Node::branch(Bytes::copy_from_slice(rest)));
                    self.len += 1;
                    return node.children[pos].value.get_or_insert_with(make);
                }
                Ok(pos) => {
                    let shared = common(&node.children[pos].edge, rest);
                    if shared < node.children[pos].edge.len() {
                        // Split the edge: a new inner node holds the shared
                        // part, the old child keeps the rest.
                        let old = &mut node.children[pos];
                        let tail = old.edge.slice(shared..);
                        let head = old.edge.slice(..shared);
                        let moved = Node {
                            edge: tail,
                            value: old.value.take(),
                            children: std::mem::take(&mut old.children),
                        };
                        old.edge = head;
                        old.children.push(moved);
                    }
                    node = &mut node.children[pos];
                    rest = &rest[shared..];
                }
            }
        }
    }

    /// The value for `prefix`.
    pub(crate) fn get_mut(&mut self, prefix: &[u8]) -> Option<&mut V> {
        let mut node = &mut self.root;
        let mut rest = prefix;
        loop {
            if rest.is_empty() {
                return node.value.as_mut();
            }
            let pos = node.child_pos(rest[0]).ok()?;
            let child = &mut node.children[pos];
            if !rest.starts_with(&child.edge) {
                return None;
            }
            rest = &rest[child.edge.len()..];
            node = child;
        }
    }

    /// Remove `prefix`, pruning nodes that no longer lead anywhere.
    pub(crate) fn remove(&mut self, prefix: &[u8]) -> Option<V> {
        let v = remove_in(&mut self.root, prefix)?;
        self.len -= 1;
        Some(v)
    }

    /// Every key that is a prefix of `data` (shortest first), with its
    /// value, passed to `f`.
    pub(crate) fn for_each_match(&self, data: &[u8], mut f: impl FnMut(&V)) {
        let mut node = &self.root;
        let mut rest = data;
        loop {
            if let Some(v) = &node.value {
                f(v);
            }
            let Some(&first) = rest.first() else {
                return;
            };
            let Ok(pos) = node.child_pos(first) else {
                return;
            };
            let child = &node.children[pos];
            if !rest.starts_with(&child.edge) {
                return;
            }
            rest = &rest[child.edge.len()..];
            node = child;
        }
    }

    /// Is some key a prefix of `data`?
    pub(crate) fn any_match(&self, data: &[u8]) -> bool {
        let mut found = false;
        self.for_each_match(data, |_| found = true);
        found
    }

    /// Every key with its value.
    pub(crate) fn iter(&self) -> Vec<(Bytes, &V)> {
        let mut out = Vec::with_capacity(self.len);
        collect(&self.root, &mut Vec::new(), &mut out);
        out
    }

    /// Number of keys.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// No keys.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }
}

fn remove_in<V>(node: &mut Node<V>, rest: &[u8]) -> Option<V> {
    if rest.is_empty() {
        return node.value.take();
    }
    let pos = node.child_pos(rest[0]).ok()?;
    let child = &mut node.children[pos];
    if !rest.starts_with(&child.edge) {
        return None;
    }
    let skip = child.edge.len();
    let v = remove_in(child, &rest[skip..])?;
    // Prune or merge the child if it became useless.
    if child.value.is_none() {
        match child.children.len() {
            0 => {
                node.children.remove(pos);
            }
            1 => {
                let only = child.children.remove(0);
                let mut edge = Vec::with_capacity(child.edge.len() + only.edge.len());
                edge.extend_from_slice(&child.edge);
                edge.extend_from_slice(&only.edge);
                child.edge = Bytes::from(edge);
                child.value = only.value;
                child.children = only.children;
            }
            _ => {}
        }
    }
    Some(v)
}

fn collect<'a, V>(node: &'a Node<V>, path: &mut Vec<u8>, out: &mut Vec<(Bytes, &'a V)>) {
    path.extend_from_slice(&node.edge);
    if let Some(v) = &node.value {
        out.push((Bytes::copy_from_slice(path), v));
    }
    for c in &node.children {
        collect(c, path, out);
    }
    path.truncate(path.len() - node.edge.len());
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickcheck::quickcheck;

    fn matches(m: &PrefixMap<Vec<u8>>, data: &[u8]) -> Vec<Vec<u8>> {
        let mut got = Vec::new();
        m.for_each_match(data, |k| got.push(k.clone()));
        got
    }

    #[test]
    fn empty_prefix_matches_everything_and_edges_split_and_merge() {
        let mut m: PrefixMap<Vec<u8>> = PrefixMap::default();
        m.entry(b"abcd", || b"abcd".to_vec());
        m.entry(b"ab", || b"ab".to_vec());
        m.entry(b"abx", || b"abx".to_vec());
        assert_eq!(matches(&m, b"abcde"), [b"ab".to_vec(), b"abcd".to_vec()]);
        assert!(!m.any_match(b"a"));
        m.entry(b"", Vec::new);
        assert!(m.any_match(b""));
        assert_eq!(m.len(), 4);
        assert_eq!(m.remove(b"ab"), Some(b"ab".to_vec()));
        assert_eq!(m.remove(b"ab"), None);
        assert_eq!(matches(&m, b"abcd"), [b"".to_vec(), b"abcd".to_vec()]);
        m.remove(b"");
        m.remove(b"abx");
        m.remove(b"abcd");
        assert!(m.is_empty());
        assert!(!m.any_match(b"abcd"));
        assert!(m.root.children.is_empty(), "every node pruned");
    }

    #[test]
    fn keys_are_copied_out_of_the_peers_buffer() {
        let big = Bytes::from(vec![7u8; 65536]);
        let mut m: PrefixMap<()> = PrefixMap::default();
        m.entry(&big[..8], || ());
        drop(big);
        // The tree's edge owns 8 bytes, not a view of the 64 KiB buffer.
        assert_eq!(m.iter()[0].0.len(), 8);
        assert!(m.root.children[0].edge.len() == 8);
    }

    quickcheck! {
        fn agrees_with_a_linear_scan(keys: Vec<Vec<u8>>, data: Vec<u8>, drop: Vec<usize>) -> bool {
            let mut m: PrefixMap<Vec<u8>> = PrefixMap::default();
            let mut model: Vec<Vec<u8>> = Vec::new();
            for k in keys.iter().map(|k| k.iter().take(5).map(|b| b % 3).collect::<Vec<u8>>()) {
                m.entry(&k, || k.clone());
                if !model.contains(&k) {
                    model.push(k);
                }
            }
            for i in drop {
                if model.is_empty() {
                    break;
                }
                let k = model.remove(i % model.len());
                if m.remove(&k) != Some(k.clone()) {
                    return false;
                }
            }
            let data: Vec<u8> = data.iter().take(7).map(|b| b % 3).collect();
            let got = matches(&m, &data);
            let mut want: Vec<Vec<u8>> = model.iter().filter(|k| data.starts_with(k)).cloned().collect();
            want.sort_by_key(Vec::len);
            let mut all: Vec<Vec<u8>> = m.iter().into_iter().map(|(k, v)| {
                assert_eq!(&k[..], &v[..]);
                k.to_vec()
            }).collect();
            all.sort();
            let mut keys = model.clone();
            keys.sort();
            let gets = model.iter().all(|k| m.get_mut(k).map(|v| v.clone()) == Some(k.clone()));
            got == want && all == keys && m.len() == model.len() && gets
        }
    }
}
