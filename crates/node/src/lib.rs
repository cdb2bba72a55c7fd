//! The running Quorate node (being built): its configuration in CCF's JSON shape, the TLS
//! client frontends with the endpoint registry, and the authenticated node-to-node channels.

pub mod app;
pub mod channel;
pub mod client;
pub mod config;
pub mod frontend;
pub mod replication;
pub mod service;
pub mod transport;
