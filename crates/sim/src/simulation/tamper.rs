//! Deliberate bugs the simulator can plant between the engine and its environment, to prove
//! the invariant checks catch what they claim to. The engine itself is never modified.

/// A planted bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tamper {
    /// The network answers every AppendEntries with a forged success ACK from its target, as
    /// if the follower had stored and persisted the entries.
    FabricateAcks,
    /// The disk acknowledges every write at once, before it is durable.
    AckBeforeDurable,
    /// The network flips a byte in the payload of the last entry of every AppendEntries it
    /// delivers to one node, so that node's log silently diverges.
    CorruptEntries,
    /// The disk acknowledges the hard state (term and vote) at once but writes it only after
    /// the writes queued before it, so a crash can lose a vote or term the node already sent.
    LazyHardState,
    /// Every node answers reads with the value from before the key's latest write.
    StaleReads,
}
