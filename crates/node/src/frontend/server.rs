//! The listener: accepts TCP connections, applies the session caps, runs the TLS handshake,
//! captures the caller and serves HTTP/1.1 and HTTP/2 on the same port (hyper-util's auto
//! builder picks by the connection preface). A [`FrontendServer`] handle stops it: the listener
//! closes at once, open sessions get a graceful shutdown (HTTP/1.1 closes after the response in
//! flight, HTTP/2 sends GOAWAY) and whatever is still running when the bound expires is aborted.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use rustls::ServerConfig;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use super::caller::Caller;
use super::dispatch::Dispatcher;
use super::error::FrontendError;
use super::idle::{Activity, ActivityTracked};
use super::limits::FrontendLimits;
use super::registry::EndpointRegistry;
use super::sessions::{Admission, SessionCounter, SessionGuard};
use super::transaction_id::ResponseDecorator;

/// After a failed `accept` (out of file descriptors, typically), wait this long before the next
/// one instead of spinning.
const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(50);

/// How a frontend behaves, besides its endpoints and TLS identity.
#[derive(Clone, Default)]
pub struct FrontendOptions {
    pub limits: FrontendLimits,
    /// Supplies `x-ms-ccf-transaction-id` for responses whose handler set none.
    pub response_decorator: Option<Arc<dyn ResponseDecorator>>,
}

/// What a shutdown did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Sessions that ended within the bound.
    pub sessions_drained: usize,
    /// Sessions still running at the bound, aborted.
    pub sessions_aborted: usize,
}

/// A running client frontend. Dropping it stops the listener and aborts its sessions; call
/// [`FrontendServer::shutdown`] to let them finish first.
pub struct FrontendServer {
    local_addr: SocketAddr,
    sessions: Arc<SessionCounter>,
    shutdown: watch::Sender<Option<Duration>>,
    accept_loop: tokio::task::JoinHandle<ShutdownReport>,
}

/// What every session of one interface shares.
struct Interface {
    acceptor: TlsAcceptor,
    http: auto::Builder<TokioExecutor>,
    dispatcher: Dispatcher,
    limits: FrontendLimits,
    sessions: Arc<SessionCounter>,
}

impl FrontendServer {
    /// Listens on `address` (port 0 picks a free port) and serves `registry`'s endpoints.
    pub async fn bind(
        address: SocketAddr,
        tls_config: Arc<ServerConfig>,
        registry: Arc<EndpointRegistry>,
        options: FrontendOptions,
    ) -> Result<FrontendServer, FrontendError> {
        options.limits.validate()?;
        let listener = TcpListener::bind(address)
            .await
            .map_err(FrontendError::Bind)?;
        let local_addr = listener.local_addr().map_err(FrontendError::Bind)?;
        let sessions = Arc::new(SessionCounter::default());
        let interface = Arc::new(Interface {
            acceptor: TlsAcceptor::from(tls_config),
            http: http_builder(&options.limits),
            dispatcher: Dispatcher {
                registry,
                response_decorator: options.response_decorator,
                max_header_size_bytes: options.limits.max_header_size_bytes,
                max_headers_count: options.limits.max_headers_count,
                max_body_size_bytes: options.limits.max_body_size_bytes,
                request_timeout: options.limits.request_timeout,
            },
            limits: options.limits,
            sessions: Arc::clone(&sessions),
        });
        let (shutdown, shutdown_requested) = watch::channel(None);
        let accept_loop = tokio::spawn(accept_loop(listener, interface, shutdown_requested));
        Ok(FrontendServer {
            local_addr,
            sessions,
            shutdown,
            accept_loop,
        })
    }

    /// The bound address (with the port the OS chose for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Sessions currently counted against the caps.
    pub fn open_sessions(&self) -> usize {
        self.sessions.open_sessions()
    }

    /// Stops accepting, asks every session to finish, and aborts those still running after
    /// `grace`. Returns once every session task has ended.
    pub async fn shutdown(self, grace: Duration) -> ShutdownReport {
        self.shutdown.send_replace(Some(grace));
        self.accept_loop.await.unwrap_or_default()
    }
}

/// hyper's settings from CCF's limits.
fn http_builder(limits: &FrontendLimits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.request_timeout)
        .max_buf_size(limits.head_backstop_bytes())
        .max_headers(limits.headers_backstop_count());
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(limits.http2_max_concurrent_streams)
        .initial_stream_window_size(limits.http2_initial_window_size_bytes)
        .max_frame_size(limits.http2_max_frame_size_bytes)
        .max_header_list_size(u32::try_from(limits.head_backstop_bytes()).unwrap_or(u32::MAX));
    builder
}

/// Resolves once a shutdown was requested or the handle is gone. The watch borrow is released
/// before returning, so the sender is never blocked by a waiting session.
async fn shutdown_requested(receiver: &mut watch::Receiver<Option<Duration>>) {
    let _ = receiver.wait_for(Option::is_some).await;
}

