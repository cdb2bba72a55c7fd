//! The doubly-linked list of call and return events the Wing–Gong search walks. Linearizing an
//! operation unlinks its call and return; backtracking relinks them in reverse order, which the
//! stale links in the unlinked nodes make O(1) ("dancing links").

/// Marks the end of the list.
const NIL: usize = usize::MAX;
/// The sentinel node in front of the first event.
pub(super) const HEAD: usize = 0;

#[derive(Clone, Debug)]
struct Node {
    /// Local index of the operation (position in the partition).
    op: usize,
    is_call: bool,
    /// The call's return node, or the return's call node.
    partner: usize,
    prev: usize,
    next: usize,
}

/// Events of one partition ordered by time, calls before returns at equal times so that
/// touching intervals are concurrent.
pub(super) struct EntryList {
    nodes: Vec<Node>,
}

/// An event as seen by the search.
#[derive(Clone, Copy, Debug)]
pub(super) struct Entry {
    pub(super) op: usize,
    pub(super) is_call: bool,
}

impl EntryList {
    /// Builds the list from each operation's `(invoke, return)` times.
    pub(super) fn new(intervals: &[(u64, u64)]) -> Self {
        let mut events: Vec<(u64, bool, usize)> = intervals
            .iter()
            .enumerate()
            .flat_map(|(op, &(invoke, ret))| [(invoke, false, op), (ret, true, op)])
            .collect();
        events.sort_unstable();
        let mut nodes = vec![Node {
            op: 0,
            is_call: false,
            partner: NIL,
            prev: NIL,
            next: NIL,
        }];
        let mut call_node = vec![NIL; intervals.len()];
        for (position, &(_, is_return, op)) in events.iter().enumerate() {
            let index = position + 1;
            let partner = if is_return { call_node[op] } else { NIL };
            if is_return {
                if let Some(call) = nodes.get_mut(partner) {
                    call.partner = index;
                }
            } else {
                call_node[op] = index;
            }
            nodes.push(Node {
                op,
                is_call: !is_return,
                partner,
                prev: index - 1,
                next: if position + 1 < events.len() {
                    index + 1
                } else {
                    NIL
                },
            });
        }
        if nodes.len() > 1 {
            nodes[HEAD].next = 1;
        }
        Self { nodes }
    }

    /// The node after `index`, if any.
    pub(super) fn next(&self, index: usize) -> Option<usize> {
        self.nodes
            .get(index)
            .map(|node| node.next)
            .filter(|&next| next != NIL)
    }

    pub(super) fn entry(&self, index: usize) -> Option<Entry> {
        self.nodes.get(index).map(|node| Entry {
            op: node.op,
            is_call: node.is_call,
        })
    }

    /// Unlinks the call at `index` and its return.
    pub(super) fn lift(&mut self, index: usize) {
        let partner = self.nodes[index].partner;
        self.unlink(index);
        self.unlink(partner);
    }

    /// Relinks what `lift(index)` unlinked; must undo lifts in reverse order.
    pub(super) fn unlift(&mut self, index: usize) {
        let partner = self.nodes[index].partner;
        self.relink(partner);
        self.relink(index);
    }

    fn unlink(&mut self, index: usize) {
        let Node { prev, next, .. } = self.nodes[index];
        self.nodes[prev].next = next;
        if next != NIL {
            self.nodes[next].prev = prev;
        }
    }

    fn relink(&mut self, index: usize) {
        let Node { prev, next, .. } = self.nodes[index];
        self.nodes[prev].next = index;
        if next != NIL {
            self.nodes[next].prev = index;
        }
    }
}
