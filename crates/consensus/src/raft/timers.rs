//! Time: heartbeats and CheckQuorum at the leader, election timeouts elsewhere.

use super::Raft;
use crate::engine::Role;

impl Raft {
    pub(super) fn tick(&mut self, now_ms: u64) {
        let previous_ms = self.now_ms.unwrap_or(now_ms);
        let elapsed_ms = now_ms.saturating_sub(previous_ms);
        self.now_ms = Some(previous_ms.max(now_ms));
        self.timer_elapsed_ms = self.timer_elapsed_ms.saturating_add(elapsed_ms);
        if self.role == Role::Leader {
            self.leader_tick(elapsed_ms);
        } else if !self.is_retired_committed()
            && self.timer_elapsed_ms >= self.config.election_timeout_ms
        {
            if self.config.pre_vote {
                self.become_pre_vote_candidate();
            } else {
                self.become_candidate();
            }
        }
    }

    fn leader_tick(&mut self, elapsed_ms: u64) {
        if self.timer_elapsed_ms >= self.config.heartbeat_timeout_ms {
            self.timer_elapsed_ms = 0;
            self.broadcast_append_entries();
        }
        for peer in self.peers.values_mut() {
            peer.since_last_ack_ms = peer.since_last_ack_ms.saturating_add(elapsed_ms);
        }
        if !self.every_configuration_is_live() {
            self.become_follower();
        }
    }

    /// CheckQuorum: has a majority of every active configuration answered within an
    /// election timeout? The leader counts itself; a member it has no record of counts too.
    fn every_configuration_is_live(&self) -> bool {
        let me = self.me();
        self.configurations.iter().all(|c| {
            let live =
                c.members
                    .iter()
                    .filter(|n| {
                        **n == me
                            || self.peers.get(n).is_none_or(|p| {
                                p.since_last_ack_ms < self.config.election_timeout_ms
                            })
                    })
                    .count();
            live >= c.quorum()
        })
    }
}