async fn accept_loop(
    listener: TcpListener,
    interface: Arc<Interface>,
    mut shutdown: watch::Receiver<Option<Duration>>,
) -> ShutdownReport {
    let mut sessions = JoinSet::new();
    loop {
        tokio::select! {
            // Shutdown first: sessions end because of it, and one reaped here would be missing
            // from the report.
            biased;
            () = shutdown_requested(&mut shutdown) => break,
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let limits = &interface.limits;
                    let admission = interface
                        .sessions
                        .admit(limits.max_open_sessions_soft, limits.max_open_sessions_hard);
                    let (guard, refuse) = match admission {
                        Admission::Serve(guard) => (guard, false),
                        Admission::Refuse(guard) => (guard, true),
                        Admission::Drop => {
                            tracing::debug!(%peer, "hard session cap reached, closing");
                            continue;
                        }
                    };
                    if let Err(error) = stream.set_nodelay(true) {
                        tracing::debug!(%peer, %error, "cannot set TCP_NODELAY");
                    }
                    let session = run_session(
                        Arc::clone(&interface),
                        stream,
                        guard,
                        refuse,
                        shutdown.clone(),
                    );
                    sessions.spawn(session);
                }
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(ACCEPT_ERROR_BACKOFF).await;
                }
            }
        }
    }
    drop(listener);
    let grace = (*shutdown.borrow()).unwrap_or(Duration::ZERO);
    drain(sessions, grace).await
}

/// Waits for sessions until `grace` has passed, then aborts the rest.
async fn drain(mut sessions: JoinSet<()>, grace: Duration) -> ShutdownReport {
    let deadline = Instant::now() + grace;
    let mut sessions_drained = 0;
    while let Ok(Some(_)) = tokio::time::timeout_at(deadline, sessions.join_next()).await {
        sessions_drained += 1;
    }
    let sessions_aborted = sessions.len();
    sessions.shutdown().await;
    ShutdownReport {
        sessions_drained,
        sessions_aborted,
    }
}

/// One connection from TLS handshake to close; the guard frees its session slot at the end.
async fn run_session(
    interface: Arc<Interface>,
    stream: TcpStream,
    _guard: SessionGuard,
    refuse: bool,
    mut shutdown: watch::Receiver<Option<Duration>>,
) {
    let handshake = tokio::time::timeout(
        interface.limits.tls_handshake_timeout,
        interface.acceptor.accept(stream),
    );
    let tls = tokio::select! {
        () = shutdown_requested(&mut shutdown) => return,
        result = handshake => match result {
            Ok(Ok(tls)) => tls,
            Ok(Err(error)) => {
                tracing::debug!(%error, "TLS handshake failed");
                return;
            }
            Err(_) => {
                tracing::debug!("TLS handshake timed out");
                return;
            }
        },
    };
    let caller = Arc::new(Caller::from_peer_certificates(
        tls.get_ref().1.peer_certificates(),
    ));
    if refuse {
        refuse_session(&interface, tls, shutdown).await;
    } else {
        serve_session(&interface, tls, caller, shutdown).await;
    }
}

/// Serves requests until the client closes, the connection fails, the session idles past
/// `idle_connection_timeout`, or shutdown.
async fn serve_session(
    interface: &Arc<Interface>,
    tls: TlsStream<TcpStream>,
    caller: Arc<Caller>,
    mut shutdown: watch::Receiver<Option<Duration>>,
) {
    let for_requests = Arc::clone(interface);
    let service = service_fn(move |request: hyper::Request<Incoming>| {
        let interface = Arc::clone(&for_requests);
        let caller = Arc::clone(&caller);
        async move { Ok::<_, Infallible>(interface.dispatcher.dispatch(request, caller).await) }
    });
    let activity = Activity::new();
    let io = TokioIo::new(ActivityTracked::new(tls, Arc::clone(&activity)));
    let connection = interface.http.serve_connection(io, service);
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%error, "session ended with an error");
            }
            return;
        }
        () = shutdown_requested(&mut shutdown) => {}
        () = activity.idle_for(interface.limits.idle_connection_timeout) => {
            tracing::debug!("closing an idle session");
        }
    }
    // Requests in flight finish; HTTP/1.1 then closes, HTTP/2 sends GOAWAY first.
    connection.as_mut().graceful_shutdown();
    if let Err(error) = connection.await {
        tracing::debug!(%error, "session ended with an error");
    }
}

/// A session past the soft cap: its first request is answered 503 `SessionCapExhausted` and the
/// connection is closed (CCF's `NoMoreSessions`), within the request timeout.
async fn refuse_session(
    interface: &Arc<Interface>,
    tls: TlsStream<TcpStream>,
    mut shutdown: watch::Receiver<Option<Duration>>,
) {
    let answered = Arc::new(Notify::new());
    let for_requests = Arc::clone(interface);
    let notify = Arc::clone(&answered);
    let service = service_fn(move |_request: hyper::Request<Incoming>| {
        notify.notify_one();
        let response = for_requests.dispatcher.session_cap_exhausted();
        async move { Ok::<_, Infallible>(response) }
    });
    let connection = interface.http.serve_connection(TokioIo::new(tls), service);
    tokio::pin!(connection);
    let refusal = async {
        tokio::select! {
            result = connection.as_mut() => result,
            () = answered.notified() => {
                connection.as_mut().graceful_shutdown();
                connection.as_mut().await
            }
            () = shutdown_requested(&mut shutdown) => {
                connection.as_mut().graceful_shutdown();
                connection.as_mut().await
            }
        }
    };
    match tokio::time::timeout(interface.limits.request_timeout, refusal).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::debug!(%error, "refused session ended with an error"),
        Err(_) => tracing::debug!("refused session timed out"),
    }
}
