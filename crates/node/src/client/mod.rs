//! HTTPS client (being written).
