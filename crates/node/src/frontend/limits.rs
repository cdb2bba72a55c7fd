//! Per-interface limits, CCF's `rpc_interfaces` settings with CCF's defaults, plus the timeouts
//! a tokio server needs that CCF's host handles elsewhere (handshake and request deadlines that
//! keep a slow or silent client from holding a session slot forever).

use std::time::Duration;

use super::error::FrontendError;

/// The smallest request head hyper and h2 are allowed to buffer before they refuse a request
/// themselves (hyper panics under 8192).
const MIN_HEAD_BACKSTOP_BYTES: usize = 64 * 1024;
/// hyper and h2 buffer heads up to this many times `max_header_size_bytes`, so requests over
/// CCF's per-header limits reach the dispatcher, which answers with CCF's error body.
const HEAD_BACKSTOP_FACTOR: usize = 4;
/// HTTP/2's frame size bounds (RFC 9113 §4.2); h2 panics outside them.
const HTTP2_MIN_FRAME_SIZE_BYTES: u32 = 16_384;
const HTTP2_MAX_FRAME_SIZE_BYTES: u32 = (1 << 24) - 1;
/// HTTP/2's largest flow-control window (RFC 9113 §6.9.1); h2 panics above it.
const HTTP2_MAX_WINDOW_SIZE_BYTES: u32 = (1 << 31) - 1;

/// Limits of one client interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrontendLimits {
    /// Past this many open sessions, new sessions get 503 `SessionCapExhausted` and are closed.
    pub max_open_sessions_soft: usize,
    /// At this many open sessions, new connections are closed before the TLS handshake.
    pub max_open_sessions_hard: usize,
    /// Larger request bodies get 413 `RequestBodyTooLarge`.
    pub max_body_size_bytes: usize,
    /// The largest header name or value (CCF's rule: each one, not the whole head); a larger
    /// one gets 431 `RequestHeaderTooLarge`. hyper and h2 refuse heads beyond
    /// [`FrontendLimits::head_backstop_bytes`] themselves, with an empty 431.
    pub max_header_size_bytes: usize,
    /// More headers get 431 `RequestHeaderTooLarge` (hyper refuses more than twice as many
    /// itself).
    pub max_headers_count: usize,
    pub http2_max_concurrent_streams: u32,
    pub http2_initial_window_size_bytes: u32,
    pub http2_max_frame_size_bytes: u32,
    /// A TCP connection that has not finished the TLS handshake by then is closed.
    pub tls_handshake_timeout: Duration,
    /// The head (HTTP/1.1) and then the body must arrive within this; a late body gets 408.
    /// Handlers are not cut short: a read-write transaction is committed or not as a whole.
    pub request_timeout: Duration,
    /// A session that reads and writes nothing for this long is closed (requests in flight
    /// finish first).
    pub idle_connection_timeout: Duration,
}

impl Default for FrontendLimits {
    /// CCF's defaults (1000/1010 sessions, 1 MiB body, 16 KiB head, 256 headers, 100 streams,
    /// 64 KiB window, 16 KiB frames, 60 s idle timeout), a 10 s handshake and a 30 s request
    /// deadline.
    fn default() -> FrontendLimits {
        FrontendLimits {
            max_open_sessions_soft: 1000,
            max_open_sessions_hard: 1010,
            max_body_size_bytes: 1024 * 1024,
            max_header_size_bytes: 16 * 1024,
            max_headers_count: 256,
            http2_max_concurrent_streams: 100,
            http2_initial_window_size_bytes: 64 * 1024,
            http2_max_frame_size_bytes: 16 * 1024,
            tls_handshake_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            idle_connection_timeout: Duration::from_secs(60),
        }
    }
}

impl FrontendLimits {
    /// How much of a request head hyper (HTTP/1.1 read buffer) and h2
    /// (`SETTINGS_MAX_HEADER_LIST_SIZE`) accept before refusing it themselves.
    pub fn head_backstop_bytes(&self) -> usize {
        self.max_header_size_bytes
            .saturating_mul(HEAD_BACKSTOP_FACTOR)
            .max(MIN_HEAD_BACKSTOP_BYTES)
    }

    /// How many header lines hyper parses before refusing a request itself.
    pub fn headers_backstop_count(&self) -> usize {
        self.max_headers_count.saturating_mul(2)
    }

    /// Refuses limits hyper or h2 would panic on, and a soft cap above the hard cap.
    pub fn validate(&self) -> Result<(), FrontendError> {
        let invalid = |message: String| Err(FrontendError::InvalidLimit(message));
        if self.max_open_sessions_soft > self.max_open_sessions_hard {
            return invalid(format!(
                "max_open_sessions_soft ({}) exceeds max_open_sessions_hard ({})",
                self.max_open_sessions_soft, self.max_open_sessions_hard
            ));
        }
        if self.max_header_size_bytes == 0 {
            return invalid("max_header_size_bytes is zero".into());
        }
        if u32::try_from(self.head_backstop_bytes()).is_err() {
            return invalid("max_header_size_bytes does not fit HTTP/2 settings".into());
        }
        if self.max_headers_count == 0 {
            return invalid("max_headers_count is zero".into());
        }
        if !(HTTP2_MIN_FRAME_SIZE_BYTES..=HTTP2_MAX_FRAME_SIZE_BYTES)
            .contains(&self.http2_max_frame_size_bytes)
        {
            return invalid(format!(
                "http2_max_frame_size_bytes ({}) is outside \
                 {HTTP2_MIN_FRAME_SIZE_BYTES}..={HTTP2_MAX_FRAME_SIZE_BYTES}",
                self.http2_max_frame_size_bytes
            ));
        }
        if self.http2_initial_window_size_bytes > HTTP2_MAX_WINDOW_SIZE_BYTES {
            return invalid(format!(
                "http2_initial_window_size_bytes ({}) exceeds {HTTP2_MAX_WINDOW_SIZE_BYTES}",
                self.http2_initial_window_size_bytes
            ));
        }
        if self.tls_handshake_timeout.is_zero()
            || self.request_timeout.is_zero()
            || self.idle_connection_timeout.is_zero()
        {
            return invalid("timeouts must be positive".into());
        }
        Ok(())
    }
}
