//! What an app declares: endpoints with their auth policies and handlers.

use std::sync::Arc;

use http::Method;
use quorate_kv::{Tx, TxId, WriteSet};

use crate::frontend::{EndpointRequest, EndpointResponse, ForwardingRule};

/// A handler that runs inside a KV transaction. Read-write handlers may be run more than once
/// when their transaction conflicts, so they must not have effects outside `tx`.
pub type TxHandler = Arc<dyn Fn(&EndpointRequest, &mut Tx) -> EndpointResponse + Send + Sync>;

/// A handler over one committed transaction's writes.
pub type HistoricalHandler =
    Arc<dyn Fn(&EndpointRequest, &HistoricalState) -> EndpointResponse + Send + Sync>;

/// One committed transaction as a historical handler sees it: CCF's historical store holds
/// exactly the writes of that transaction, private maps decrypted.
#[derive(Debug, Clone)]
pub struct HistoricalState {
    pub txid: TxId,
    pub write_set: WriteSet,
}

impl HistoricalState {
    /// The value `key` was given in `map` by this transaction; `None` if it did not write the
    /// key or removed it.
    pub fn get(&self, map: &str, key: &[u8]) -> Option<&[u8]> {
        self.write_set
            .map(map)
            .and_then(|writes| writes.get(key))
            .flatten()
            .map(|value| value.as_ref())
    }
}

/// Where and how a handler runs.
#[derive(Clone)]
pub enum AppHandler {
    /// On the primary, in a read-write transaction (CCF's default mode).
    ReadWrite(TxHandler),
    /// On any node, on a snapshot of its store.
    ReadOnly(TxHandler),
    /// On any node, over the committed transaction the request names.
    Historical(HistoricalHandler),
}

/// CCF's auth policy names an app may use (see `crate::frontend::AuthPolicy` for what each
/// checks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppAuth {
    /// `user_cert`: the TLS client certificate is in `public:ccf.gov.users.certs`.
    UserCert,
    /// `member_cert`: the TLS client certificate is in `public:ccf.gov.members.certs`.
    MemberCert,
    /// `any_cert`: any client certificate.
    AnyCert,
    /// `no_auth`.
    NoAuth,
    /// `jwt`: `Authorization: Bearer` with a token signed by a key governance set
    /// (`set_jwt_issuer` / `set_jwt_public_signing_keys`).
    Jwt,
    /// `user_cose_sign1`: an `application/cose` body signed by a user.
    UserCoseSign1,
    /// `typed_user_cose_sign1`: `user_cose_sign1` whose `ccf.msg.type` is this.
    TypedUserCoseSign1(String),
    /// `member_cose_sign1`: an `application/cose` body signed by a member.
    MemberCoseSign1,
    /// `active_member_cose_sign1`: `member_cose_sign1` by an Active member.
    ActiveMemberCoseSign1,
    /// `{"all_of": [...]}`: every one of these passes.
    AllOf(Vec<AppAuth>),
    /// A policy this node does not implement (an app's unknown or malformed `authn_policies`
    /// entry, as written): every caller is refused with 401 naming it, so an endpoint never
    /// ends up less protected than its app declared.
    Unsupported(String),
}

impl AppAuth {
    /// CCF's name for the policy: `all_of` joins its policies' names, sorted, with `+`; an
    /// unsupported policy's name is what the app declared.
    pub fn name(&self) -> String {
        match self {
            AppAuth::UserCert => "user_cert".into(),
            AppAuth::MemberCert => "member_cert".into(),
            AppAuth::AnyCert => "any_cert".into(),
            AppAuth::NoAuth => "no_auth".into(),
            AppAuth::Jwt => "jwt".into(),
            AppAuth::UserCoseSign1 => "user_cose_sign1".into(),
            AppAuth::TypedUserCoseSign1(_) => "typed_user_cose_sign1".into(),
            AppAuth::MemberCoseSign1 => "member_cose_sign1".into(),
            AppAuth::ActiveMemberCoseSign1 => "active_member_cose_sign1".into(),
            AppAuth::AllOf(policies) => {
                let mut names: Vec<String> = policies.iter().map(AppAuth::name).collect();
                names.sort();
                names.join("+")
            }
            AppAuth::Unsupported(declared) => declared.clone(),
        }
    }
}

/// One endpoint of an app. `path` is relative to `/app` (`/log/private` serves
/// `/app/log/private`) in matchit syntax (`/records/{key}`).
#[derive(Clone)]
pub struct AppEndpoint {
    pub method: Method,
    pub path: String,
    pub auth: Vec<AppAuth>,
    pub handler: AppHandler,
    pub forwarding: ForwardingRule,
}

impl AppEndpoint {
    fn with_handler(
        method: Method,
        path: impl Into<String>,
        auth: &[AppAuth],
        handler: AppHandler,
        forwarding: ForwardingRule,
    ) -> Self {
        Self {
            method,
            path: path.into(),
            auth: auth.to_vec(),
            handler,
            forwarding,
        }
    }

    /// A read-write endpoint (forwarded from backups).
    pub fn read_write(
        method: Method,
        path: impl Into<String>,
        auth: &[AppAuth],
        handler: impl Fn(&EndpointRequest, &mut Tx) -> EndpointResponse + Send + Sync + 'static,
    ) -> Self {
        let handler = AppHandler::ReadWrite(Arc::new(handler));
        Self::with_handler(method, path, auth, handler, ForwardingRule::Sometimes)
    }

    /// A read-only endpoint (served by any node).
    pub fn read_only(
        method: Method,
        path: impl Into<String>,
        auth: &[AppAuth],
        handler: impl Fn(&EndpointRequest, &mut Tx) -> EndpointResponse + Send + Sync + 'static,
    ) -> Self {
        let handler = AppHandler::ReadOnly(Arc::new(handler));
        Self::with_handler(method, path, auth, handler, ForwardingRule::Sometimes)
    }

    /// A historical endpoint: the request's `x-ms-ccf-transaction-id` header names the
    /// committed transaction whose writes the handler sees.
    pub fn historical(
        method: Method,
        path: impl Into<String>,
        auth: &[AppAuth],
        handler: impl Fn(&EndpointRequest, &HistoricalState) -> EndpointResponse + Send + Sync + 'static,
    ) -> Self {
        let handler = AppHandler::Historical(Arc::new(handler));
        Self::with_handler(method, path, auth, handler, ForwardingRule::Never)
    }
}

/// A native application: its endpoints, mounted under `/app`.
pub trait App: Send + Sync {
    /// A short name for logs and the OpenAPI title.
    fn name(&self) -> &str;
    fn endpoints(&self) -> Vec<AppEndpoint>;
}
