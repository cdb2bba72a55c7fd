//! CCF's canonical sample app, `samples/apps/logging` (`logging.cpp`), as a native Quorate app:
//! messages recorded at client-chosen ids in a private map (`records`) and a public one
//! (`public:records`), each optionally suffixed `-<scope>` by a `?scope=` query parameter.
//!
//! Request and response shapes, statuses, error codes and messages follow the C++ app, so CCF's
//! Python e2e infrastructure (`tests/infra/logging_app.py`) can drive it unchanged, and the KV
//! bytes are the ones the C++ app writes (see [`records`]), so a ledger reads the same.
//!
//! Where the C++ app turns bad client input into something surprising (a negative JSON id
//! wrapped to a huge `size_t`, `strtoul` reading `/raw_text/abc` as id 0, a malformed
//! `If-Match` header as a 500), this app answers 400 instead; each case is noted where it is
//! handled.

pub mod etag;
pub mod handlers;
pub mod params;
pub mod record_in;
pub mod records;
pub mod responses;

use http::Method;
use quorate_node::app::{App, AppAuth, AppEndpoint};

use handlers::{caller_records, count, get, historical, raw_text, record, remove};

/// The policies of every endpoint that is not anonymous. CCF's app accepts `jwt`,
/// `user_cert` and `user_cose_sign1`; Quorate has only `user_cert` so far.
const USER: &[AppAuth] = &[AppAuth::UserCert];

/// The logging app. Stateless: everything it knows is in the KV.
#[derive(Clone, Copy, Debug, Default)]
pub struct LoggingApp;

impl App for LoggingApp {
    fn name(&self) -> &str {
        "logging"
    }

    /// CCF's endpoints, in CCF's execution modes: count is a read-write endpoint in CCF (so it
    /// runs on the primary), the plain GETs are read-only.
    fn endpoints(&self) -> Vec<AppEndpoint> {
        vec![
            AppEndpoint::read_write(Method::POST, "/log/private", USER, record::post_private),
            AppEndpoint::read_write(Method::POST, "/log/public", USER, record::post_public),
            AppEndpoint::read_only(Method::GET, "/log/private", USER, get::get_private),
            AppEndpoint::read_only(Method::GET, "/log/public", USER, get::get_public),
            AppEndpoint::read_write(Method::DELETE, "/log/private", USER, remove::delete_private),
            AppEndpoint::read_write(Method::DELETE, "/log/public", USER, remove::delete_public),
            AppEndpoint::read_write(
                Method::DELETE,
                "/log/private/all",
                USER,
                remove::clear_private,
            ),
            AppEndpoint::read_write(
                Method::DELETE,
                "/log/public/all",
                USER,
                remove::clear_public,
            ),
            AppEndpoint::read_write(
                Method::GET,
                "/log/private/count",
                USER,
                count::count_private,
            ),
            AppEndpoint::read_write(Method::GET, "/log/public/count", USER, count::count_public),
            AppEndpoint::read_write(
                Method::POST,
                "/log/private/anonymous",
                &[AppAuth::NoAuth],
                caller_records::post_anonymous,
            ),
            // CCF allows only `user_cert` here: the stored line names the caller's user id.
            AppEndpoint::read_write(
                Method::POST,
                "/log/private/prefix_cert",
                &[AppAuth::UserCert],
                caller_records::post_prefix_cert,
            ),
            AppEndpoint::read_write(
                Method::POST,
                "/log/private/raw_text/{id}",
                USER,
                raw_text::post_raw_text,
            ),
            AppEndpoint::historical(
                Method::GET,
                "/log/private/historical",
                USER,
                historical::historical_private,
            ),
            // Only CCF's JS logging app has this one; it answers like the private one here.
            AppEndpoint::historical(
                Method::GET,
                "/log/public/historical",
                USER,
                historical::historical_public,
            ),
        ]
    }
}
