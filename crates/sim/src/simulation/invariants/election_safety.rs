//! ElectionSafetyInv / MoreThanOneLeaderInv: at most one leader per term, ever.

use std::collections::BTreeMap;

use quorate_consensus::{NodeId, Term};

#[derive(Debug, Default)]
pub struct ElectionSafety {
    leaders: BTreeMap<Term, NodeId>,
}

impl ElectionSafety {
    /// Records that `node` became leader in `term`.
    pub fn on_leader(&mut self, node: NodeId, term: Term) -> Result<(), String> {
        match self.leaders.insert(term, node) {
            Some(other) if other != node => Err(format!(
                "ElectionSafety: {other} and {node} are both leaders of term {term}"
            )),
            _ => Ok(()),
        }
    }

    pub fn leader_count(&self) -> usize {
        self.leaders.len()
    }
}

#[cfg(test)]
mod tests {
    use quorate_consensus::NodeId;

    use super::ElectionSafety;

    #[test]
    fn a_second_leader_in_a_term_is_a_violation() {
        let mut elections = ElectionSafety::default();
        elections.on_leader(NodeId(1), 2).unwrap();
        elections.on_leader(NodeId(1), 2).unwrap();
        elections.on_leader(NodeId(2), 3).unwrap();
        assert!(elections.on_leader(NodeId(3), 2).is_err());
        assert_eq!(elections.leader_count(), 2);
    }
}
