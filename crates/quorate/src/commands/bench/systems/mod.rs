//! The systems the suite compares, each started fresh on loopback and stopped by the suite
//! (only what it started, by pid): the Quorate sandbox, an etcd cluster with TLS, Redis and
//! nginx. `install` checks for the Debian packages they come from.

pub mod certs;
pub mod etcd;
pub mod install;
pub mod nginx;
pub mod process;
pub mod quorate;
pub mod redis;
