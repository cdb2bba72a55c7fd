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
/// A header name or value is larger than `max_header_size`, or there are more than
/// `max_headers_count` headers (431).
pub const REQUEST_HEADER_TOO_LARGE: &str = "RequestHeaderTooLarge";
/// The body is larger than `max_body_size` (413).
pub const REQUEST_BODY_TOO_LARGE: &str = "RequestBodyTooLarge";
/// The body could not be read (the client aborted it or sent malformed framing) (400).
pub const INVALID_INPUT: &str = "InvalidInput";
/// The body did not arrive within the request timeout (408). CCF has no such code (its host
/// closes idle sessions instead); the name follows its naming style.
pub const REQUEST_TIMEOUT: &str = "RequestTimeout";
/// The body's content type is not one the endpoint reads (415).
pub const UNSUPPORTED_CONTENT_TYPE: &str = "UnsupportedContentType";
/// A query parameter is missing or malformed (400).
pub const INVALID_QUERY_PARAMETER_VALUE: &str = "InvalidQueryParameterValue";
/// A header is missing or malformed (400).
pub const INVALID_HEADER_VALUE: &str = "InvalidHeaderValue";
/// The transaction is not known here yet, or not committed (404).
pub const TRANSACTION_PENDING_OR_UNKNOWN: &str = "TransactionPendingOrUnknown";
/// The transaction can never commit (404).
pub const TRANSACTION_INVALID: &str = "TransactionInvalid";
/// The service is not open to users yet (503).
pub const FRONTEND_NOT_OPEN: &str = "FrontendNotOpen";
/// No primary is known to forward or redirect to (503).
pub const PRIMARY_NOT_FOUND: &str = "PrimaryNotFound";
/// This node cannot serve the request in its current state (503).
pub const NODE_CANNOT_HANDLE_REQUEST: &str = "NodeCannotHandleRequest";
/// A forwarded request got no answer from the primary in time (504).
pub const REQUEST_FORWARDING_TIMEOUT: &str = "RequestForwardingTimeout";
/// The node failed in a way the client cannot fix (500).
pub const INTERNAL_ERROR: &str = "InternalError";
/// Too many transactions are waiting for the node (503).
pub const TOO_MANY_PENDING_TRANSACTIONS: &str = "TooManyPendingTransactions";
/// The joining node's request was refused (400).
pub const NODE_ALREADY_EXISTS: &str = "NodeAlreadyExists";
/// A joining node's attestation evidence was refused (400).
pub const INVALID_QUOTE: &str = "InvalidQuote";
/// A JavaScript handler threw or hit a runtime limit (500).
pub const JS_EXCEPTION: &str = "JSException";
/// A `/gov` request without `?api-version=` (400).
pub const MISSING_API_VERSION_PARAMETER: &str = "MissingApiVersionParameter";
/// A `/gov` request with an api-version this node does not serve (400).
pub const UNSUPPORTED_API_VERSION_VALUE: &str = "UnsupportedApiVersionValue";
/// A path parameter that is not a valid id (400).
pub const INVALID_RESOURCE_NAME: &str = "InvalidResourceName";
