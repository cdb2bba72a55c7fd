//! The endpoint registry a server dispatches through: the current routing table, replaced whole
//! when endpoints change at run time (a governance-installed JS bundle). Readers take the table
//! under a read lock held only to clone an `Arc`, so a request in flight keeps the table it
//! started with and a swap never waits for handlers.

use std::sync::{Arc, PoisonError, RwLock};

use super::router::Router;

/// The current routing table, swappable atomically.
#[derive(Debug)]
pub struct EndpointRegistry {
    current: RwLock<Arc<Router>>,
}

impl EndpointRegistry {
    pub fn new(router: Router) -> EndpointRegistry {
        EndpointRegistry {
            current: RwLock::new(Arc::new(router)),
        }
    }

    /// The table new requests are routed with.
    pub fn current(&self) -> Arc<Router> {
        // The lock only guards an Arc assignment, which cannot panic, so poisoning cannot leave
        // a half-written table behind.
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Installs a new table for every request that starts from now on; returns the old one.
    pub fn replace(&self, router: Router) -> Arc<Router> {
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        std::mem::replace(&mut *current, Arc::new(router))
    }
}
