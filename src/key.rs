//! Typed keys with a generation: an index into a slab plus a counter that
//! changes whenever the slot is reused, so a stale key never reaches a new
//! occupant (the ABA guard h2's stream store uses).

use std::fmt;

macro_rules! key_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub(crate) struct $name {
            index: u32,
            gen: u32,
        }

        impl $name {
            /// A key for slab slot `index` in generation `gen`.
            pub(crate) fn new(index: usize, gen: u32) -> $name {
                $name {
                    // Slabs here never approach 2^32 entries: every entry is
                    // a pipe or a connection, each holding a descriptor or
                    // memory; saturate rather than wrap if one ever did.
                    index: u32::try_from(index).unwrap_or(u32::MAX),
                    gen,
                }
            }

            /// The slab slot.
            pub(crate) fn index(self) -> usize {
                self.index as usize
            }

            /// The slot's generation this key was made for.
            #[allow(dead_code)] // not every key type reads it back
            pub(crate) fn gen(self) -> u32 {
                self.gen
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({}.{})", stringify!($name), self.index, self.gen)
            }
        }
    };
}

key_type!(
    /// One pipe of one socket (a slot in its pipe slab).
    PipeKey
);
key_type!(
    /// One connection of the engine.
    ConnKey
);

/// A generation counter for slab slots: starts at 1 and skips 0 on wrap.
#[derive(Debug, Default, Clone)]
pub(crate) struct Generations {
    last: u32,
}

impl Generations {
    /// The next generation.
    pub(crate) fn next(&mut self) -> u32 {
        self.last = self.last.wrapping_add(1).max(1);
        self.last
    }
}
