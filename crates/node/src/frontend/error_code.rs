//! CCF's error codes (`ccf::errors`, the `code` field of `{"error": {"code", "message"}}`) that
//! the frontend itself produces. Clients and CCF's Python tooling match on these strings, so they
//! are spelled exactly as CCF spells them.

/// No endpoint has this path (404).
pub const RESOURCE_NOT_FOUND: &str = "ResourceNotFound";
/// The path exists with other methods (405, with an `Allow` header).
pub const UNSUPPORTED_HTTP_VERB: &str = "UnsupportedHttpVerb";
/// No auth policy of the endpoint accepted the caller (401).
pub const INVALID_AUTHENTICATION_INFO: &str = "InvalidAuthenticationInfo";
/// The session is past `max_open_sessions_soft` (503, then the connection closes).
pub const SESSION_CAP_EXHAUSTED: &str = "SessionCapExhausted";
/// The body is larger than `max_body_size` (413).
pub const REQUEST_BODY_TOO_LARGE: &str = "RequestBodyTooLarge";
/// The body could not be read (the client aborted it or sent malformed framing) (400).
pub const INVALID_INPUT: &str = "InvalidInput";
/// The body did not arrive within the request timeout (408). CCF has no such code (its host
/// closes idle sessions instead); the name follows its naming style.
pub const REQUEST_TIMEOUT: &str = "RequestTimeout";
